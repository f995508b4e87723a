"""The `editorial` projector: code entries as in force today, their versions, the review queue."""

from dataclasses import replace
from datetime import date

from django.db.models import Count, Q
from django.utils import timezone

from editorial.events import (
    CODE_EVENTS,
    EDITORIAL_EVENT_TYPES,
    RELEASE_EVENTS,
    ChangeRequestApproved,
    ChangeRequestChangesRequested,
    ChangeRequestCommented,
    ChangeRequestRejected,
    ChangeRequestRevised,
    ChangeRequestSubmitted,
    ChangeRequestWithdrawn,
    CodeRegistered,
    ReleaseItemsApplied,
    ReleaseItemsConflicted,
    ReleaseItemsListed,
    ReleaseItemsRejected,
    ReleaseProposed,
)
from editorial.models import ChangeRequestEntry, CodeEntry, CodeVersion, ReleaseEntry, ReleaseItem
from editorial.systems import get_system
from editorial.timeline import code_view, describe, in_force_from
from events.bulk import bulk_insert
from events.projections import Projector
from events.store import read_streams


def refresh_code_entry(stream: str, today: date | None = None) -> None:
    """Recompute one code's current row from its stream (see refresh_code_entries)."""
    refresh_code_entries([stream], today)


def refresh_code_entries(streams: list[str], today: date | None = None) -> None:
    """Recompute codes' current rows from their streams (the only way rows are written).

    Called by the projector for the codes a batch of events touched and, when a scheduled
    change comes into force, by the beat task or the read that notices it. The rows are locked
    before the streams are read, and the position check keeps a slower caller from overwriting a
    row computed from newer events. One query locks, one reads, one writes per kind of write.
    """
    today = today or timezone.localdate()
    keys = {stream: tuple(stream.split(":", 2)[1:]) for stream in streams}
    by_system: dict[str, list[str]] = {}
    for system, code in keys.values():
        by_system.setdefault(system, []).append(code)
    locked = Q(pk__in=[])
    for system, codes in by_system.items():
        locked |= Q(system=system, code__in=codes)
    existing = {
        (row.system, row.code): row for row in CodeEntry.objects.select_for_update().filter(locked)
    }
    histories = read_streams(streams)
    creates, updates = [], []
    for stream, (system, code) in keys.items():
        events = histories[stream]
        values = _entry_values(system, code, events, today)
        row = existing.get((system, code))
        if row is None:
            creates.append(CodeEntry(system=system, code=code, **values))
        elif not (row.position > values["position"] and row.version >= values["version"]):
            for name, value in values.items():
                setattr(row, name, value)
            updates.append(row)
    bulk_insert(CodeEntry, creates)
    CodeEntry.objects.bulk_update(updates, ENTRY_FIELDS, batch_size=200)


ENTRY_FIELDS = [
    "normalised",
    "version",
    "in_force_version",
    "in_force",
    "official_descriptor",
    "short_descriptor",
    "status",
    "billable",
    "chapter",
    "block",
    "parent",
    "content",
    "needs_review",
    "scheduled",
    "next_change_on",
    "registered_at",
    "updated_at",
    "position",
]


def _entry_values(system: str, code: str, events: list, today: date) -> dict:
    view = code_view(events, as_of=today)
    in_force = view is not None
    if not in_force:
        # Registered with a future effective date: keep a row that waits for that day.
        view = code_view(events, as_of=date.max)
        view = replace(view, scheduled=[describe(e) for e in events])
    content = view.state.content
    return {
        "normalised": get_system(system).normalise(code),
        "version": events[-1].version,
        "in_force_version": view.state.version if in_force else 0,
        "in_force": in_force,
        "official_descriptor": content["official_descriptor"],
        "short_descriptor": content["short_descriptor"],
        "status": content["status"],
        "billable": content["billable"],
        "chapter": content["chapter"],
        "block": content["block"],
        "parent": content["parent"],
        "content": content,
        "needs_review": view.state.needs_review,
        "scheduled": view.scheduled,
        "next_change_on": view.next_change_on if in_force else in_force_from(events[0]),
        "registered_at": view.registered_at,
        "updated_at": view.updated_at,
        "position": view.position,
    }


def _history_row(recorded) -> CodeVersion:
    event = recorded.event
    if isinstance(event, CodeRegistered):
        changes = {name: {"from": None, "to": value} for name, value in event.content.items()}
    elif hasattr(event, "changes"):
        changes = event.changes
    elif recorded.type in ("CodeRetired", "CodeReinstated"):
        to = "retired" if recorded.type == "CodeRetired" else "active"
        changes = {"status": {"from": "active" if to == "retired" else "retired", "to": to}}
    else:
        changes = {}
    return CodeVersion(
        system=event.system,
        code=event.code,
        version=recorded.version,
        type=recorded.type,
        changes=changes,
        change_request=getattr(event, "change_request", None),
        proposer=getattr(event, "proposer", "") or getattr(event, "by", ""),
        reviewer=getattr(event, "reviewer", ""),
        effective_from=in_force_from(recorded),
        recorded_at=recorded.recorded_at,
        position=recorded.position,
        source=recorded.meta.get("source", ""),
        release=recorded.meta.get("release", ""),
    )


def _apply_change_event(recorded) -> None:
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


def _apply_release_event(recorded) -> None:
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


RELEASE_EVENT_TYPES = frozenset(cls.event_type for cls in RELEASE_EVENTS)
CODE_EVENT_TYPES = frozenset(cls.event_type for cls in CODE_EVENTS)


def _is_plain_registration(recorded: list, today: date) -> bool:
    """A brand-new code, in force already: its row follows from the one event, no fold needed."""
    return (
        len(recorded) == 1
        and recorded[0].version == 1
        and isinstance(recorded[0].event, CodeRegistered)
        and in_force_from(recorded[0]) <= today
    )


def _entry_from_registration(recorded) -> CodeEntry:
    view = code_view([recorded], as_of=in_force_from(recorded))
    content, event = view.state.content, recorded.event
    return CodeEntry(
        system=event.system,
        code=event.code,
        normalised=get_system(event.system).normalise(event.code),
        version=1,
        in_force_version=1,
        in_force=True,
        official_descriptor=content["official_descriptor"],
        short_descriptor=content["short_descriptor"],
        status=content["status"],
        billable=content["billable"],
        chapter=content["chapter"],
        block=content["block"],
        parent=content["parent"],
        content=content,
        needs_review=False,
        scheduled=[],
        next_change_on=None,
        registered_at=recorded.recorded_at,
        updated_at=recorded.recorded_at,
        position=recorded.position,
    )


class EditorialProjector(Projector):
    name = "editorial"
    handles = EDITORIAL_EVENT_TYPES

    def apply(self, events):
        code_events: dict[str, list] = {}
        for recorded in events:
            if recorded.type in CODE_EVENT_TYPES:
                code_events.setdefault(recorded.stream, []).append(recorded)
            elif recorded.type in RELEASE_EVENT_TYPES:
                _apply_release_event(recorded)
            else:
                _apply_change_event(recorded)
        bulk_insert(
            CodeVersion,
            [_history_row(recorded) for stream in code_events.values() for recorded in stream],
        )
        today = timezone.localdate()
        fresh, touched = [], []
        for stream, recorded in code_events.items():
            if _is_plain_registration(recorded, today):
                fresh.append(_entry_from_registration(recorded[0]))
            else:
                touched.append(stream)
        # A code set import registers thousands of codes: insert those rows in one statement.
        bulk_insert(CodeEntry, fresh)
        if touched:
            refresh_code_entries(touched, today)

    def clear(self):
        CodeEntry.objects.all().delete()
        CodeVersion.objects.all().delete()
        ChangeRequestEntry.objects.all().delete()
        ReleaseEntry.objects.all().delete()
        ReleaseItem.objects.all().delete()

    def snapshot(self):
        def rows(model, order):
            return [
                {k: v for k, v in row.items() if k != "id"}
                for row in model.objects.order_by(*order).values()
            ]

        return {
            "codes": rows(CodeEntry, ["system", "code"]),
            "versions": rows(CodeVersion, ["position"]),
            "change_requests": rows(ChangeRequestEntry, ["submitted_position"]),
            "releases": rows(ReleaseEntry, ["proposed_position"]),
            "release_items": rows(ReleaseItem, ["release_id", "code"]),
        }
