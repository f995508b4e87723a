"""The Celery app. Configured from Django settings (CELERY_*); tasks are found in each app.

Who asked for a task travels with it: the publisher's request id, actor and correlation id go
into a message header, and the worker binds them around the task, so the task's log lines and
the events it appends name the request that caused them (docs/events.md, meta).
"""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codeledger.settings")

app = Celery("codeledger")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

META_HEADER = "codeledger_meta"


@signals.before_task_publish.connect
def _carry_meta(headers=None, **kwargs):
    from events.context import propagated_meta

    meta = propagated_meta()
    if headers is not None and meta:
        headers[META_HEADER] = meta


@signals.task_prerun.connect
def _bind_meta(task=None, **kwargs):
    from events.context import bind_meta

    # A worker gets message headers as request attributes; apply() (eager) keeps them apart.
    carried = (
        getattr(task.request, META_HEADER, None)
        or (getattr(task.request, "headers", None) or {}).get(META_HEADER)
        or {}
    )
    task.request._codeledger_meta_token = bind_meta(
        **{key: carried.get(key) for key in ("actor", "correlation_id", "request_id")},
        causation_id=task.request.id,
        source=f"task:{task.name}",
    )


@signals.task_postrun.connect
def _unbind_meta(task=None, **kwargs):
    from events.context import reset_meta

    token = getattr(task.request, "_codeledger_meta_token", None)
    if token is not None:
        reset_meta(token)
        task.request._codeledger_meta_token = None


@signals.task_failure.connect
def _count_failure(sender=None, **kwargs):
    from codeledger.metrics import TASK_FAILURES

    TASK_FAILURES.labels(task=getattr(sender, "name", "unknown")).inc()


@signals.worker_process_shutdown.connect
def _forget_live_gauges(pid=None, **kwargs):
    """Multiprocess metrics: a pool process that ends must not report live gauges any more."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
