"""Periodic work of codes: rows whose scheduled change has come into force."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from codes.models import CodeEntry
from codes.projector import refresh_code_entry
from codes.streams import code_stream


@shared_task(acks_late=True, ignore_result=True)
def publish_due_changes() -> int:
    """Bring codes whose scheduled change has come into force up to date (idempotent)."""
    due = CodeEntry.objects.due(timezone.localdate())
    count = 0
    for system, code in due.values_list("system", "code"):
        with transaction.atomic():
            refresh_code_entry(code_stream(system, code))
        count += 1
    return count
