"""Periodic work of codes: rows (codes, chapters and blocks) whose scheduled change has come
into force."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from codes.models import CodeEntry, SectionEntry
from codes.projector import refresh_code_entry, refresh_section_entries
from codes.streams import code_stream, section_stream


@shared_task(acks_late=True, ignore_result=True)
def publish_due_changes() -> int:
    """Bring codes, chapters and blocks whose scheduled change has come into force up to date
    (idempotent); how many rows it brought forward."""
    today = timezone.localdate()
    due = CodeEntry.objects.due(today)
    count = 0
    for system, code in due.values_list("system", "code"):
        with transaction.atomic():
            refresh_code_entry(code_stream(system, code))
        count += 1
    sections = SectionEntry.objects.filter(next_change_on__lte=today)
    for system, section in sections.values_list("system", "section"):
        with transaction.atomic():
            refresh_section_entries([section_stream(system, section)], today)
        count += 1
    return count
