"""Chain verification for auditors: a background run with progress, its result, and digests.

`events.integrity.verify_chain` does the checking; this module records each run (who asked,
how far it got, what it found) so the page and the API can show it while it runs and after.
"""

import logging

from django.conf import settings
from django.db import transaction
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
        if digest is None and (current := busy.first()):
            return current, False
        run = VerificationRun.objects.create(
            requested_by=requested_by,
            digest_position=digest.position if digest else None,
            digest_hash=digest.hash if digest else "",
            digest_taken_at=digest.taken_at if digest else "",
        )
        run_id = str(run.pk)
        run_after_commit(verify_log, run_id, on_refused=lambda error: _not_queued(run_id, error))
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        run.refresh_from_db()  # the broker may have refused it
    return run, True


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
