"""Celery tasks: catch projections up after each commit, and periodically as a safety net."""

import logging

from celery import shared_task
from django.conf import settings

from codeledger.background import run_after_commit
from events.projections import catch_up_all

log = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def catch_up_projections() -> list[dict]:
    """Idempotent: each projector reads after its own checkpoint, so duplicates change nothing."""
    results = catch_up_all()
    return [result.__dict__ for result in results]


def request_catch_up(**signal_kwargs) -> None:
    """Receives `events_committed` (events/apps.py): one catch-up task, run in-process when
    tasks run eagerly. A broker that does not take it leaves the work to the periodic
    catch-up (the beat schedule)."""
    if settings.EVENTS_CATCH_UP_AFTER_COMMIT:
        run_after_commit(
            catch_up_projections, robust=True, retry=False, on_refused=_left_to_the_beat
        )


def _left_to_the_beat(error: Exception) -> None:
    log.warning("could not enqueue the catch-up task; the periodic catch-up will run it")
