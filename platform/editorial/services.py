"""Editorial writes: load state by folding streams, decide, append (HackSoft style services).

Every function takes keyword arguments only, runs in one short transaction (the append), and
returns what it wrote: the new state and the event position a client can wait for.
"""

import uuid
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from editorial import domain
from editorial.domain import (
    Actor,
    ChangeRequestState,
    CodeState,
    decide_change,
    evolve_change,
    evolve_code,
    fold,
)
from editorial.events import CodeRegistered, CodeRevised
from editorial.releases import (
    ReleaseState,
    check_decider,
    decide_approve,
    decide_reject,
    evolve_release,
)
from editorial.systems import code_stream, get_system
from events.store import (
    ConcurrencyError,
    NewEvent,
    StreamAppend,
    append_streams,
    head_position,
    read_stream,
    read_streams,
)

SYSTEM_ACTOR = Actor("system", frozenset({domain.ADMIN}))


class NotFound(LookupError):
    pass


def actor_for(user) -> Actor:
    """The domain actor for a Django user: its username and role groups (superuser: admin)."""
    roles = set(user.groups.values_list("name", flat=True)) & {
        domain.EDITOR,
        domain.REVIEWER,
        domain.AUDITOR,
        domain.ADMIN,
    }
    if user.is_superuser:
        roles.add(domain.ADMIN)
    return Actor(user.get_username(), frozenset(roles))


def change_stream(change_id) -> str:
    return f"change:{change_id}"


def load_code(system: str, code: str) -> CodeState:
    return fold(evolve_code, CodeState(), [e.event for e in read_stream(code_stream(system, code))])


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
    domain._require_role(actor, domain.DECIDERS, "starting a revert")
    display = get_system(system).display(code)
    events = read_stream(code_stream(system, display), from_version=version, to_version=version)
    if not events or not isinstance(events[0].event, CodeRevised):
        raise domain.Invalid(
            f"version {version} of {display} is not a revision that can be reverted",
            errors={"version": ["not a revision"]},
        )
    return change_request_submit(
        actor=actor,
        system=system,
        code=display,
        base_version=load_code(system, display).version,
        changes=domain.inverse_changes(events[0].event),
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


def code_register(
    *,
    system: str,
    code: str,
    content: dict,
    effective_from: date | None = None,
    source: str = "",
    release: str = "",
) -> Written:
    """Register a code without review (the first import of a code set, by the system actor)."""
    display = get_system(system).display(code)
    cleaned = domain._proposal(content, CodeState(), is_new=True)
    event = CodeRegistered(
        system=system,
        code=display,
        content=cleaned,
        effective_from=effective_from.isoformat() if effective_from else None,
        proposer=SYSTEM_ACTOR.username,
    )
    result = append_streams(
        [StreamAppend(code_stream(system, display), [NewEvent.of(event)], 0)],
        meta={"actor": SYSTEM_ACTOR.username, "source": source, "release": release},
    )
    return Written(None, evolve_code(CodeState(), event), result.position)


# --- release change sets ----------------------------------------------------------------------

RELEASE_APPLY_CHUNK = 200  # codes per atomic append when a release is approved
# An approve-all of more pending items than this runs as a background task (tasks.py).
RELEASE_SYNC_LIMIT = 1000


def release_stream(release_id) -> str:
    return f"release:{release_id}"


def load_release(release_id) -> ReleaseState:
    events = [e.event for e in read_stream(release_stream(release_id))]
    return fold(evolve_release, ReleaseState(), events)


def _release_target(release_id) -> ReleaseState:
    release = load_release(release_id)
    if not release.exists:
        raise NotFound(f"no release {release_id}")
    return release


@dataclass(frozen=True)
class ReleaseDecision:
    release: ReleaseState
    applied: list
    rejected: list
    conflicts: dict
    position: int
    queued: int = 0  # items left to the background task (approve-all of a large release)


def _unique(codes) -> list[str]:
    return list(dict.fromkeys(codes))


def release_approve(
    *, actor: Actor, release_id, codes: list[str] | None = None, note: str = "", progress=None
) -> ReleaseDecision:
    """Approve release items (all pending ones when `codes` is None) and apply them to their
    codes with the release's effective date.

    Items are applied in chunks; each chunk is one atomic append of the codes' events and the
    release's record of them, so every code is applied whole or not at all, and an approval
    cut short resumes with the items still pending. Items whose codes moved in a conflicting
    way are recorded as conflicts and stay pending.
    """
    release = _release_target(release_id)
    approve_all = codes is None
    targets = release.pending if approve_all else _unique(codes)
    if not targets:
        check_decider(actor, release, "approve")
    applied, conflicts, position = [], {}, 0
    meta = {"actor": actor.username, "source": release.source, "release": release.release}
    for start in range(0, len(targets), RELEASE_APPLY_CHUNK):
        chunk = targets[start : start + RELEASE_APPLY_CHUNK]
        for attempt in range(1, 4):
            if approve_all:  # someone may have decided some of them meanwhile
                chunk = [code for code in chunk if code not in release.decisions]
            try:
                with transaction.atomic():
                    streams = {code: code_stream(release.system, code) for code in chunk}
                    found = read_streams(list(streams.values()))
                    states = {
                        code: fold(evolve_code, CodeState(), [e.event for e in found[stream]])
                        for code, stream in streams.items()
                    }
                    approval = decide_approve(actor, release, chunk, states, note)
                    appends = [
                        StreamAppend(
                            release_stream(release_id),
                            [NewEvent.of(e) for e in approval.release_events],
                            release.version,
                        )
                    ]
                    appends += [
                        StreamAppend(
                            streams[code], [NewEvent.of(e) for e in events], states[code].version
                        )
                        for code, events in approval.code_events.items()
                    ]
                    if approval.release_events:
                        position = append_streams(appends, meta=meta).position
                break
            except ConcurrencyError:
                if attempt == 3:
                    raise
                release = load_release(release_id)
        release = fold(evolve_release, release, approval.release_events)
        applied += approval.applied
        conflicts.update(approval.conflicts)
        if progress:
            progress(len(chunk))
    return ReleaseDecision(release, applied, [], conflicts, position)


def release_approve_all(*, actor: Actor, release_id, note: str = "") -> ReleaseDecision:
    """Approve every pending item: here and now, or, above RELEASE_SYNC_LIMIT pending items, by
    the background task after commit (what the task would refuse is refused now)."""
    from editorial import tasks  # tasks call these services

    release = _release_target(release_id)
    if len(release.pending) <= RELEASE_SYNC_LIMIT:
        return release_approve(actor=actor, release_id=release_id, note=note)
    check_decider(actor, release, "approve")
    tasks.enqueue_release_approval(str(release_id), actor.username, note)
    return ReleaseDecision(release, [], [], {}, head_position(), queued=len(release.pending))


def release_reject(
    *, actor: Actor, release_id, reason: str, codes: list[str] | None = None
) -> ReleaseDecision:
    """Reject release items (all pending ones when `codes` is None): they are never applied."""
    with transaction.atomic():
        release = _release_target(release_id)
        targets = release.pending if codes is None else _unique(codes)
        event = decide_reject(actor, release, targets, reason)
        result = append_streams(
            [StreamAppend(release_stream(release_id), [NewEvent.of(event)], release.version)],
            meta={"actor": actor.username},
        )
    release = evolve_release(release, event)
    return ReleaseDecision(release, [], targets, {}, result.position)
