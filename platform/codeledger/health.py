"""`/healthz`: the state of each service the product needs, 200 when all are up, else 503."""

import time

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_redis import get_redis_connection
from kombu import Connection

from codeledger.cache import RedisCache
from codeledger.elastic import elasticsearch_client


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "up", "vendor": connection.vendor}


def _check_append_only() -> dict:
    """The events table refuses UPDATE and DELETE (events.protection): a database that would
    accept a rewrite of the log is a failure to look at, like a halted projector."""
    from events.protection import describe_missing, missing_protection

    if missing := missing_protection():
        return {"status": "down", "detail": describe_missing(missing)}
    return {"status": "up"}


def _check_broker() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "eager", "detail": "no broker configured: tasks run after commit"}
    # The app's broker options, with 2 s: a hung broker is "down" within seconds, not a request
    # held until gunicorn kills the worker.
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    bounded = {**options, "socket_timeout": 2, "socket_connect_timeout": 2}
    with Connection(settings.CELERY_BROKER_URL, transport_options=bounded) as broker:
        broker.ensure_connection(max_retries=1, timeout=2)
    return {"status": "up"}


def _check_cache() -> dict:
    """The shared cache (rate limits, kept API key grants): requests go on without it, slower
    and unthrottled, so it is reported rather than felt."""
    if not isinstance(caches["default"], RedisCache):
        return {"status": "local", "detail": "in-process memory (no CACHE_URL)"}
    # A write, not a PING: a Redis that answers but refuses writes (READONLY, OOM) is down for
    # the cache. The raw client raises, unlike the cache's own calls.
    get_redis_connection("default").set("codeledger:healthz", "1", ex=60)
    return {"status": "up"}


def _check_elasticsearch() -> dict:
    # The minimal node has no `GET /`, so ping() would fail: ask for cluster health instead.
    health = elasticsearch_client().options(request_timeout=3).cluster.health()
    return {"status": "up", "cluster": health["status"]}


def _check_projections() -> dict:
    """Each projector's lag behind the head; a halted projector is a failure to look at."""
    from events.projections import status

    rows = status()
    halted = [row.name for row in rows if row.halted]
    report = {"status": "down" if halted else "up", "lag": {row.name: row.lag for row in rows}}
    if halted:
        report["detail"] = f"halted: {', '.join(halted)} (see manage.py projections_status)"
    return report


CHECKS = {
    "database": _check_database,
    "append_only": _check_append_only,
    "broker": _check_broker,
    "cache": _check_cache,
    "elasticsearch": _check_elasticsearch,
    "projections": _check_projections,
}


@never_cache
@require_safe
def healthz(request):
    report, failing = {}, []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            report[name] = check()
        except Exception as error:  # any failure of a dependency is a "down", named below
            report[name] = {"status": "down", "detail": f"{type(error).__name__}: {error}"[:300]}
        if report[name]["status"] == "down":
            failing.append(name)
        report[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    body = {"status": "down" if failing else "up", "failing": failing, "checks": report}
    return JsonResponse(body, status=503 if failing else 200)
