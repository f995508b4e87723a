"""Celery tasks: catch projections up after each commit, and periodically as a safety net."""

import logging
import threading
import time

from celery import shared_task
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from codeledger.background import run_after_commit
from events.models import ProjectorState
from events.projections import RunResult, catch_up, get_projector, projector_names, unapplied
from events.store import head_position

log = logging.getLogger(__name__)

# How long a catch-up waits for a projector that another runner holds (status "busy"). That
# runner may have read the head before this task's commit and end without its events, which
# would then wait for the next commit or the beat (5 s). Its batch for a few new events takes
# tens of milliseconds; one that takes longer is a large catch-up whose later batches see them.
BUSY_WAIT_SECONDS = 2.0
BUSY_POLL_SECONDS = 0.02


@shared_task(acks_late=True, ignore_result=True)
def catch_up_projections() -> list[dict]:
    """Idempotent: each projector reads after its own checkpoint, so duplicates change nothing.

    Only the projectors behind the head run: after a burst of commits, the tasks that follow
    the first find nothing to do in one query instead of a transaction per projector (under
    load these duplicates were most of the worker's time, and made the next commit's task wait).
    """
    behind = projectors_behind()
    waiting_since = _oldest_waiting(SEARCH) if SEARCH in behind else None

    def run(name: str) -> RunResult:
        result = _catch_up(name)
        if name == SEARCH and waiting_since and result.applied and result.status == "caught_up":
            _log_delay(waiting_since)
        return result

    results = [run(name) for name in behind]
    busy = [result.name for result in results if result.status == "busy"]
    deadline = time.monotonic() + BUSY_WAIT_SECONDS
    while busy and time.monotonic() < deadline:
        _pause_for_the_holder()
        again = {name: run(name) for name in busy}
        results = [again.get(result.name, result) for result in results]
        busy = [name for name, result in again.items() if result.status == "busy"]
    return [result.__dict__ for result in results]


def projectors_behind() -> list[str]:
    """The registered projectors whose checkpoint is below the head. One at the head has
    nothing to read: its run would end without a write.

    Those with events of the types they handle after their checkpoint come first, those for
    readers before those for auditors (the audit log, which handles every event), each group in
    name order (the order of events.projections.catch_up_all, which projectors that read
    another's read model rely on); then those whose run only moves their checkpoint. After an
    approval the code's page and its search document are made before the audit log's entry
    and the catch-ups that write nothing, each a transaction (on SQLite, a turn at the write
    lock).
    """
    head = head_position()
    checkpoints = dict(ProjectorState.objects.values_list("name", "checkpoint"))
    behind = [name for name in projector_names() if checkpoints.get(name, 0) < head]

    def nothing_to_apply(name: str) -> bool:
        return not unapplied(name, checkpoints.get(name, 0)).exists()

    def order(name: str) -> tuple[bool, bool]:
        return nothing_to_apply(name), get_projector(name).for_auditors

    return sorted(behind, key=order)  # stable: name order within each group


SEARCH = "search"
DELAY_LOG = "search caught up: %d ms from the commit of its oldest new event to searchable"


def _oldest_waiting(name: str):
    """When the oldest event of its types after the projector's checkpoint was recorded (its
    commit follows within milliseconds), or None."""
    return unapplied(name).order_by("position").values_list("recorded_at", flat=True).first()


def _log_delay(since) -> None:
    """How long a change took to be searchable, the server's side of it: from its commit to
    the end of the search projector's run (the index refreshed). bench/load.py reads these
    lines (--server-log) beside what its observers saw through requests."""
    log.info(DELAY_LOG, (timezone.now() - since).total_seconds() * 1000)


def _pause_for_the_holder() -> None:
    time.sleep(BUSY_POLL_SECONDS)


def _catch_up(name: str) -> RunResult:
    try:
        return catch_up(name)
    except Exception as error:  # a broken projector must not stop the others
        log.exception("catch-up of %s failed", name)
        return RunResult(name, "failed", error=str(error))


# A follower that saw no new event still runs this often: a projector waiting out a backoff
# after a failure is retried, as the beat's periodic catch-up does in production mode.
FOLLOW_RETRY_SECONDS = 5.0


def follow_the_log(*, poll: float = 0.025, stop: threading.Event | None = None) -> None:
    """Keep every projector caught up from a process of its own, until `stop` is set.

    `make run`'s web server (deploy/local/serve.sh) runs this beside gunicorn, its workers
    not projecting after their commits (EVENTS_CATCH_UP_AFTER_COMMIT=false): no user's
    request waits for projections, only one runner takes SQLite's write lock for them (not one
    per committing request), and a burst of commits is projected in one run. It notices a
    commit by reading the head every `poll` seconds (one indexed query), so it lags a commit
    by at most that. The head read before a run is what the next poll compares with: a commit
    made during the run starts another.
    """
    stop = stop or threading.Event()
    seen, last_run = None, 0.0
    while not stop.is_set():
        try:
            head = head_position()
            if head != seen or time.monotonic() - last_run > FOLLOW_RETRY_SECONDS:
                catch_up_projections()
                seen, last_run = head, time.monotonic()
                continue
        except Exception:  # the database busy or gone for a moment: try again at the next poll
            log.exception("following the log failed; retrying")
            close_old_connections()
        stop.wait(poll)


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
