"""Periodic work of the search projection."""

from celery import shared_task
from django.utils import timezone
from elasticsearch import helpers

from codeledger.elastic import elasticsearch_client
from codes.streams import code_stream
from events.store import read_stream
from search.documents import alias
from search.projector import write_documents


@shared_task(acks_late=True, ignore_result=True)
def reindex_due_codes() -> int:
    """Reindex codes whose scheduled change has come into force (idempotent)."""
    client = elasticsearch_client()
    if not client.indices.exists_alias(name=alias()):
        return 0
    due = helpers.scan(
        client,
        index=alias(),
        _source=["system", "code"],
        query={"query": {"range": {"next_change_on": {"lte": timezone.localdate().isoformat()}}}},
    )
    events = [
        recorded
        for hit in due
        for recorded in read_stream(code_stream(hit["_source"]["system"], hit["_source"]["code"]))[
            -1:
        ]
    ]
    return write_documents(events) if events else 0
