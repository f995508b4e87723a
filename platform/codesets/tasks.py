"""A release's approve-all: here and now, or, when it is large, by a background task."""

from celery import shared_task
from django.contrib.auth import get_user_model

from codeledger.background import run_after_commit
from codeledger.domain import Actor, actor_for
from codesets import actions
from codesets.domain import check_decider
from events.store import ConcurrencyError, head_position

# An approve-all of more pending items than this runs as a background task.
RELEASE_SYNC_LIMIT = 1000


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(ConcurrencyError,), max_retries=5)
def approve_release(release_id: str, reviewer: str, note: str = "") -> int:
    """Approve every pending item of a release as `reviewer` (a large release's approve-all).

    Idempotent: a redelivered or retried task applies only the items still pending; the
    reviewer's rights are checked again when it runs."""
    user = get_user_model().objects.get(username=reviewer)
    decision = actions.release_approve(actor=actor_for(user), release_id=release_id, note=note)
    return len(decision.applied)


def release_approve_all(*, actor: Actor, release_id, note: str = "") -> actions.ReleaseDecision:
    """Approve every pending item: here and now, or, above RELEASE_SYNC_LIMIT pending items, by
    the background task after commit (what the task would refuse is refused now)."""
    release = actions.release_target(release_id)
    if len(release.pending) <= RELEASE_SYNC_LIMIT:
        return actions.release_approve(actor=actor, release_id=release_id, note=note)
    check_decider(actor, release, "approve")
    run_after_commit(approve_release, str(release_id), actor.username, note)
    return actions.ReleaseDecision(
        release, [], [], {}, head_position(), queued=len(release.pending)
    )
