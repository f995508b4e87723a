"""Periodic work of the editorial domain."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from editorial.models import CodeEntry
from editorial.read_models import refresh_code_entry
from editorial.systems import code_stream


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
