"""Review writes: load state by folding streams, decide, append (one short transaction each).

Every function takes keyword arguments only and returns what it wrote: the new state and the
event position a client can wait for (read your writes).
"""

import uuid
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from codeledger.domain import DECIDERS, Actor, Invalid, NotFound, require_role
from codes.events import CodeRevised
from codes.selectors import load_code
from codes.state import CodeState, evolve_code, inverse_changes
from codes.streams import change_stream, code_stream
from codes.systems import get_system
from events.decider import fold
from events.store import ConcurrencyError, NewEvent, StreamAppend, append_streams, read_stream
from review import domain
from review.domain import ChangeRequestState, decide_change, evolve_change
from review.tasks import mail_after_commit


def load_change_request(change_id) -> ChangeRequestState:
    events = [e.event for e in read_stream(change_stream(change_id))]
    return fold(evolve_change, ChangeRequestState(), events)


@dataclass(frozen=True)
class Written:
    change_request: ChangeRequestState | None
    code: CodeState | None
    position: int


def _execute(
    command, *, change_id: str, system: str, code: str, expected_version: int | None
) -> Written:
    """Decide on freshly loaded state and append to both streams in one atomic append."""
    with transaction.atomic():
        request = load_change_request(change_id)
        if expected_version is not None and expected_version != request.version:
            raise ConcurrencyError(change_stream(change_id), expected_version, request.version)
        current = load_code(system, code)
        change_events, code_events = decide_change(command, request, current)
        appends = [
            StreamAppend(
                change_stream(change_id), [NewEvent.of(e) for e in change_events], request.version
            )
        ]
        if code_events:
            appends.append(
                StreamAppend(
                    code_stream(system, code),
                    [NewEvent.of(e) for e in code_events],
                    current.version,
                )
            )
        result = append_streams(appends, meta={"actor": command.actor.username})
        mail_after_commit(
            change_id,
            [(e.event_type, request.version + n) for n, e in enumerate(change_events, start=1)],
        )
    request = fold(evolve_change, request, change_events)
    current = fold(evolve_code, current, code_events)
    return Written(request, current, result.position)


def _request_target(change_id) -> ChangeRequestState:
    request = load_change_request(change_id)
    if request.status == "none":
        raise NotFound(f"no change request {change_id}")
    return request


def change_request_submit(
    *,
    actor: Actor,
    system: str,
    code: str,
    base_version: int,
    changes: dict,
    rationale: str,
    is_new: bool = False,
    effective_from: date | None = None,
    kind: str = "edit",
    reverts_version: int | None = None,
) -> Written:
    display = get_system(system).display(code)
    change_id = str(uuid.uuid4())
    command = domain.Submit(
        actor,
        change_id,
        system,
        display,
        is_new or kind == "new",
        base_version,
        changes,
        rationale,
        effective_from,
        kind,
        reverts_version,
    )
    return _execute(command, change_id=change_id, system=system, code=display, expected_version=0)


def _on_request(command, *, change_id, expected_version) -> Written:
    request = _request_target(change_id)
    return _execute(
        command,
        change_id=str(change_id),
        system=request.system,
        code=request.code,
        expected_version=expected_version,
    )


def change_request_approve(
    *, actor: Actor, change_id, expected_version: int, note: str = ""
) -> Written:
    return _on_request(
        domain.Approve(actor, note), change_id=change_id, expected_version=expected_version
    )


def change_request_reject(
    *, actor: Actor, change_id, expected_version: int, reason: str
) -> Written:
    return _on_request(
        domain.Reject(actor, reason), change_id=change_id, expected_version=expected_version
    )


def change_request_request_changes(
    *, actor: Actor, change_id, expected_version: int, message: str
) -> Written:
    return _on_request(
        domain.RequestChanges(actor, message),
        change_id=change_id,
        expected_version=expected_version,
    )


def change_request_revise(
    *,
    actor: Actor,
    change_id,
    expected_version: int,
    base_version: int,
    changes: dict,
    rationale: str,
    effective_from: date | None = None,
) -> Written:
    command = domain.Revise(actor, base_version, changes, rationale, effective_from)
    return _on_request(command, change_id=change_id, expected_version=expected_version)


def change_request_withdraw(*, actor: Actor, change_id, expected_version: int) -> Written:
    return _on_request(
        domain.Withdraw(actor), change_id=change_id, expected_version=expected_version
    )


def change_request_comment(
    *, actor: Actor, change_id, text: str, expected_version: int | None = None
) -> Written:
    """Comments do not race decisions: without an expected version, a comment that loses a race
    with another write is simply appended after it (a few tries)."""
    comment = domain.Comment(actor, str(uuid.uuid4()), text)
    attempts = 1 if expected_version is not None else 3
    for attempt in range(1, attempts + 1):
        try:
            return _on_request(comment, change_id=change_id, expected_version=expected_version)
        except ConcurrencyError:
            if attempt == attempts:
                raise


def change_request_revert(
    *, actor: Actor, system: str, code: str, version: int, rationale: str
) -> Written:
    """Start a review of the inverse of a past revision (history is never rewritten)."""
    require_role(actor, DECIDERS, "Starting a revert")
    display = get_system(system).display(code)
    events = read_stream(code_stream(system, display), from_version=version, to_version=version)
    if not events or not isinstance(events[0].event, CodeRevised):
        raise Invalid(
            f"version {version} of {display} is not a revision that can be reverted",
            errors={"version": ["not a revision"]},
        )
    return change_request_submit(
        actor=actor,
        system=system,
        code=display,
        base_version=load_code(system, display).version,
        changes=inverse_changes(events[0].event),
        rationale=rationale,
        kind="revert",
        reverts_version=version,
    )


def code_confirm_description(
    *, actor: Actor, system: str, code: str, expected_version: int
) -> Written:
    display = get_system(system).display(code)
    with transaction.atomic():
        current = load_code(system, display)
        if not current.exists:
            raise NotFound(f"no code {display} in {system}")
        _, code_events = decide_change(
            domain.ConfirmDescription(actor), ChangeRequestState(), current
        )
        result = append_streams(
            [
                StreamAppend(
                    code_stream(system, display),
                    [NewEvent.of(e) for e in code_events],
                    expected_version,
                )
            ],
            meta={"actor": actor.username},
        )
    return Written(None, fold(evolve_code, current, code_events), result.position)
