"""Code events: what happened to a code entry (stream `code:<system>:<code>`, codes.streams).

Registered by name: the names are stored in the log and never change.
"""

from dataclasses import dataclass

from events.registry import event_type


@event_type("CodeRegistered")
@dataclass(frozen=True)
class CodeRegistered:
    system: str
    code: str
    content: dict
    effective_from: str | None = None  # ISO date; None: in force when recorded
    change_request: str | None = None
    proposer: str = ""
    reviewer: str = ""


@event_type("CodeRevised")
@dataclass(frozen=True)
class CodeRevised:
    system: str
    code: str
    changes: dict  # field -> {"from": old, "to": new}
    change_request: str | None = None
    effective_from: str | None = None
    proposer: str = ""
    reviewer: str = ""


@event_type("CodeRetired")
@dataclass(frozen=True)
class CodeRetired:
    system: str
    code: str
    change_request: str | None = None
    effective_from: str | None = None
    proposer: str = ""
    reviewer: str = ""


@event_type("CodeReinstated")
@dataclass(frozen=True)
class CodeReinstated:
    system: str
    code: str
    change_request: str | None = None
    effective_from: str | None = None
    proposer: str = ""
    reviewer: str = ""


@event_type("CommonDescriptionConfirmed")
@dataclass(frozen=True)
class CommonDescriptionConfirmed:
    system: str
    code: str
    by: str


CODE_EVENTS = (CodeRegistered, CodeRevised, CodeRetired, CodeReinstated, CommonDescriptionConfirmed)


CODE_EVENT_TYPES = frozenset(cls.event_type for cls in CODE_EVENTS)


# --- code systems defined by imported files (stream `codesystem:<name>`, codes.streams) ------


@event_type("CodeSystemDefined")
@dataclass(frozen=True)
class CodeSystemDefined:
    """A code system that an imported file brought (codes.system_definitions)."""

    name: str  # the slug codes and streams name it by
    label: str
    url: str  # canonical URL
    publisher: str = ""
    licence: str = ""  # the terms, shown in the attribution line
    licensed: bool = False  # readable in full only by organisations holding its licence
    code_pattern: str = ""  # a regular expression every code fully matches
    format_hint: str = ""  # the pattern in words, for error messages
    version: str = ""
    source: str = ""  # the file's format: fhir-file | csv-file
    release: str = ""  # the release whose import defined it


@event_type("CodeSystemRevised")
@dataclass(frozen=True)
class CodeSystemRevised:
    """A later file's metadata differ from the system's definition: field -> {from, to}."""

    name: str
    changes: dict
    source: str = ""
    release: str = ""


CODE_SYSTEM_EVENTS = (CodeSystemDefined, CodeSystemRevised)
CODE_SYSTEM_EVENT_TYPES = frozenset(cls.event_type for cls in CODE_SYSTEM_EVENTS)
