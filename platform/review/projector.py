"""The `review` projector: the review queue, one row per change request in its latest state."""

from codes.projector import snapshot_rows
from events.projections import Projector
from review.events import (
    CHANGE_EVENT_TYPES,
    ChangeRequestApproved,
    ChangeRequestChangesRequested,
    ChangeRequestCommented,
    ChangeRequestRejected,
    ChangeRequestRevised,
    ChangeRequestSubmitted,
    ChangeRequestWithdrawn,
)
from review.models import ChangeRequestEntry


def _apply(recorded) -> None:
    event = recorded.event
    if isinstance(event, ChangeRequestSubmitted):
        ChangeRequestEntry.objects.create(
            change_id=event.change_id,
            system=event.system,
            code=event.code,
            is_new=event.is_new,
            kind=event.kind,
            reverts_version=event.reverts_version,
            status="submitted",
            proposer=event.proposer,
            rationale=event.rationale,
            changes=event.changes,
            base_version=event.base_version,
            effective_from=event.effective_from,
            version=recorded.version,
            submitted_at=recorded.recorded_at,
            updated_at=recorded.recorded_at,
            submitted_position=recorded.position,
            position=recorded.position,
        )
        return
    entry = ChangeRequestEntry.objects.get(change_id=event.change_id)
    if isinstance(event, ChangeRequestRevised):
        entry.status, entry.decision = "submitted", ""
        entry.base_version, entry.changes = event.base_version, event.changes
        entry.rationale, entry.effective_from = event.rationale, event.effective_from
    elif isinstance(event, ChangeRequestCommented):
        entry.comments = [
            *entry.comments,
            {
                "id": event.comment_id,
                "author": event.author,
                "text": event.text,
                "at": recorded.recorded_at.isoformat(),
                "position": recorded.position,
            },
        ]
    elif isinstance(event, ChangeRequestApproved):
        entry.status, entry.reviewer, entry.decision = "approved", event.reviewer, event.note
        entry.code_version = event.code_version
    elif isinstance(event, ChangeRequestRejected):
        entry.status, entry.reviewer, entry.decision = "rejected", event.reviewer, event.reason
    elif isinstance(event, ChangeRequestChangesRequested):
        entry.status, entry.reviewer = "changes_requested", event.reviewer
        entry.decision = event.message
    elif isinstance(event, ChangeRequestWithdrawn):
        entry.status = "withdrawn"
    entry.version, entry.position, entry.updated_at = (
        recorded.version,
        recorded.position,
        recorded.recorded_at,
    )
    entry.save()


class ReviewProjector(Projector):
    name = "review"
    handles = CHANGE_EVENT_TYPES

    def apply(self, events):
        for recorded in events:
            _apply(recorded)

    def clear(self):
        ChangeRequestEntry.objects.all().delete()

    def snapshot(self):
        return {"change_requests": snapshot_rows(ChangeRequestEntry, ["submitted_position"])}
