"""Celery tasks: catch projections up after each commit, and periodically as a safety net."""

import logging

from celery import shared_task
from django.conf import settings

from events.projections import catch_up_all

log = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def catch_up_projections() -> list[dict]:
    """Idempotent: each projector reads after its own checkpoint, so duplicates change nothing."""
    results = catch_up_all()
    return [result.__dict__ for result in results]


def request_catch_up() -> None:
    """Called after an append commits: one catch-up task (run in-process when eager)."""
    if not settings.EVENTS_CATCH_UP_AFTER_COMMIT:
        return
    if settings.CELERY_TASK_ALWAYS_EAGER:
        catch_up_all()
        return
    try:
        # No publish retries: against a broker that does not answer, each would wait
        # BROKER_TIMEOUT again (Celery's default policy: four attempts, reconnecting between).
        catch_up_projections.apply_async(retry=False)
    except Exception:  # the broker is down: the beat schedule catches up later
        log.warning(
            "could not enqueue the catch-up task; the periodic catch-up will run it", exc_info=True
        )
