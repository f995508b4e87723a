"""Background work of the audit app: the chain verification run."""

import logging

from celery import shared_task
from django.utils import timezone

from audit.models import VerificationRun
from events.integrity import Digest, verify_chain
from events.models import Event

log = logging.getLogger(__name__)

PROGRESS_EVERY = 5000  # events between two progress writes


@shared_task(acks_late=True, ignore_result=True)
def verify_log(run_id: str) -> str:
    """Walk the whole chain, writing progress as it goes; the run ends ok, failed (with the
    first position that does not fit) or error (the check itself could not finish)."""
    runs = VerificationRun.objects.filter(pk=run_id)
    run = runs.first()
    if run is None or run.finished:
        return run.status if run else "missing"
    runs.update(
        status=VerificationRun.RUNNING, started_at=timezone.now(), total=Event.objects.count()
    )
    checked = 0

    def progress(step: int) -> None:
        nonlocal checked
        checked += step
        if checked % PROGRESS_EVERY == 0:
            runs.update(checked=checked)

    digest = (
        Digest(run.digest_position, run.digest_hash, run.digest_taken_at)
        if run.digest_hash
        else None
    )
    try:
        result = verify_chain(digest=digest, progress=progress)
    except Exception as error:
        log.exception("verification %s could not finish", run_id)
        runs.update(status=VerificationRun.ERROR, error=str(error), finished_at=timezone.now())
        return VerificationRun.ERROR
    problem = result.problem
    status = VerificationRun.OK if result.ok else VerificationRun.FAILED
    runs.update(
        status=status,
        checked=result.count,
        head_position=result.head_position,
        head_hash=result.head_hash,
        problem_position=problem.position if problem else None,
        problem_kind=problem.kind if problem else "",
        problem_detail=problem.detail if problem else "",
        finished_at=timezone.now(),
    )
    if problem:
        log.error("verification %s: the log is not intact: %s", run_id, problem)
    else:
        log.info(
            "verification %s: %s events intact up to position %s",
            run_id,
            result.count,
            result.head_position,
        )
    return status
