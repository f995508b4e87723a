"""Glossary events (stream `glossary:<term>`, codes.streams), registered by name.

A term is proposed by an editor (`GlossaryTermProposed`: the plain equivalent and its source),
then approved or rejected by a reviewer who did not propose it. A later proposal for the same
term (a better wording) goes through the same review; until it is approved the approved wording
stays in use.
"""

from dataclasses import dataclass

from events.registry import event_type


@event_type("GlossaryTermProposed")
@dataclass(frozen=True)
class GlossaryTermProposed:
    term: str
    plain: str
    source: str
    proposer: str


@event_type("GlossaryTermApproved")
@dataclass(frozen=True)
class GlossaryTermApproved:
    term: str
    reviewer: str
    note: str = ""


@event_type("GlossaryTermRejected")
@dataclass(frozen=True)
class GlossaryTermRejected:
    term: str
    reviewer: str
    reason: str


GLOSSARY_EVENT_TYPES = frozenset(
    cls.event_type for cls in (GlossaryTermProposed, GlossaryTermApproved, GlossaryTermRejected)
)
