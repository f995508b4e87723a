"""Change-request events (stream `change:<uuid>`, codes.streams), registered by name."""

from dataclasses import dataclass

from events.registry import event_type


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

CHANGE_EVENT_TYPES = frozenset(cls.event_type for cls in CHANGE_EVENTS)
