"""The review rules as pure functions: decide(command, state) -> events; evolve(state, event).

No database here: review.actions loads state by folding streams, calls `decide_change`, appends
what it returns. `allowed_actions` answers "what may this person do on this request now" for
screens and the API, from the same rules `decide_change` enforces.
"""

from dataclasses import dataclass, field, replace
from datetime import date

from codeledger.domain import (
    DECIDERS,
    MAX_MESSAGE,
    PROPOSERS,
    Actor,
    Forbidden,
    Invalid,
    InvalidState,
    StaleBase,
    require_role,
)
from codes.content import clean_proposal, empty_content
from codes.events import (
    CodeRegistered,
    CodeReinstated,
    CodeRetired,
    CodeRevised,
    CommonDescriptionConfirmed,
)
from codes.state import CodeState
from review.events import (
    ChangeRequestApproved,
    ChangeRequestChangesRequested,
    ChangeRequestCommented,
    ChangeRequestRejected,
    ChangeRequestRevised,
    ChangeRequestSubmitted,
    ChangeRequestWithdrawn,
)

OPEN_STATUSES = frozenset({"submitted", "changes_requested"})
COMMENTABLE = frozenset({"submitted", "changes_requested", "approved", "rejected", "withdrawn"})


# --- state --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeRequestState:
    change_id: str = ""
    version: int = 0
    system: str = ""
    code: str = ""
    is_new: bool = False
    base_version: int = 0
    changes: dict = field(default_factory=dict)
    rationale: str = ""
    effective_from: str | None = None
    proposer: str = ""
    status: str = "none"
    reviewer: str = ""
    decision: str = ""  # the rejection reason or the message asking for changes
    kind: str = "edit"
    reverts_version: int | None = None
    comments: tuple = ()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def evolve_change(state: ChangeRequestState, event) -> ChangeRequestState:
    version = state.version + 1
    if isinstance(event, ChangeRequestSubmitted):
        return ChangeRequestState(
            change_id=event.change_id,
            version=version,
            system=event.system,
            code=event.code,
            is_new=event.is_new,
            base_version=event.base_version,
            changes=event.changes,
            rationale=event.rationale,
            effective_from=event.effective_from,
            proposer=event.proposer,
            status="submitted",
            kind=event.kind,
            reverts_version=event.reverts_version,
        )
    if isinstance(event, ChangeRequestRevised):
        return replace(
            state,
            version=version,
            base_version=event.base_version,
            changes=event.changes,
            rationale=event.rationale,
            effective_from=event.effective_from,
            status="submitted",
            decision="",
        )
    if isinstance(event, ChangeRequestCommented):
        comment = {"id": event.comment_id, "author": event.author, "text": event.text}
        return replace(state, version=version, comments=(*state.comments, comment))
    if isinstance(event, ChangeRequestApproved):
        return replace(
            state, version=version, status="approved", reviewer=event.reviewer, decision=event.note
        )
    if isinstance(event, ChangeRequestRejected):
        return replace(
            state,
            version=version,
            status="rejected",
            reviewer=event.reviewer,
            decision=event.reason,
        )
    if isinstance(event, ChangeRequestChangesRequested):
        return replace(
            state,
            version=version,
            status="changes_requested",
            reviewer=event.reviewer,
            decision=event.message,
        )
    if isinstance(event, ChangeRequestWithdrawn):
        return replace(state, version=version, status="withdrawn")
    raise TypeError(f"not a change-request event: {event!r}")


# --- commands -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Submit:
    actor: Actor
    change_id: str
    system: str
    code: str
    is_new: bool
    base_version: int
    changes: dict
    rationale: str
    effective_from: date | None = None
    kind: str = "edit"
    reverts_version: int | None = None


@dataclass(frozen=True)
class Revise:
    actor: Actor
    base_version: int
    changes: dict
    rationale: str
    effective_from: date | None = None


@dataclass(frozen=True)
class Approve:
    actor: Actor
    note: str = ""


@dataclass(frozen=True)
class Reject:
    actor: Actor
    reason: str


@dataclass(frozen=True)
class RequestChanges:
    actor: Actor
    message: str


@dataclass(frozen=True)
class Withdraw:
    actor: Actor


@dataclass(frozen=True)
class Comment:
    actor: Actor
    comment_id: str
    text: str


@dataclass(frozen=True)
class ConfirmDescription:
    actor: Actor


def _message(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid(f"a {what} is required", field=what.replace(" ", "_"))
    if len(value) > MAX_MESSAGE:
        raise Invalid(
            f"the {what} is {len(value)} characters long; the limit is {MAX_MESSAGE}",
            field=what.replace(" ", "_"),
        )
    return value


def _four_eyes(actor: Actor, request: ChangeRequestState, action: str) -> None:
    require_role(actor, DECIDERS, "Deciding on a change request")
    if actor.username == request.proposer:
        raise Forbidden(
            f"You proposed this change, so someone else must {action} it (four-eyes rule)",
            reason="four_eyes",
        )


def _must_be(request: ChangeRequestState, statuses: frozenset, action: str) -> None:
    if request.status == "none":
        raise InvalidState("no such change request")
    if request.status not in statuses:
        raise InvalidState(
            f"cannot {action} a request that is {request.status.replace('_', ' ')}",
            request_status=request.status,
        )


# The actions a person may take on a change request, named as the screens and API name them.
APPROVE, REJECT, REQUEST_CHANGES = "approve", "reject", "request_changes"
REVISE, WITHDRAW, COMMENT = "revise", "withdraw", "comment"


def allowed_actions(actor: Actor, request) -> frozenset[str]:
    """What `actor` may do on `request` (a ChangeRequestState or the queue's row) now: the
    rules of `decide_change`, asked in advance (a decision still fails if the request moves
    meanwhile). Four-eyes: a proposer never decides on their own request."""
    if request.status == "none":
        return frozenset()
    actions = set()
    proposer = bool(actor.roles & PROPOSERS)
    if proposer and request.status in COMMENTABLE:
        actions.add(COMMENT)
    if proposer and actor.username == request.proposer and request.status in OPEN_STATUSES:
        actions |= {REVISE, WITHDRAW}
    if (
        actor.roles & DECIDERS
        and actor.username != request.proposer
        and request.status == "submitted"
    ):
        actions |= {APPROVE, REJECT, REQUEST_CHANGES}
    return frozenset(actions)


def blocked_by_four_eyes(actor: Actor, request) -> bool:
    """A decider looking at their own open request: the screen says why they cannot decide."""
    return bool(
        actor.roles & DECIDERS
        and actor.username == request.proposer
        and request.status in OPEN_STATUSES
    )


def decide_change(command, request: ChangeRequestState, code: CodeState) -> tuple[list, list]:
    """(events for the change request's stream, events for the code's stream)."""
    actor = command.actor
    if isinstance(command, Submit):
        require_role(actor, PROPOSERS, "Proposing a change")
        if request.status != "none":
            raise InvalidState("this change request already exists")
        if command.is_new and code.exists:
            raise Invalid(
                f"{command.code} already exists in {command.system}",
                errors={"code": ["already exists: propose a change to it instead"]},
            )
        if not command.is_new and not code.exists:
            raise Invalid(
                f"{command.code} does not exist in {command.system}",
                errors={"code": ["no such code: propose a new code instead"]},
            )
        if command.base_version != code.version:
            raise StaleBase(
                f"the code is at version {code.version}, the proposal was written "
                f"against version {command.base_version}",
                current_version=code.version,
                base_version=command.base_version,
            )
        changes = clean_proposal(command.changes, code.content, is_new=command.is_new)
        return [
            ChangeRequestSubmitted(
                change_id=command.change_id,
                system=command.system,
                code=command.code,
                is_new=command.is_new,
                base_version=command.base_version,
                changes=changes,
                rationale=_message(command.rationale, "rationale"),
                proposer=actor.username,
                effective_from=command.effective_from.isoformat()
                if command.effective_from
                else None,
                kind=command.kind,
                reverts_version=command.reverts_version,
            )
        ], []

    if isinstance(command, Comment):
        require_role(actor, PROPOSERS, "Commenting")
        _must_be(request, COMMENTABLE, "comment on")
        return [
            ChangeRequestCommented(
                request.change_id,
                command.comment_id,
                actor.username,
                _message(command.text, "comment"),
            )
        ], []

    if isinstance(command, Revise | Withdraw):
        action = "revise" if isinstance(command, Revise) else "withdraw"
        require_role(
            actor,
            PROPOSERS,
            "Revising a request" if action == "revise" else "Withdrawing a request",
        )
        if request.status != "none" and actor.username != request.proposer:
            raise Forbidden(f"Only the proposer ({request.proposer}) can {action} this request")
        _must_be(request, OPEN_STATUSES, action)
        if isinstance(command, Withdraw):
            return [ChangeRequestWithdrawn(request.change_id, actor.username)], []
        if command.base_version != code.version:
            raise StaleBase(
                f"the code is at version {code.version}; revise against it",
                current_version=code.version,
                base_version=command.base_version,
            )
        changes = clean_proposal(command.changes, code.content, is_new=request.is_new)
        return [
            ChangeRequestRevised(
                change_id=request.change_id,
                base_version=command.base_version,
                changes=changes,
                rationale=_message(command.rationale, "rationale"),
                by=actor.username,
                effective_from=command.effective_from.isoformat()
                if command.effective_from
                else None,
            )
        ], []

    if isinstance(command, Reject):
        _four_eyes(actor, request, "reject")
        _must_be(request, frozenset({"submitted"}), "reject")
        return [
            ChangeRequestRejected(
                request.change_id, actor.username, _message(command.reason, "reason")
            )
        ], []

    if isinstance(command, RequestChanges):
        _four_eyes(actor, request, "send back")
        _must_be(request, frozenset({"submitted"}), "request changes on")
        return [
            ChangeRequestChangesRequested(
                request.change_id, actor.username, _message(command.message, "message")
            )
        ], []

    if isinstance(command, Approve):
        _four_eyes(actor, request, "approve")
        _must_be(request, frozenset({"submitted"}), "approve")
        if request.base_version != code.version or (request.is_new and code.exists):
            raise StaleBase(
                f"the code moved to version {code.version} after this request was written "
                f"against version {request.base_version}: nothing was applied; the proposer "
                "must revise it against the current version",
                current_version=code.version,
                base_version=request.base_version,
                current_values={name: code.content.get(name) for name in request.changes},
            )
        code_events = _apply(request, code, actor.username)
        approved = ChangeRequestApproved(
            request.change_id,
            actor.username,
            code_version=code.version + len(code_events),
            note=(command.note or "").strip()[:MAX_MESSAGE],
        )
        return [approved], code_events

    if isinstance(command, ConfirmDescription):
        require_role(actor, PROPOSERS, "Confirming a description")
        if not code.needs_review:
            raise InvalidState("the common-language description is not waiting for review")
        return [], [CommonDescriptionConfirmed(code.system, code.code, actor.username)]

    raise TypeError(f"unknown command {command!r}")


def _apply(request: ChangeRequestState, code: CodeState, reviewer: str) -> list:
    """The code events an approval appends: registration, or revision then retire/reinstate."""
    common = {
        "system": request.system,
        "code": request.code,
        "change_request": request.change_id,
        "effective_from": request.effective_from,
        "proposer": request.proposer,
        "reviewer": reviewer,
    }
    if request.is_new:
        return [CodeRegistered(content={**empty_content(), **request.changes}, **common)]
    events = []
    revised = {
        name: {"from": code.content.get(name), "to": value}
        for name, value in request.changes.items()
        if name != "status" and code.content.get(name) != value
    }
    if revised:
        events.append(CodeRevised(changes=revised, **common))
    status = request.changes.get("status")
    if status and status != code.content.get("status"):
        events.append((CodeRetired if status == "retired" else CodeReinstated)(**common))
    return events
