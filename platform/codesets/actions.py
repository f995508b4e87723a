"""Release change-set writes: approve or reject items (applied to their codes atomically), and
register a code without review (a code set's first import).

Every function takes keyword arguments only and returns what it wrote with its event position.
The import itself (diffing a new edition into a release) is codesets.importing; an approve-all
too large for one request runs as a task (codesets.tasks).
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from codeledger.domain import SYSTEM_ACTOR, Actor, NotFound
from codes.content import clean_proposal
from codes.events import CodeRegistered
from codes.state import CodeState, evolve_code
from codes.streams import code_stream, release_stream
from codes.systems import get_system
from codesets.domain import (
    ReleaseState,
    check_decider,
    decide_approve,
    decide_reject,
    evolve_release,
)
from events.decider import fold
from events.store import (
    ConcurrencyError,
    NewEvent,
    StreamAppend,
    append_streams,
    read_stream,
    read_streams,
)


@dataclass(frozen=True)
class Registered:
    code: CodeState
    position: int


RELEASE_APPLY_CHUNK = 200  # codes per atomic append when a release is approved


def load_release(release_id) -> ReleaseState:
    events = [e.event for e in read_stream(release_stream(release_id))]
    return fold(evolve_release, ReleaseState(), events)


def release_target(release_id) -> ReleaseState:
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
    release = release_target(release_id)
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


def release_reject(
    *, actor: Actor, release_id, reason: str, codes: list[str] | None = None
) -> ReleaseDecision:
    """Reject release items (all pending ones when `codes` is None): they are never applied."""
    with transaction.atomic():
        release = release_target(release_id)
        targets = release.pending if codes is None else _unique(codes)
        event = decide_reject(actor, release, targets, reason)
        result = append_streams(
            [StreamAppend(release_stream(release_id), [NewEvent.of(event)], release.version)],
            meta={"actor": actor.username},
        )
    release = evolve_release(release, event)
    return ReleaseDecision(release, [], targets, {}, result.position)


def code_register(
    *,
    system: str,
    code: str,
    content: dict,
    effective_from: date | None = None,
    source: str = "",
    release: str = "",
) -> Registered:
    """Register a code without review (the first import of a code set, by the system actor)."""
    display = get_system(system).display(code)
    cleaned = clean_proposal(content, CodeState().content, is_new=True)
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
    return Registered(evolve_code(CodeState(), event), result.position)
