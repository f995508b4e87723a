"""Glossary writes: propose, approve, reject. Keyword arguments only; each folds the term's
stream, asks the rules (knowledge.glossary) and appends at the version it read."""

from dataclasses import dataclass

from django.db import transaction

from codeledger.domain import Actor, NotFound
from codes.streams import glossary_stream
from events.decider import fold
from events.store import append, read_stream
from knowledge.glossary import (
    GlossaryState,
    decide_approve,
    decide_propose,
    decide_reject,
    evolve,
    normalise_term,
)


@dataclass(frozen=True)
class GlossaryWrite:
    term: str
    version: int
    position: int


def load_term(term: str) -> GlossaryState:
    return fold(evolve, GlossaryState(), [e.event for e in read_stream(glossary_stream(term))])


def _write(actor: Actor, term: str, state: GlossaryState, events: list) -> GlossaryWrite:
    result = append(glossary_stream(term), events, state.version, meta={"actor": actor.username})
    return GlossaryWrite(term, state.version + len(events), result.positions[-1])


def glossary_term_propose(*, actor: Actor, term: str, plain: str, source: str) -> GlossaryWrite:
    term = normalise_term(term)
    with transaction.atomic():
        state = load_term(term)
        events = decide_propose(actor, state, term=term, plain=plain, source=source)
        return _write(actor, term, state, events)


def _existing(term: str) -> tuple[str, GlossaryState]:
    term = normalise_term(term)
    state = load_term(term)
    if not state.exists:
        raise NotFound(f"no glossary term “{term}”")
    return term, state


def glossary_term_approve(*, actor: Actor, term: str, note: str = "") -> GlossaryWrite:
    with transaction.atomic():
        term, state = _existing(term)
        return _write(actor, term, state, decide_approve(actor, state, note=note))


def glossary_term_reject(*, actor: Actor, term: str, reason: str) -> GlossaryWrite:
    with transaction.atomic():
        term, state = _existing(term)
        return _write(actor, term, state, decide_reject(actor, state, reason=reason))
