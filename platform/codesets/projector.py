"""The `codesets` projector: release change sets (ReleaseEntry) and their items (ReleaseItem)."""

from django.db.models import Count

from codes.projector import snapshot_rows
from codesets.events import (
    RELEASE_EVENT_TYPES,
    ReleaseItemsApplied,
    ReleaseItemsConflicted,
    ReleaseItemsListed,
    ReleaseItemsRejected,
    ReleaseProposed,
)
from codesets.models import ReleaseEntry, ReleaseItem
from events.bulk import bulk_insert
from events.projections import Projector


def _apply(recorded) -> None:
    event = recorded.event
    if isinstance(event, ReleaseProposed):
        ReleaseEntry.objects.create(
            release_id=event.release_id,
            system=event.system,
            source=event.source,
            release=event.release,
            proposer=event.proposer,
            effective_from=event.effective_from,
            counts=event.counts or {},
            version=recorded.version,
            proposed_at=recorded.recorded_at,
            updated_at=recorded.recorded_at,
            proposed_position=recorded.position,
            position=recorded.position,
        )
        return
    items = ReleaseItem.objects.filter(release_id=event.release_id)
    if isinstance(event, ReleaseItemsListed):
        bulk_insert(
            ReleaseItem,
            [
                ReleaseItem(
                    release_id=event.release_id,
                    code=item["code"],
                    kind=item["kind"],
                    fields=f",{','.join(sorted(item['changes']))},",
                    changes=item["changes"],
                    effective_from=item.get("effective_from"),
                    position=recorded.position,
                )
                for item in event.items
            ],
        )
    elif isinstance(event, ReleaseItemsApplied | ReleaseItemsRejected):
        applied = isinstance(event, ReleaseItemsApplied)
        items.filter(code__in=event.codes).update(
            status="applied" if applied else "rejected",
            decided_by=event.reviewer,
            reason=event.note if applied else event.reason,
            conflicts={},
            position=recorded.position,
        )
    elif isinstance(event, ReleaseItemsConflicted):
        for code, conflicts in event.conflicts.items():
            items.filter(code=code).update(conflicts=conflicts, position=recorded.position)
    by_status = dict(items.values_list("status").annotate(n=Count("id")).order_by())
    ReleaseEntry.objects.filter(release_id=event.release_id).update(
        items=sum(by_status.values()),
        pending=by_status.get("pending", 0),
        applied=by_status.get("applied", 0),
        rejected=by_status.get("rejected", 0),
        conflicted=items.filter(status="pending").exclude(conflicts={}).count(),
        version=recorded.version,
        updated_at=recorded.recorded_at,
        position=recorded.position,
    )


class CodeSetsProjector(Projector):
    name = "codesets"
    handles = RELEASE_EVENT_TYPES

    def apply(self, events):
        for recorded in events:
            _apply(recorded)

    def clear(self):
        ReleaseEntry.objects.all().delete()
        ReleaseItem.objects.all().delete()

    def snapshot(self):
        return {
            "releases": snapshot_rows(ReleaseEntry, ["proposed_position"]),
            "release_items": snapshot_rows(ReleaseItem, ["release_id", "code"]),
        }
