"""The content of a code entry: its fields, their kinds and limits, and how input is cleaned.

Text is plain: it is stored as given (trimmed) and escaped wherever it is shown.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from codeledger.domain import Invalid
from codes.systems import SYSTEMS

# The kinds of instructional notes, in the order coders read them. 7th-character rules have
# their own kind; codes recorded before it existed keep theirs among the general notes, and both
# stay readable (no upcaster: content is the text as recorded).
NOTE_KINDS = (
    "includes",
    "inclusion_terms",
    "excludes1",
    "excludes2",
    "code_first",
    "use_additional",
    "code_also",
    "seventh_character",
    "general",
)
NOTE_LABELS = {
    "includes": "Includes",
    "inclusion_terms": "Inclusion terms",
    "excludes1": "Excludes1",
    "excludes2": "Excludes2",
    "code_first": "Code first",
    "use_additional": "Use additional code",
    "code_also": "Code also",
    "seventh_character": "7th character",
    "general": "General notes",
}
RELATION_KINDS = (*NOTE_KINDS, "see_also", "parent", "child", "replaced_by", "replaces")
STATUSES = ("active", "retired")

MAX_ITEMS = 200


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # text | bool | status | text_list | notes | related | attribution
    max_length: int = 0
    required: bool = False


FIELDS = {
    f.name: f
    for f in (
        Field("official_descriptor", "Official descriptor", "text", 1000, required=True),
        Field("short_descriptor", "Short descriptor", "text", 200),
        Field("common_description", "Common-language description", "text", 5000),
        Field("notes", "Notes", "notes", 1000),
        Field("related", "Related codes", "related"),
        Field("chapter", "Chapter", "text", 300),
        Field("block", "Block", "text", 300),
        Field("parent", "Parent code", "text", 20),
        Field("billable", "Billable", "bool"),
        Field("status", "Status", "status"),
        Field("lay_terms", "Lay terms", "text_list", 200),
        Field("attribution", "Attribution", "attribution", 300),
    )
}

# Content fields that carry a source and a licence (docs/accounts.md, "Attribution").
ATTRIBUTED_FIELDS = (
    "official_descriptor",
    "short_descriptor",
    "common_description",
    "notes",
    "related",
    "chapter",
    "block",
    "lay_terms",
)
# Written by the publisher's editors, not by the code set's owner.
PUBLISHER_FIELDS = frozenset({"common_description", "lay_terms"})


def empty_content() -> dict:
    return {
        "official_descriptor": "",
        "short_descriptor": "",
        "common_description": "",
        "notes": {},
        "related": [],
        "chapter": "",
        "block": "",
        "parent": "",
        "billable": False,
        "status": "active",
        "lay_terms": [],
    }


# What a field of each kind holds when it was never set: an attribution override is the one
# field empty_content() leaves out (no override: the system's attribution applies).
_EMPTY = {
    "text": "",
    "bool": False,
    "status": "active",
    "text_list": [],
    "notes": {},
    "related": [],
    "attribution": {},
}


def empty_value(name: str):
    """The value of field `name` on a code that never had it set."""
    return empty_content().get(name, _EMPTY[FIELDS[name].kind])


def _text(value, field: Field) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{field.label} must be text")
    value = value.strip()
    if "\x00" in value:
        raise ValidationError(f"{field.label} contains a NUL character")
    if len(value) > field.max_length:
        raise ValidationError(
            f"{field.label} is {len(value)} characters long; the limit is {field.max_length}"
        )
    if field.required and not value:
        raise ValidationError(f"{field.label} cannot be empty")
    return value


def _text_list(value, field: Field, *, label: str | None = None) -> list[str]:
    label = label or field.label
    if not isinstance(value, list):
        raise ValidationError(f"{label} must be a list of texts")
    if len(value) > MAX_ITEMS:
        raise ValidationError(f"{label} has {len(value)} items; the limit is {MAX_ITEMS}")
    item_field = Field(field.name, label, "text", field.max_length)
    return [cleaned for item in value if (cleaned := _text(item, item_field))]


def _notes(value, field: Field) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise ValidationError("Notes must be an object of note kind -> list of texts")
    unknown = sorted(set(value) - set(NOTE_KINDS))
    if unknown:
        raise ValidationError(
            f"unknown note kind(s) {', '.join(unknown)}; known: {', '.join(NOTE_KINDS)}"
        )
    cleaned = {}
    for kind in NOTE_KINDS:
        if kind in value:
            items = _text_list(value[kind], field, label=f"Notes ({kind})")
            if items:
                cleaned[kind] = items
    return cleaned


def _related(value, field: Field) -> list[dict]:
    if not isinstance(value, list):
        raise ValidationError("Related codes must be a list of {system, code, relation}")
    if len(value) > MAX_ITEMS:
        raise ValidationError(f"Related codes has {len(value)} items; the limit is {MAX_ITEMS}")
    cleaned = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"system", "code", "relation"}:
            raise ValidationError("each related code is {system, code, relation}")
        system = item.get("system")
        if system not in SYSTEMS:
            raise ValidationError(f"related code system {system!r} is unknown")
        relation = item.get("relation")
        if relation not in RELATION_KINDS:
            raise ValidationError(
                f"relation {relation!r} is unknown; known: {', '.join(RELATION_KINDS)}"
            )
        code = item.get("code")
        if not isinstance(code, str) or not code.strip():
            raise ValidationError("each related code needs a code")
        code = code.strip()
        # A range such as "F17.-" is kept as written; single codes are checked and normalised.
        if not code.endswith("-"):
            code = SYSTEMS[system].display(code)
        cleaned.append({"system": system, "code": code, "relation": relation})
    return cleaned


def _attribution(value, field: Field) -> dict[str, dict[str, str]]:
    """Per-field overrides of the system's attribution: {field: {"source", "licence"}}."""
    if not isinstance(value, dict):
        raise ValidationError('Attribution must be an object of field -> {"source", "licence"}')
    unknown = sorted(set(value) - set(ATTRIBUTED_FIELDS))
    if unknown:
        raise ValidationError(
            f"attribution for unknown field(s) {', '.join(unknown)}; "
            f"known: {', '.join(ATTRIBUTED_FIELDS)}"
        )
    cleaned = {}
    for name in ATTRIBUTED_FIELDS:
        if name not in value:
            continue
        item = value[name]
        if not isinstance(item, dict) or set(item) != {"source", "licence"}:
            raise ValidationError(f'attribution of {name} is {{"source": …, "licence": …}}')
        cleaned[name] = {
            key: _text(item[key], Field(name, f"{name} {key}", "text", field.max_length, True))
            for key in ("source", "licence")
        }
    return cleaned


def _bool(value, field: Field) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{field.label} must be true or false")
    return value


def _status(value, field: Field) -> str:
    if value not in STATUSES:
        raise ValidationError(f"{field.label} must be one of {', '.join(STATUSES)}")
    return value


_CLEANERS = {
    "text": _text,
    "bool": _bool,
    "status": _status,
    "text_list": _text_list,
    "notes": _notes,
    "attribution": _attribution,
    "related": _related,
}


def clean_value(name: str, value):
    field = FIELDS[name]
    return _CLEANERS[field.kind](value, field)


def clean_changes(changes) -> dict:
    """Validate proposed field values; raises ValidationError with a message per field."""
    if not isinstance(changes, dict) or not changes:
        raise ValidationError({"changes": ["propose at least one field change"]})
    errors, cleaned = {}, {}
    for name, value in changes.items():
        if name not in FIELDS:
            errors[name] = [f"unknown field; fields are {', '.join(FIELDS)}"]
            continue
        try:
            cleaned[name] = clean_value(name, value)
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def clean_proposal(changes: dict, content: dict, *, is_new: bool) -> dict:
    """The cleaned field values a proposal (or a registration) sets on a code whose content is
    `content`; refuses (Invalid, with a message per field) what is invalid or changes nothing."""
    try:
        cleaned = clean_changes(changes)
    except ValidationError as error:
        raise Invalid(
            "the proposed changes are not valid",
            errors=error.message_dict
            if hasattr(error, "error_dict")
            else {"changes": error.messages},
        ) from None
    if is_new:
        if not cleaned.get("official_descriptor"):
            raise Invalid(
                "a new code needs an official descriptor",
                errors={"official_descriptor": ["required for a new code"]},
            )
        return cleaned
    unchanged = [name for name, value in cleaned.items() if content.get(name) == value]
    if len(unchanged) == len(cleaned):
        raise Invalid(
            "the proposal changes nothing: every value equals the current one",
            errors={name: ["same as the current value"] for name in unchanged},
        )
    return {name: value for name, value in cleaned.items() if name not in unchanged}
