"""Index releases as pure rules: which release of a system's index is in force, and what a
reviewer's decision on a later release writes.

The first index of a system is in force once imported (like a code set's first import: the
official text, by the system actor). A later year is proposed: it shows what it adds, removes
and changes against the release in force, and a reviewer (never its importer) approves it,
which puts it in force and supersedes the one it was compared with, or rejects it with a
reason. A release compared with a release that is no longer in force cannot be approved: its
differences were computed against the wrong text (import it again).
"""

from dataclasses import dataclass, field, replace

from alphabetic_index.events import (
    IndexReleaseApproved,
    IndexReleaseImported,
    IndexReleaseRejected,
    IndexReleaseSuperseded,
)
from codeledger.domain import DECIDERS, Actor, Forbidden, Invalid, InvalidState, require_role

PROPOSED, IN_FORCE, SUPERSEDED, REJECTED = "proposed", "in_force", "superseded", "rejected"


@dataclass(frozen=True)
class IndexRelease:
    release_id: str
    system: str
    release: str
    proposer: str
    status: str
    base_release_id: str | None = None


@dataclass(frozen=True)
class IndexHistory:
    """Every index release (of every system) and its status, folded from the decision events."""

    releases: dict = field(default_factory=dict)  # release id -> IndexRelease

    def in_force(self, system: str) -> IndexRelease | None:
        return next(
            (r for r in self.releases.values() if r.system == system and r.status == IN_FORCE),
            None,
        )

    def releases_of(self, system: str) -> list[IndexRelease]:
        return [r for r in self.releases.values() if r.system == system]

    def get(self, release_id: str) -> IndexRelease | None:
        return self.releases.get(str(release_id))


def evolve_history(history: IndexHistory, event) -> IndexHistory:
    releases = dict(history.releases)
    if isinstance(event, IndexReleaseImported):
        releases[event.release_id] = IndexRelease(
            event.release_id,
            event.system,
            event.release,
            event.proposer,
            IN_FORCE if event.in_force else PROPOSED,
            event.base_release_id,
        )
    elif isinstance(event, IndexReleaseApproved):
        releases[event.release_id] = replace(releases[event.release_id], status=IN_FORCE)
    elif isinstance(event, IndexReleaseSuperseded):
        releases[event.release_id] = replace(releases[event.release_id], status=SUPERSEDED)
    elif isinstance(event, IndexReleaseRejected):
        releases[event.release_id] = replace(releases[event.release_id], status=REJECTED)
    return IndexHistory(releases)


def may_decide(actor: Actor, release: IndexRelease) -> bool:
    """Whether `actor` may approve or reject `release` (what the screens ask in advance)."""
    return bool(actor.roles & DECIDERS) and actor.username != release.proposer


def _check_decision(actor: Actor, history: IndexHistory, release_id: str, action: str):
    require_role(actor, DECIDERS, f"{action.rstrip('e')}ing an index release")
    release = history.get(release_id)
    if release is None:
        raise InvalidState("no such index release")
    if actor.username == release.proposer:
        raise Forbidden(
            f"you imported this index release, so someone else must {action} it (four-eyes rule)",
            reason="four_eyes",
        )
    if release.status != PROPOSED:
        raise InvalidState(
            f"this index release is {release.status.replace('_', ' ')}: only a proposed release "
            "can be decided",
            status=release.status,
        )
    return release


def decide_approve(
    actor: Actor, history: IndexHistory, release_id: str, note: str = ""
) -> tuple[IndexReleaseApproved, IndexReleaseSuperseded | None]:
    """Approve a proposed release: it comes into force and supersedes the release it was
    compared with, which must still be the one in force."""
    release = _check_decision(actor, history, release_id, "approve")
    current = history.in_force(release.system)
    current_id = current.release_id if current else None
    if current_id != release.base_release_id:
        raise InvalidState(
            f"this release was compared with {release.base_release_id or 'no release'}, but "
            f"{current.release if current else 'no release'} is in force now: import it again "
            "to compare it with the index in force",
            in_force=current_id,
        )
    approved = IndexReleaseApproved(
        release.release_id, actor.username, replaces=current_id, note=(note or "").strip()[:5000]
    )
    superseded = IndexReleaseSuperseded(current_id, by=release.release_id) if current_id else None
    return approved, superseded


def decide_reject(
    actor: Actor, history: IndexHistory, release_id: str, reason: str
) -> IndexReleaseRejected:
    release = _check_decision(actor, history, release_id, "reject")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("a reason is required", errors={"reason": ["required"]})
    return IndexReleaseRejected(release.release_id, actor.username, reason[:5000])
