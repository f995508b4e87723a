"""A code's content on a date, as known at a moment: the fold of one stream, filtered in time.

Each code event is in force from its effective date (or, without one, from the day it was
recorded). The content in force on date D applies, in version order, every event in force by D;
`known_at=T` first forgets every event recorded after T (what the platform said at T).
"""

from dataclasses import dataclass, replace
from datetime import date, datetime

from codes.events import CodeRegistered
from codes.state import CodeState, evolve_code
from events.store import RecordedEvent


@dataclass(frozen=True)
class CodeView:
    state: CodeState
    registered_at: datetime
    updated_at: datetime
    position: int
    scheduled: list  # changes approved but not yet in force: {version, effective_from, ...}

    @property
    def next_change_on(self) -> date | None:
        return min((date.fromisoformat(s["effective_from"]) for s in self.scheduled), default=None)


def in_force_from(recorded: RecordedEvent) -> date:
    effective = getattr(recorded.event, "effective_from", None)
    return date.fromisoformat(effective) if effective else recorded.recorded_at.date()


def describe(recorded: RecordedEvent) -> dict:
    event = recorded.event
    fields = sorted(getattr(event, "changes", None) or getattr(event, "content", None) or {})
    return {
        "version": recorded.version,
        "type": recorded.type,
        "effective_from": in_force_from(recorded).isoformat(),
        "fields": fields,
        "change_request": getattr(event, "change_request", None),
    }


def code_view(
    events: list[RecordedEvent], *, as_of: date, known_at: datetime | None = None
) -> CodeView | None:
    """The code as in force on `as_of` (as known at `known_at`); None if not in force then."""
    if known_at is not None:
        events = [e for e in events if e.recorded_at <= known_at]
    if not events or not isinstance(events[0].event, CodeRegistered):
        return None
    state, applied, scheduled = CodeState(), [], []
    for recorded in events:
        if in_force_from(recorded) <= as_of:
            state = evolve_code(state, recorded.event)
            applied.append(recorded)
        else:
            scheduled.append(describe(recorded))
    if not applied or not isinstance(applied[0].event, CodeRegistered):
        return None
    if state.version != applied[-1].version:  # not a whole stream from version 1
        state = replace(state, version=applied[-1].version)
    return CodeView(
        state=state,
        registered_at=applied[0].recorded_at,
        updated_at=applied[-1].recorded_at,
        position=applied[-1].position,
        scheduled=scheduled,
    )


@dataclass(frozen=True)
class InForce:
    """A code on a day: `view` is the content in force then (or, while the registration itself
    is scheduled, the content it will have), `next_change_on` when that answer next changes."""

    view: CodeView
    in_force: bool
    next_change_on: date | None


def in_force_on(events: list[RecordedEvent], day: date) -> InForce | None:
    """The one answer to "what is in force on `day`" that the read models (codes.projector),
    the search index (search.projector) and readers (codes.selectors) share; None for a
    stream with no registration."""
    view = code_view(events, as_of=day)
    if view is not None:
        return InForce(view, True, view.next_change_on)
    upcoming = code_view(events, as_of=date.max)
    if upcoming is None:
        return None
    # Registered with a future effective date: every event waits for that day.
    upcoming = replace(upcoming, scheduled=[describe(e) for e in events])
    return InForce(upcoming, False, in_force_from(events[0]))
