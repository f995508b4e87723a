"""Chapters and blocks of a code system, with the instructional notes the tabular writes on them.

They are not codes: nobody proposes a change to them, and no code's `parent` names them. A
code names its block in `content["block"]` ("Injuries to the hip and thigh (S70-S79)"), and a
block names its chapter. Their notes (chapter 19's Excludes2, block S70-S79's Excludes2) apply
to every code below them, like a category's notes (codes.selectors.applicable_notes).

Each section is a stream, `section:<system>:<section>` (codes.streams.section_stream), with:

- `SectionRecorded`: its level (chapter | block), title, notes and, for a block, the number of
  its chapter; recorded by a code set's import or by the release that first carries it;
- `SectionRevised`: a later release's different title, notes or chapter, field by field as
  `{"from", "to"}`, with the release's id and effective date.

A section's content on a date folds its stream like a code's (codes.timeline): each event is in
force from its effective date or, without one, from the day it was recorded; `known_at`
forgets what was recorded later. No database here.
"""

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from events.registry import event_type
from events.store import RecordedEvent

LEVELS = ("chapter", "block")
# What a later release compares, and what a revision may change.
SECTION_FIELDS = ("title", "notes", "chapter")


@event_type("SectionRecorded")
@dataclass(frozen=True)
class SectionRecorded:
    system: str
    section: str  # a block's name ("S70-S79", "B99") or a chapter's number ("19")
    level: str  # chapter | block
    title: str
    notes: dict  # note kind -> [text], as a code's notes (codes.content.NOTE_KINDS)
    chapter: str = ""  # a block's chapter number; "" for a chapter
    effective_from: str | None = None  # ISO date; None: in force when recorded
    release_id: str | None = None  # the release change set that carried it, if any


@event_type("SectionRevised")
@dataclass(frozen=True)
class SectionRevised:
    system: str
    section: str
    changes: dict  # field -> {"from": old, "to": new}
    effective_from: str | None = None
    release_id: str | None = None


SECTION_EVENTS = (SectionRecorded, SectionRevised)
SECTION_EVENT_TYPES = frozenset(cls.event_type for cls in SECTION_EVENTS)


@dataclass(frozen=True)
class SectionState:
    system: str = ""
    section: str = ""
    level: str = ""
    title: str = ""
    notes: dict = field(default_factory=dict)
    chapter: str = ""
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def label(self) -> str:
        """How a note's origin names it: "S70-S79" for a block, "Chapter 19" for a chapter."""
        return f"Chapter {self.section}" if self.level == "chapter" else self.section

    def content(self) -> dict:
        """The fields a release compares (SECTION_FIELDS)."""
        return {"title": self.title, "notes": self.notes, "chapter": self.chapter}


def evolve_section(state: SectionState, event) -> SectionState:
    version = state.version + 1
    if isinstance(event, SectionRecorded):
        return SectionState(
            event.system,
            event.section,
            event.level,
            event.title,
            dict(event.notes),
            event.chapter,
            version,
        )
    changes = {name: change["to"] for name, change in event.changes.items()}
    return replace(state, version=version, **changes)


def in_force_from(recorded: RecordedEvent) -> date:
    effective = getattr(recorded.event, "effective_from", None)
    return date.fromisoformat(effective) if effective else recorded.recorded_at.date()


@dataclass(frozen=True)
class SectionView:
    state: SectionState
    position: int  # of the last event applied
    next_change_on: date | None  # when a revision recorded already comes into force


def section_view(
    events: list[RecordedEvent], *, as_of: date, known_at: datetime | None = None
) -> SectionView | None:
    """The section as in force on `as_of`, as known at `known_at`; None if it was not yet."""
    if known_at is not None:
        events = [e for e in events if e.recorded_at <= known_at]
    state, position, upcoming = SectionState(), 0, []
    for recorded in events:
        if in_force_from(recorded) <= as_of:
            state, position = evolve_section(state, recorded.event), recorded.position
        else:
            upcoming.append(in_force_from(recorded))
    if not state.exists:
        return None
    return SectionView(state, position, min(upcoming, default=None))


# The block a code's `block` label names: its last parenthesised part, "Injuries to the hip and
# thigh (S70-S79)" -> "S70-S79" (every ICD-10-CM block title ends so).
_BLOCK_NAME = re.compile(r"\(([^()]+)\)\s*$")


def block_of(label: str) -> str | None:
    """The block's name in a code's `block` label, or None when the label names none."""
    found = _BLOCK_NAME.search(label or "")
    return found.group(1).strip() if found else None


def block_range(name: str) -> tuple[str, str]:
    """The first and last category of a block: "T20-T32" -> ("T20", "T32"), "B99" -> both."""
    first, _, last = name.partition("-")
    return first, last or first


def contains(outer: str, inner: str) -> bool:
    """Whether block `outer` spans block `inner`: the tabular heads some runs of blocks with a
    block of its own that holds notes only ("Burns and corrosions (T20-T32)" over T20-T25,
    T26-T28, ...); its notes apply to the codes of the blocks it spans. Categories sort as
    text in ICD-10-CM ("O99" < "O9A")."""
    (outer_first, outer_last), (inner_first, inner_last) = block_range(outer), block_range(inner)
    return outer != inner and outer_first <= inner_first and inner_last <= outer_last
