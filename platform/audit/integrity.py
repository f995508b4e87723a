"""Chain verification for auditors: a background run with progress, its result, and digests.

`events.integrity.verify_chain` does the checking; this module records each run (who asked,
how far it got, what it found) so the page and the API can show it while it runs and after.

With a broker the run is a Celery task on the worker. Without one (the embedded default, where
other tasks run eagerly in the request) a verification would hold the auditor's request for as
long as it takes, a minute on the real code set, so it runs the same task in a thread of this
process instead: the request answers at once and the page polls the same progress.
"""

import logging
import threading

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from audit.models import VerificationRun
from audit.tasks import verify_log
from codeledger.background import run_after_commit
from events.canonical import canonical_time
from events.integrity import Digest
from events.store import head_hash, head_position

log = logging.getLogger(__name__)


def head() -> dict:
    position = head_position()
    return {"position": position, "hash": head_hash() if position else ""}


def last_run() -> VerificationRun | None:
    return VerificationRun.objects.first()


def last_finished_run() -> VerificationRun | None:
    unfinished = [VerificationRun.QUEUED, VerificationRun.RUNNING]
    return VerificationRun.objects.exclude(status__in=unfinished).first()


def start(*, requested_by: str, digest: Digest | None = None) -> tuple[VerificationRun, bool]:
    """A new verification run (queued, then run in the background), or the one already under
    way when no digest is given: (run, created)."""
    with transaction.atomic():
        busy = VerificationRun.objects.select_for_update().filter(
            status__in=[VerificationRun.QUEUED, VerificationRun.RUNNING]
        )
        if settings.CELERY_TASK_ALWAYS_EAGER:
            _end_interrupted(busy)
        if digest is None and (current := busy.first()):
            return current, False
        run = VerificationRun.objects.create(
            requested_by=requested_by,
            digest_position=digest.position if digest else None,
            digest_hash=digest.hash if digest else "",
            digest_taken_at=digest.taken_at if digest else "",
        )
        run_id = str(run.pk)
        if settings.CELERY_TASK_ALWAYS_EAGER:
            thread = _thread_for(run_id)
            transaction.on_commit(thread.start)
        else:
            run_after_commit(
                verify_log, run_id, on_refused=lambda error: _not_queued(run_id, error)
            )
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        run.refresh_from_db()  # the broker may have refused it
    return run, True


# The embedded default's verifications owned by this process, by run id: from their creation
# (the thread starts once the run is committed) until their thread ends.
_threads: dict[str, threading.Thread] = {}
_threads_lock = threading.Lock()


def _thread_for(run_id: str) -> threading.Thread:
    thread = threading.Thread(
        target=_verify_in_thread, args=(run_id,), name=f"verification-{run_id}", daemon=True
    )
    with _threads_lock:
        _threads[run_id] = thread
    return thread


def _verify_in_thread(run_id: str) -> None:
    try:
        verify_log(run_id)
    except Exception as error:  # verify_log records the check's own errors; this is the rest
        log.exception("verification %s stopped", run_id)
        _end_unfinished([run_id], f"it stopped ({type(error).__name__}: {error})")
    finally:
        connections.close_all()  # this thread's connections only
        with _threads_lock:
            _threads.pop(run_id, None)


def _end_interrupted(busy) -> None:
    """Runs left queued or running by a server that stopped meanwhile (no thread here runs
    them) end as errors, so they do not stand as "already under way" for ever."""
    with _threads_lock:
        owned = set(_threads)
    orphans = [str(pk) for pk in busy.values_list("pk", flat=True) if str(pk) not in owned]
    _end_unfinished(orphans, "it was interrupted (the server stopped while it ran)")


def _end_unfinished(run_ids: list[str], why: str) -> None:
    VerificationRun.objects.filter(
        pk__in=run_ids, status__in=[VerificationRun.QUEUED, VerificationRun.RUNNING]
    ).update(
        status=VerificationRun.ERROR,
        error=f"{why}; start a new verification",
        finished_at=timezone.now(),
    )


def wait_for(run_id, timeout: float | None = None) -> bool:
    """Wait until this process's background verification `run_id` ends (at once if none runs):
    for a clean stop and for tests. False if it still runs after `timeout` seconds."""
    with _threads_lock:
        thread = _threads.get(str(run_id))
    if thread is None:
        return True
    if thread.ident is None:  # created, but its run was never committed: it never starts
        return False
    thread.join(timeout)
    return not thread.is_alive()


def _not_queued(run_id: str, error: Exception) -> None:
    """A broker that does not take the run's task ends the run as an error, which the auditor
    sees and can start again, instead of a run queued forever that every later request would
    be handed as "already under way"."""
    log.warning("verification %s could not be queued", run_id)
    VerificationRun.objects.filter(pk=run_id, status=VerificationRun.QUEUED).update(
        status=VerificationRun.ERROR,
        error=f"could not be queued ({type(error).__name__}: the task broker did not take "
        "it); start a new verification",
        finished_at=timezone.now(),
    )


def digest_of(run: VerificationRun) -> Digest:
    """The digest an auditor keeps: the head that this successful run verified."""
    return Digest.issued(run.head_position, run.head_hash, canonical_time(run.finished_at))
