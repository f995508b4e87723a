"""The `knowledge` projector: one GlossaryTerm row per glossary stream."""

from codes.projector import snapshot_rows
from events.projections import Projector
from knowledge.events import (
    GLOSSARY_EVENT_TYPES,
    GlossaryTermApproved,
    GlossaryTermProposed,
    GlossaryTermRejected,
)
from knowledge.models import GlossaryTerm


def _apply(recorded) -> None:
    event = recorded.event
    row = GlossaryTerm.objects.filter(term=event.term).first() or GlossaryTerm(term=event.term)
    if isinstance(event, GlossaryTermProposed):
        row.status = "pending"
        row.proposed_plain, row.proposed_source = event.plain, event.source
        row.proposer, row.reviewer, row.reason = event.proposer, "", ""
    elif isinstance(event, GlossaryTermApproved):
        row.status = "approved"
        row.plain, row.source = row.proposed_plain, row.proposed_source
        row.proposed_plain = row.proposed_source = ""
        row.reviewer, row.reason = event.reviewer, event.note
    elif isinstance(event, GlossaryTermRejected):
        # A term approved before keeps its approved wording (and stays in use).
        row.status = "approved" if row.plain else "rejected"
        row.proposed_plain = row.proposed_source = ""
        row.reviewer, row.reason = event.reviewer, event.reason
    row.version, row.position, row.updated_at = (
        recorded.version,
        recorded.position,
        recorded.recorded_at,
    )
    row.save()


class GlossaryProjector(Projector):
    name = "knowledge"
    handles = GLOSSARY_EVENT_TYPES

    def apply(self, events):
        for recorded in events:
            _apply(recorded)

    def clear(self):
        GlossaryTerm.objects.all().delete()

    def snapshot(self):
        return snapshot_rows(GlossaryTerm, ["term"])
