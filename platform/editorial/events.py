"""Editorial events: what happened to code entries and change requests (registered by name)."""

from dataclasses import dataclass

from events.registry import event_type

# --- code entries (stream `code:<system>:<code>`) -------------------------------------------


@event_type("CodeRegistered")
@dataclass(frozen=True)
class CodeRegistered:
    system: str
    code: str
    content: dict
    effective_from: str | None = None  # ISO date; None: in force when recorded
    change_request: str | None = None
    proposer: str = ""
    reviewer: str = ""


@event_type("CodeRevised")
@dataclass(frozen=True)
class CodeRevised:
    system: str
    code: str
    changes: dict  # field -> {"from": old, "to": new}
    change_request: str | None = None
    effective_from: str | None = None
    proposer: str = ""
    reviewer: str = ""


@event_type("CodeRetired")
@dataclass(frozen=True)
class CodeRetired:
    system: str
    code: str
    change_request: str | None = None
    effective_from: str | None = None
    proposer: str = ""
    reviewer: str = ""


@event_type("CodeReinstated")
@dataclass(frozen=True)
class CodeReinstated:
    system: str
    code: str
    change_request: str | None = None
    effective_from: str | None = None
    proposer: str = ""
    reviewer: str = ""


@event_type("CommonDescriptionConfirmed")
@dataclass(frozen=True)
class CommonDescriptionConfirmed:
    system: str
    code: str
    by: str


CODE_EVENTS = (CodeRegistered, CodeRevised, CodeRetired, CodeReinstated, CommonDescriptionConfirmed)

# --- change requests (stream `change:<uuid>`) -----------------------------------------------


@event_type("ChangeRequestSubmitted")
@dataclass(frozen=True)
class ChangeRequestSubmitted:
    change_id: str
    system: str
    code: str
    is_new: bool
    base_version: int
    changes: dict  # field -> proposed value
    rationale: str
    proposer: str
    effective_from: str | None = None
    kind: str = "edit"  # edit | new | revert
    reverts_version: int | None = None


@event_type("ChangeRequestRevised")
@dataclass(frozen=True)
class ChangeRequestRevised:
    change_id: str
    base_version: int
    changes: dict
    rationale: str
    by: str
    effective_from: str | None = None


@event_type("ChangeRequestCommented")
@dataclass(frozen=True)
class ChangeRequestCommented:
    change_id: str
    comment_id: str
    author: str
    text: str


@event_type("ChangeRequestApproved")
@dataclass(frozen=True)
class ChangeRequestApproved:
    change_id: str
    reviewer: str
    code_version: int
    note: str = ""


@event_type("ChangeRequestRejected")
@dataclass(frozen=True)
class ChangeRequestRejected:
    change_id: str
    reviewer: str
    reason: str


@event_type("ChangeRequestChangesRequested")
@dataclass(frozen=True)
class ChangeRequestChangesRequested:
    change_id: str
    reviewer: str
    message: str


@event_type("ChangeRequestWithdrawn")
@dataclass(frozen=True)
class ChangeRequestWithdrawn:
    change_id: str
    by: str


CHANGE_EVENTS = (
    ChangeRequestSubmitted,
    ChangeRequestRevised,
    ChangeRequestCommented,
    ChangeRequestApproved,
    ChangeRequestRejected,
    ChangeRequestChangesRequested,
    ChangeRequestWithdrawn,
)

# --- release change sets (stream `release:<uuid>`) -----------------------------------------
# A new edition of a code set, diffed against the current state: one item per code (added,
# revised or retired), reviewed as a batch. Items are listed in chunks so that no single event
# grows with the size of the release.


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

EDITORIAL_EVENT_TYPES = frozenset(
    cls.event_type for cls in CODE_EVENTS + CHANGE_EVENTS + RELEASE_EVENTS
)

__all__ = [cls.__name__ for cls in CODE_EVENTS + CHANGE_EVENTS + RELEASE_EVENTS] + [
    "CHANGE_EVENTS",
    "CODE_EVENTS",
    "EDITORIAL_EVENT_TYPES",
    "RELEASE_EVENTS",
]
