"""Prometheus metrics, served at /metrics.

What is measured where:
- request latency by view: django-prometheus's middleware
  (`django_http_requests_latency_seconds_by_view_method{view,method}`);
- search latency: `codeledger_search_latency_seconds{endpoint}` (codeledger.middleware);
- Celery task failures: `codeledger_celery_task_failures_total{task}` (codeledger.celery);
- events appended and projector lag: read from the database at scrape time
  (`codeledger_events_total{type}`, `codeledger_projector_lag_events{projector}`, ...), so every
  process, and a scrape of any web worker, reports the same numbers, with no counter to lose.

Several processes (gunicorn workers, Celery pool processes) share one PROMETHEUS_MULTIPROC_DIR:
each writes its own files there and a scrape adds them up (prometheus-client multiprocess mode).

Who may scrape: with METRICS_TOKEN set, requests carrying `Authorization: Bearer <token>`;
without it, requests from the addresses in METRICS_ALLOWED_IPS (loopback by default).
"""

import os

from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse, HttpResponseForbidden
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

TASK_FAILURES = Counter(
    "codeledger_celery_task_failures_total", "Celery tasks that raised, by task name", ["task"]
)
SEARCH_LATENCY = Histogram(
    "codeledger_search_latency_seconds",
    "Time to answer a search API or screen request, by endpoint",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class EventLogCollector:
    """Events stored (by type) and each projector's checkpoint, lag and state, from the database."""

    def collect(self):
        from events.models import Event
        from events.projections import status

        appended = CounterMetricFamily(
            "codeledger_events", "Events appended to the event log, by type", labels=["type"]
        )
        for row in Event.objects.order_by().values("type").annotate(count=Count("position")):
            appended.add_metric([row["type"]], row["count"])
        yield appended

        lag = GaugeMetricFamily(
            "codeledger_projector_lag_events",
            "Events stored after the projector's checkpoint",
            labels=["projector"],
        )
        checkpoint = GaugeMetricFamily(
            "codeledger_projector_checkpoint",
            "Last event position the projector applied",
            labels=["projector"],
        )
        halted = GaugeMetricFamily(
            "codeledger_projector_halted",
            "1 when the projector stopped at a failing event",
            labels=["projector"],
        )
        for row in status():
            lag.add_metric([row.name], row.lag)
            checkpoint.add_metric([row.name], row.checkpoint)
            halted.add_metric([row.name], 1 if row.halted else 0)
        yield from (lag, checkpoint, halted)


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def exposition() -> bytes:
    """Every metric of every process, plus the database's, in the text format."""
    database = CollectorRegistry(auto_describe=False)
    database.register(EventLogCollector())
    if multiprocess_mode():
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
        return generate_latest(processes) + generate_latest(database)
    return generate_latest(REGISTRY) + generate_latest(database)


def scrape_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        return constant_time_compare(request.headers.get("Authorization", ""), f"Bearer {token}")
    return request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS


@require_safe
@never_cache
def metrics_view(request):
    if not scrape_allowed(request):
        return HttpResponseForbidden(
            "metrics: send Authorization: Bearer <METRICS_TOKEN>, or scrape from an address "
            "in METRICS_ALLOWED_IPS\n",
            content_type="text/plain",
        )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
