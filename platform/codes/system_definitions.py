"""Code systems defined by imported files: what a definition holds, and what a file's metadata
do to it. Pure: no database (codesets.files reads and writes; codes.system_projector projects).

A system is defined once (`CodeSystemDefined`, on the stream `codesystem:<name>`); a later
file whose metadata differ records a `CodeSystemRevised` of the fields that differ, so the
history of a definition is kept like a code's. A packaged system (codes.systems) is never
defined or revised by a file.
"""

import re

from django.core.exceptions import ValidationError

from codes.events import CodeSystemDefined, CodeSystemRevised
from codes.systems import DEFAULT_FORMAT_HINT, DEFAULT_PATTERN, NAME, PACKAGED_SYSTEMS

# What a definition holds besides its name, and what a revision may change.
DEFINITION_FIELDS = (
    "label",
    "url",
    "publisher",
    "licence",
    "licensed",
    "code_pattern",
    "format_hint",
    "version",
)
MAX_LENGTHS = {  # codes.models.CodeSystemEntry
    "label": 200,
    "url": 500,
    "publisher": 300,
    "licence": 1000,
    "code_pattern": 300,
    "format_hint": 300,
    "version": 100,
}


def checked_definition(definition: dict) -> dict:
    """The definition with its defaults filled in; ValidationError says what is wrong."""
    name = definition.get("name") or ""
    if name in PACKAGED_SYSTEMS:
        raise ValidationError(f"{name} is a packaged system: a file cannot define it")
    if not NAME.fullmatch(name):
        raise ValidationError(
            f"system name {name!r}: 2 to 20 lowercase letters, digits or dashes, starting with "
            "a letter"
        )
    checked = {"name": name, **{field: definition.get(field) for field in DEFINITION_FIELDS}}
    checked["licensed"] = bool(checked["licensed"])
    for field, limit in MAX_LENGTHS.items():
        checked[field] = str(checked[field] or "").strip()
        if len(checked[field]) > limit or "\x00" in checked[field]:
            raise ValidationError(f"{field}: at most {limit} characters")
    for field in ("label", "url"):
        if not checked[field]:
            raise ValidationError(f"the system's {field} is missing")
    packaged = {system.url: system.name for system in PACKAGED_SYSTEMS.values()}
    if checked["url"] in packaged:  # e.g. a CPT file under another name: CPT's licence is CPT's
        raise ValidationError(
            f"{checked['url']} is {packaged[checked['url']]}'s canonical URL: import the file "
            f"with --system {packaged[checked['url']]}"
        )
    if not checked["code_pattern"]:
        checked["code_pattern"] = DEFAULT_PATTERN
        checked["format_hint"] = checked["format_hint"] or DEFAULT_FORMAT_HINT
    try:
        re.compile(checked["code_pattern"])
    except re.error as error:
        raise ValidationError(f"code pattern {checked['code_pattern']!r}: {error}") from None
    checked["format_hint"] = checked["format_hint"] or f"matching {checked['code_pattern']}"
    return checked


def evolve_definition(state: dict | None, event) -> dict:
    """The definition after one event of its stream."""
    if isinstance(event, CodeSystemDefined):
        return {"name": event.name, **{field: getattr(event, field) for field in DEFINITION_FIELDS}}
    if isinstance(event, CodeSystemRevised):
        return {**state, **{field: change["to"] for field, change in event.changes.items()}}
    raise TypeError(f"not a code system event: {type(event).__name__}")


def decide_definition(
    current: dict | None, proposed: dict, *, given: frozenset[str], source: str, release: str
) -> list:
    """The events that bring a system's definition to what a file says: a definition when it
    is new; else a revision of the `given` fields (those the file or the options state) whose
    value differs; else none."""
    proposed = checked_definition(proposed)
    if current is None:
        fields = {field: proposed[field] for field in DEFINITION_FIELDS}
        return [CodeSystemDefined(name=proposed["name"], source=source, release=release, **fields)]
    changes = {
        field: {"from": current[field], "to": proposed[field]}
        for field in DEFINITION_FIELDS
        if field in given and proposed[field] != current[field]
    }
    if not changes:
        return []
    return [
        CodeSystemRevised(name=current["name"], changes=changes, source=source, release=release)
    ]
