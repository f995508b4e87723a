"""Periodic work of the editorial domain."""

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from editorial import services
from editorial.models import CodeEntry
from editorial.read_models import refresh_code_entry
from editorial.systems import code_stream
from events.store import ConcurrencyError


@shared_task(acks_late=True, ignore_result=True)
def publish_due_changes() -> int:
    """Bring codes whose scheduled change has come into force up to date (idempotent)."""
    due = CodeEntry.objects.filter(next_change_on__lte=timezone.localdate())
    count = 0
    for system, code in due.values_list("system", "code"):
        with transaction.atomic():
            refresh_code_entry(code_stream(system, code))
        count += 1
    return count


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(ConcurrencyError,), max_retries=5)
def approve_release(release_id: str, reviewer: str, note: str = "") -> int:
    """Approve every pending item of a release as `reviewer` (a large release's approve-all).

    Idempotent: a redelivered or retried task applies only the items still pending; the
    reviewer's rights are checked again when it runs."""
    user = get_user_model().objects.get(username=reviewer)
    decision = services.release_approve(
        actor=services.actor_for(user), release_id=release_id, note=note
    )
    return len(decision.applied)


def enqueue_release_approval(release_id: str, reviewer: str, note: str = "") -> None:
    """After the current transaction commits: the approval task, or in-process when tasks run
    eagerly (the embedded default)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(lambda: approve_release(release_id, reviewer, note))
    else:
        transaction.on_commit(lambda: approve_release.delay(release_id, reviewer, note))
