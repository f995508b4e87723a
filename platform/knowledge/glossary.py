"""The glossary's rules: who may propose a plain equivalent for a medical word and who may
decide on it (four eyes: never the proposer). Pure: decide(command, state) -> [events] and
evolve(state, event) -> state; knowledge.actions appends what they decide."""

from dataclasses import dataclass, replace

from codeledger.domain import (
    DECIDERS,
    PROPOSERS,
    Actor,
    Forbidden,
    Invalid,
    InvalidState,
    require_role,
)
from knowledge.events import GlossaryTermApproved, GlossaryTermProposed, GlossaryTermRejected

MAX_TERM, MAX_PLAIN, MAX_SOURCE, MAX_REASON = 100, 300, 300, 2000


def normalise_term(term: str) -> str:
    """How a term is stored and found: lower case, single spaces ("Closed  Fracture" ->
    "closed fracture")."""
    return " ".join(str(term).split()).casefold()


@dataclass(frozen=True)
class GlossaryState:
    term: str = ""
    plain: str = ""  # approved
    source: str = ""  # approved
    pending: GlossaryTermProposed | None = None
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


def evolve(state: GlossaryState, event) -> GlossaryState:
    version = state.version + 1
    if isinstance(event, GlossaryTermProposed):
        return replace(state, term=event.term, pending=event, version=version)
    if isinstance(event, GlossaryTermApproved):
        pending = state.pending
        return replace(
            state, plain=pending.plain, source=pending.source, pending=None, version=version
        )
    if isinstance(event, GlossaryTermRejected):
        return replace(state, pending=None, version=version)
    return replace(state, version=version)


def _text(name: str, value, limit: int, errors: dict) -> str:
    value = " ".join(str(value or "").split())
    if not value:
        errors[name] = [f"{name} cannot be empty"]
    elif len(value) > limit:
        errors[name] = [f"{name} is {len(value)} characters long; the limit is {limit}"]
    return value


def decide_propose(
    actor: Actor, state: GlossaryState, *, term: str, plain: str, source: str
) -> list[GlossaryTermProposed]:
    """An editor proposes the plain equivalent of a term, with where it comes from."""
    require_role(actor, PROPOSERS, "proposing a glossary term")
    errors: dict[str, list[str]] = {}
    term = _text("term", normalise_term(term), MAX_TERM, errors)
    plain = _text("plain", plain, MAX_PLAIN, errors)
    source = _text("source", source, MAX_SOURCE, errors)
    if errors:
        raise Invalid("the glossary term is not valid", errors=errors)
    if state.pending is not None:
        raise InvalidState(
            f"“{term}” already has a proposal waiting for review (by {state.pending.proposer})"
        )
    if (plain, source) == (state.plain, state.source):
        raise Invalid(
            "the proposal changes nothing: this is the approved wording and source",
            errors={"plain": ["same as the approved wording"]},
        )
    return [GlossaryTermProposed(term=term, plain=plain, source=source, proposer=actor.username)]


def _waiting(actor: Actor, state: GlossaryState, action: str) -> GlossaryTermProposed:
    require_role(actor, DECIDERS, action)
    if state.pending is None:
        raise InvalidState(f"“{state.term}” has no proposal waiting for review")
    if state.pending.proposer == actor.username:
        raise Forbidden("a proposal is decided by someone other than its proposer")
    return state.pending


def decide_approve(actor: Actor, state: GlossaryState, *, note: str = "") -> list:
    """A reviewer who did not propose it approves the waiting proposal: it is used from now."""
    _waiting(actor, state, "approving a glossary term")
    return [GlossaryTermApproved(term=state.term, reviewer=actor.username, note=note.strip())]


def decide_reject(actor: Actor, state: GlossaryState, *, reason: str) -> list:
    """A reviewer who did not propose it rejects the waiting proposal, saying why."""
    _waiting(actor, state, "rejecting a glossary term")
    errors: dict[str, list[str]] = {}
    reason = _text("reason", reason, MAX_REASON, errors)
    if errors:
        raise Invalid("a rejection needs a reason", errors=errors)
    return [GlossaryTermRejected(term=state.term, reviewer=actor.username, reason=reason)]
