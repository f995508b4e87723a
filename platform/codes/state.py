"""A code's state as a pure fold of its stream: evolve(state, event) -> state.

No database here: codes.selectors loads a stream and folds it; review and codesets decide on it.
"""

from dataclasses import dataclass, field, replace

from codes.content import FIELDS, empty_content, empty_value
from codes.events import (
    CodeRegistered,
    CodeReinstated,
    CodeRetired,
    CodeRevised,
    CommonDescriptionConfirmed,
)


@dataclass(frozen=True)
class CodeState:
    system: str = ""
    code: str = ""
    version: int = 0
    content: dict = field(default_factory=empty_content)
    needs_review: bool = False

    @property
    def exists(self) -> bool:
        return self.version > 0


def evolve_code(state: CodeState, event) -> CodeState:
    """One code event applied to the code's content (every approved change, whatever its date)."""
    version = state.version + 1
    if isinstance(event, CodeRegistered):
        return CodeState(event.system, event.code, version, {**empty_content(), **event.content})
    content = dict(state.content)
    needs_review = state.needs_review
    if isinstance(event, CodeRevised):
        for name, change in event.changes.items():
            content[name] = change["to"]
        if "common_description" in event.changes:
            needs_review = False
        elif "official_descriptor" in event.changes and content["common_description"]:
            # The plain-language text explained the old descriptor: someone must re-read it.
            needs_review = True
    elif isinstance(event, CodeRetired):
        content["status"] = "retired"
    elif isinstance(event, CodeReinstated):
        content["status"] = "active"
    elif isinstance(event, CommonDescriptionConfirmed):
        needs_review = False
    return replace(state, version=version, content=content, needs_review=needs_review)


def inverse_changes(revision: CodeRevised) -> dict:
    """The change that undoes a revision (a revert proposes it as a new change request). A field
    the code did not hold before the revision (`from` is None: an attribution override) goes
    back to its empty value, which a proposal accepts."""
    return {
        name: empty_value(name) if change["from"] is None else change["from"]
        for name, change in revision.changes.items()
        if name in FIELDS
    }
