"""Reading a FHIR R4 CodeSystem resource (JSON) into the rows a code-set import registers: for
bring-your-own code sets (issue #25), whose importer (`codes_import --file F --format fhir`,
codesets.files) maps each row to a code's content and sends it through the usual event pipeline.
Pure: no database, no Django.

A concept's parent is the concept it is nested in (`concept.concept`), or its `parent`
property; `notSelectable` makes a header; `status` (`active`, `retired`, `deprecated`: read as
retired) and the effective dates are properties too, with the codes $lookup returns
(`in-force-from`), FHIR's `effectiveDate`, and `retirementDate`. The short descriptor is the
designation whose use is CodeLedger's `short-descriptor` (fhir.concepts.DESIGNATION_USE) or
whose use `display` says "short"; lay terms are designations of use `lay-term`.

Anything malformed stops the reading with its JSON path (`concept[3].concept[0].code: missing`),
so an import can change nothing and say where to look. The hierarchy is walked with an explicit
stack: a deep one cannot exhaust Python's recursion limit.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

DESIGNATION_USE = "urn:codeledger:fhir:designation-use"  # as fhir.concepts names it
MAX_TEXT = 1000
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
RETIRED = {"retired", "deprecated", "inactive"}
# An extension on the CodeSystem resource (valueBoolean): true makes a system the file defines
# licensed, readable in full only by organisations holding its licence (docs/code-sets.md).
LICENSED_EXTENSION = "urn:codeledger:fhir:StructureDefinition/licensed"


class MalformedCodeSystem(ValueError):
    """The resource is not a CodeSystem CodeLedger can read: `path` says where."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path, self.problem = path, problem


@dataclass(frozen=True)
class CodeSystemHeader:
    url: str
    name: str
    title: str
    version: str
    publisher: str
    copyright: str
    count: int | None
    licensed: bool | None = None  # the LICENSED_EXTENSION's value; None: not given


@dataclass(frozen=True)
class ConceptRow:
    code: str
    display: str
    parent: str = ""
    short_display: str = ""
    selectable: bool = True
    status: str = "active"
    effective_from: date | None = None
    retired_on: date | None = None
    lay_terms: tuple[str, ...] = ()
    properties: dict = field(default_factory=dict)  # other properties: code -> [values]
    path: str = ""  # where the concept is in the resource


def _text(value, path: str, *, required: bool = False) -> str:
    if value is None:
        if required:
            raise MalformedCodeSystem(path, "missing")
        return ""
    if not isinstance(value, str):
        raise MalformedCodeSystem(path, "must be a string")
    value = value.strip()
    if required and not value:
        raise MalformedCodeSystem(path, "must not be empty")
    if len(value) > MAX_TEXT or "\x00" in value:
        raise MalformedCodeSystem(path, f"at most {MAX_TEXT} characters, and no NUL")
    return value


def _day(value, path: str) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise MalformedCodeSystem(path, "must be a date (YYYY-MM-DD) or dateTime")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise MalformedCodeSystem(path, f"{value!r} is not a real day") from None


def read_header(resource) -> CodeSystemHeader:
    if not isinstance(resource, dict) or resource.get("resourceType") != "CodeSystem":
        raise MalformedCodeSystem("resourceType", "must be CodeSystem")
    count = resource.get("count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
        raise MalformedCodeSystem("count", "must be a whole number")
    licensed = None
    extensions = resource.get("extension") or []
    if not isinstance(extensions, list):
        raise MalformedCodeSystem("extension", "must be a list")
    for n, extension in enumerate(extensions):
        if isinstance(extension, dict) and extension.get("url") == LICENSED_EXTENSION:
            licensed = extension.get("valueBoolean")
            if not isinstance(licensed, bool):
                raise MalformedCodeSystem(f"extension[{n}].valueBoolean", "must be true or false")
    return CodeSystemHeader(
        licensed=licensed,
        url=_text(resource.get("url"), "url", required=True),
        name=_text(resource.get("name"), "name"),
        title=_text(resource.get("title"), "title"),
        version=_text(resource.get("version"), "version"),
        publisher=_text(resource.get("publisher"), "publisher"),
        copyright=_text(resource.get("copyright"), "copyright"),
        count=count,
    )


def _value(entry: dict, path: str):
    values = [key for key in entry if key.startswith("value")]
    if len(values) != 1:
        raise MalformedCodeSystem(path, "give exactly one value[x]")
    return values[0], entry[values[0]]


def _row(concept, path: str, parent: str) -> ConceptRow:
    if not isinstance(concept, dict):
        raise MalformedCodeSystem(path, "a concept must be an object")
    code = _text(concept.get("code"), f"{path}.code", required=True)
    display = _text(concept.get("display"), f"{path}.display", required=True)
    row = {"parent": parent, "properties": {}}
    short, lay = "", []
    for n, designation in enumerate(concept.get("designation") or []):
        where = f"{path}.designation[{n}]"
        if not isinstance(designation, dict):
            raise MalformedCodeSystem(where, "must be an object")
        value = _text(designation.get("value"), f"{where}.value", required=True)
        use = designation.get("use") or {}
        if not isinstance(use, dict):
            raise MalformedCodeSystem(f"{where}.use", "must be a Coding")
        ours = use.get("system") == DESIGNATION_USE
        if (ours and use.get("code") == "short-descriptor") or (
            not ours and "short" in str(use.get("display", "")).lower()
        ):
            short = short or value
        elif ours and use.get("code") == "lay-term":
            lay.append(value)
    for n, prop in enumerate(concept.get("property") or []):
        where = f"{path}.property[{n}]"
        if not isinstance(prop, dict):
            raise MalformedCodeSystem(where, "must be an object")
        name = _text(prop.get("code"), f"{where}.code", required=True)
        kind, value = _value(prop, where)
        if name == "parent":
            row["parent"] = _text(value, f"{where}.{kind}", required=True)
        elif name == "notSelectable":
            if not isinstance(value, bool):
                raise MalformedCodeSystem(f"{where}.{kind}", "must be true or false")
            row["selectable"] = not value
        elif name == "status":
            status = _text(value, f"{where}.{kind}", required=True).lower()
            if status not in RETIRED | {"active"}:
                raise MalformedCodeSystem(f"{where}.{kind}", f"unknown status {status!r}")
            row["status"] = "retired" if status in RETIRED else "active"
        elif name in ("in-force-from", "effectiveDate", "effectiveFrom"):
            row["effective_from"] = _day(value, f"{where}.{kind}")
        elif name == "retirementDate":
            row["retired_on"] = _day(value, f"{where}.{kind}")
        else:
            row["properties"].setdefault(name, []).append(value)
    return ConceptRow(
        code=code, display=display, short_display=short, lay_terms=tuple(lay), path=path, **row
    )


def read_concepts(resource) -> Iterator[ConceptRow]:
    """Every concept, parents before their children, in the resource's order; a code given
    twice stops the reading at its second place."""
    top = resource.get("concept") or []
    if not isinstance(top, list):
        raise MalformedCodeSystem("concept", "must be a list")
    seen: dict[str, str] = {}
    stack = [(f"concept[{n}]", concept, "") for n, concept in reversed(list(enumerate(top)))]
    while stack:
        path, concept, parent = stack.pop()
        row = _row(concept, path, parent)
        if row.code in seen:
            raise MalformedCodeSystem(
                f"{path}.code", f"{row.code} is given twice (first at {seen[row.code]})"
            )
        seen[row.code] = path
        yield row
        children = concept.get("concept") or []
        if not isinstance(children, list):
            raise MalformedCodeSystem(f"{path}.concept", "must be a list")
        stack.extend(
            (f"{path}.concept[{n}]", child, row.code)
            for n, child in reversed(list(enumerate(children)))
        )
