"""The `codes` projector: each code as in force today (CodeEntry) and its versions (CodeVersion);
the `sections` projector: each chapter and block as in force today (SectionEntry)."""

from datetime import date

from django.db.models import Q
from django.utils import timezone

from codes.events import CODE_EVENT_TYPES, CodeRegistered
from codes.models import CodeEntry, CodeVersion, SectionEntry
from codes.sections import SECTION_EVENT_TYPES, section_view
from codes.sections import in_force_from as section_in_force_from
from codes.state import CodeState, evolve_code
from codes.streams import code_of_stream
from codes.systems import get_system
from codes.timeline import in_force_from, in_force_on
from events.bulk import bulk_insert, bulk_insert_values
from events.projections import Projector
from events.store import read_streams


def refresh_code_entry(stream: str, today: date | None = None) -> None:
    """Recompute one code's current row from its stream (see refresh_code_entries)."""
    refresh_code_entries([stream], today)


def refresh_code_entries(streams: list[str], today: date | None = None) -> None:
    """Recompute codes' current rows from their streams.

    Called by the projector for the codes a batch of events touched and, when a scheduled
    change comes into force, by the periodic task (codes.tasks); readers never write. The rows
    are locked before the streams are read, and the position check keeps a slower caller from
    overwriting a row computed from newer events. One query locks, one reads, one writes per
    kind of write.
    """
    today = today or timezone.localdate()
    keys = {stream: code_of_stream(stream) for stream in streams}
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
        values = entry_values(system, code, events, today)
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


def entry_values(system: str, code: str, events: list, today: date) -> dict:
    """A code's current row, computed from its stream (codes.timeline.in_force_on)."""
    standing = in_force_on(events, today)
    view, in_force = standing.view, standing.in_force
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
        "next_change_on": standing.next_change_on,
        "registered_at": view.registered_at,
        "updated_at": view.updated_at,
        "position": view.position,
    }


def _history_row(recorded) -> dict:
    """A CodeVersion row, as values (events.bulk.bulk_insert_values)."""
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
    return {
        "system": event.system,
        "code": event.code,
        "version": recorded.version,
        "type": recorded.type,
        "changes": changes,
        "change_request": getattr(event, "change_request", None),
        "proposer": getattr(event, "proposer", "") or getattr(event, "by", ""),
        "reviewer": getattr(event, "reviewer", ""),
        "effective_from": in_force_from(recorded),
        "recorded_at": recorded.recorded_at,
        "position": recorded.position,
        "source": recorded.meta.get("source", ""),
        "release": recorded.meta.get("release", ""),
    }


def _is_plain_registration(recorded: list, today: date) -> bool:
    """A brand-new code, in force already: its row follows from the one event, no fold needed."""
    return (
        len(recorded) == 1
        and recorded[0].version == 1
        and isinstance(recorded[0].event, CodeRegistered)
        and in_force_from(recorded[0]) <= today
    )


def _entry_from_registration(recorded) -> dict:
    """A plain registration's CodeEntry row, as values: its content is the registration's
    (code_view of the one event, without the fold's bookkeeping)."""
    event = recorded.event
    content = evolve_code(CodeState(), event).content
    return {
        "system": event.system,
        "code": event.code,
        "normalised": get_system(event.system).normalise(event.code),
        "version": 1,
        "in_force_version": 1,
        "in_force": True,
        "official_descriptor": content["official_descriptor"],
        "short_descriptor": content["short_descriptor"],
        "status": content["status"],
        "billable": content["billable"],
        "chapter": content["chapter"],
        "block": content["block"],
        "parent": content["parent"],
        "content": content,
        "needs_review": False,
        "scheduled": [],
        "next_change_on": None,
        "registered_at": recorded.recorded_at,
        "updated_at": recorded.recorded_at,
        "position": recorded.position,
    }


class CodeProjector(Projector):
    name = "codes"
    handles = CODE_EVENT_TYPES

    def apply(self, events):
        code_events: dict[str, list] = {}
        for recorded in events:
            code_events.setdefault(recorded.stream, []).append(recorded)
        bulk_insert_values(
            CodeVersion,
            (_history_row(recorded) for stream in code_events.values() for recorded in stream),
        )
        today = timezone.localdate()
        fresh, touched = [], []
        for stream, recorded in code_events.items():
            if _is_plain_registration(recorded, today):
                fresh.append(_entry_from_registration(recorded[0]))
            else:
                touched.append(stream)
        # A code set import registers thousands of codes: insert those rows in one statement.
        bulk_insert_values(CodeEntry, fresh)
        if touched:
            refresh_code_entries(touched, today)

    def clear(self):
        CodeEntry.objects.all().delete()
        CodeVersion.objects.all().delete()

    def snapshot(self):
        return {
            "codes": snapshot_rows(CodeEntry, ["system", "code"]),
            "versions": snapshot_rows(CodeVersion, ["position"]),
        }


def snapshot_rows(model, order) -> list[dict]:
    """A read model's rows without their surrogate ids (what a rebuild must reproduce)."""
    return [
        {k: v for k, v in row.items() if k != "id"}
        for row in model.objects.order_by(*order).values()
    ]


def section_values(events: list, today: date) -> dict:
    """A section's row computed from its stream: as in force today, or, while the section
    itself is scheduled, as it will be (in_force False) so that the row says when."""
    view = section_view(events, as_of=today)
    in_force = view is not None
    if view is None:
        view = section_view(events, as_of=date.max)
    state = view.state
    return {
        "level": state.level,
        "title": state.title,
        "notes": state.notes,
        "chapter": state.chapter,
        "version": events[-1].version,
        "in_force": in_force,
        "next_change_on": (
            view.next_change_on if in_force else min(map(section_in_force_from, events))
        ),
        "position": events[-1].position,
    }


def refresh_section_entries(streams: list[str], today: date | None = None) -> None:
    """Recompute sections' rows from their streams: for the projector, and for the periodic
    task once a section's scheduled change has come into force (codes.tasks)."""
    today = today or timezone.localdate()
    for history in read_streams(streams).values():
        first = history[0].event
        SectionEntry.objects.update_or_create(
            system=first.system, section=first.section, defaults=section_values(history, today)
        )


class SectionProjector(Projector):
    """About 300 rows for ICD-10-CM: each batch recomputes the rows of the streams it touched."""

    name = "sections"
    handles = SECTION_EVENT_TYPES

    def apply(self, events):
        refresh_section_entries(list(dict.fromkeys(recorded.stream for recorded in events)))

    def clear(self):
        SectionEntry.objects.all().delete()

    def snapshot(self):
        return {"sections": snapshot_rows(SectionEntry, ["system", "section"])}
