"""Release change-set events (stream `release:<uuid>`, codes.streams), registered by name.

A new edition of a code set, diffed against the current state: one item per code (added,
revised or retired), reviewed as a batch. Items are listed in chunks so that no single event
grows with the size of the release.
"""

from dataclasses import dataclass

from events.registry import event_type


@event_type("ReleaseProposed")
@dataclass(frozen=True)
class ReleaseProposed:
    release_id: str
    system: str
    source: str
    release: str
    proposer: str
    effective_from: str | None = None
    counts: dict | None = None  # kind -> number of items; field -> number of revisions


@event_type("ReleaseItemsListed")
@dataclass(frozen=True)
class ReleaseItemsListed:
    release_id: str
    items: list  # {"code", "kind": added|revised|retired, "content" | "changes"}


@event_type("ReleaseItemsApplied")
@dataclass(frozen=True)
class ReleaseItemsApplied:
    """Items approved and applied: appended in the same atomic append as their code events."""

    release_id: str
    reviewer: str
    codes: list
    note: str = ""


@event_type("ReleaseItemsRejected")
@dataclass(frozen=True)
class ReleaseItemsRejected:
    release_id: str
    reviewer: str
    codes: list
    reason: str


@event_type("ReleaseItemsConflicted")
@dataclass(frozen=True)
class ReleaseItemsConflicted:
    """Items an approval could not apply: their codes moved since the release was diffed."""

    release_id: str
    reviewer: str
    conflicts: dict  # code -> {field: current value}


RELEASE_EVENTS = (
    ReleaseProposed,
    ReleaseItemsListed,
    ReleaseItemsApplied,
    ReleaseItemsRejected,
    ReleaseItemsConflicted,
)

RELEASE_EVENT_TYPES = frozenset(cls.event_type for cls in RELEASE_EVENTS)
