"""The input of a FHIR operation, from the query string (GET, or a form POST) or from a
Parameters resource (POST), checked against what the operation takes.

A parameter the operation does not take is refused (400, naming it), as the REST API refuses an
unknown field: a misspelt `dispaly` would otherwise validate nothing and say "true". Parameters
whose names start with `_` (`_format`, `_pretty`) are FHIR's general ones and are let through.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from rest_framework import serializers

MAX_TEXT = 1000
MAX_FILTER = 200
MAX_COUNT = 1000  # concepts in one page of an expansion
MAX_OFFSET = 10_000_000

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Param:
    kind: str  # text | date | count | offset | boolean | coding
    repeats: bool = False
    max_length: int = MAX_TEXT


LOOKUP = {
    "system": Param("text"),
    "code": Param("text"),
    "version": Param("text"),
    "date": Param("date"),
    "property": Param("text", repeats=True),
    "coding": Param("coding"),
    "displayLanguage": Param("text"),
}
VALIDATE_CODE = {
    "url": Param("text"),
    "system": Param("text"),  # ValueSet/$validate-code: the code's system
    "code": Param("text"),
    "display": Param("text"),
    "version": Param("text"),
    "systemVersion": Param("text"),
    "date": Param("date"),
    "coding": Param("coding"),
    "displayLanguage": Param("text"),
    "abstract": Param("boolean"),
}
SUBSUMES = {
    "system": Param("text"),
    "codeA": Param("text"),
    "codeB": Param("text"),
    "version": Param("text"),
    "codingA": Param("coding"),
    "codingB": Param("coding"),
}
EXPAND = {
    "url": Param("text"),
    "filter": Param("text", max_length=MAX_FILTER),
    "count": Param("count"),
    "offset": Param("offset"),
    "date": Param("date"),
    "valueSetVersion": Param("text"),
    "displayLanguage": Param("text"),
    "activeOnly": Param("boolean"),
}

# A value[x] of a Parameters resource, read as the text the query string would carry.
_TEXT_VALUES = (
    "valueString",
    "valueCode",
    "valueUri",
    "valueUrl",
    "valueCanonical",
    "valueDate",
    "valueDateTime",
    "valueId",
)


def _raw_values(request) -> dict[str, list]:
    """name -> the values given, as text (or a dict for a Coding)."""
    data = request.data if request.method == "POST" else request.query_params
    if hasattr(data, "getlist"):  # the query string, or a form POST
        return {name: data.getlist(name) for name in data}
    if not isinstance(data, dict) or data.get("resourceType") != "Parameters":
        raise serializers.ValidationError(
            {"resourceType": ["the body must be a FHIR Parameters resource"]}
        )
    given: dict[str, list] = {}
    parameters = data.get("parameter") or []
    if not isinstance(parameters, list):
        raise serializers.ValidationError({"parameter": ["must be a list"]})
    for n, parameter in enumerate(parameters):
        where = f"parameter[{n}]"
        if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
            raise serializers.ValidationError({where: ["each parameter needs a name"]})
        values = [key for key in parameter if key.startswith("value")]
        if len(values) != 1:
            raise serializers.ValidationError(
                {parameter["name"]: ["give exactly one value[x] (e.g. valueCode)"]}
            )
        key = values[0]
        value = parameter[key]
        if key == "valueCoding":
            if not isinstance(value, dict):
                raise serializers.ValidationError({parameter["name"]: ["not a Coding"]})
        elif key in ("valueInteger", "valueBoolean"):
            value = str(value).lower() if isinstance(value, bool) else str(value)
        elif key not in _TEXT_VALUES or not isinstance(value, str):
            raise serializers.ValidationError(
                {parameter["name"]: [f"{key} is not a value this operation reads"]}
            )
        given.setdefault(parameter["name"], []).append(value)
    return given


def _text(value, spec: Param) -> str:
    if not isinstance(value, str):
        raise ValueError("must be text")
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    if len(value) > spec.max_length:
        raise ValueError(f"at most {spec.max_length} characters")
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


def _date(value: str) -> date:
    """A FHIR date (YYYY-MM-DD) or dateTime (its day, where it was written)."""
    text = _text(value, Param("text"))
    try:
        if _DATE.fullmatch(text):
            return date.fromisoformat(text)
        if "T" in text and _DATE.fullmatch(text[:10]):
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or dateTime")


def _integer(value: str, *, low: int, high: int) -> int:
    text = _text(value, Param("text"))
    if not re.fullmatch(r"[0-9]{1,9}", text):
        raise ValueError(f"{text!r} is not a whole number")
    number = int(text)
    if not low <= number <= high:
        raise ValueError(f"must be from {low} to {high}")
    return number


def _coding(value) -> dict:
    if not isinstance(value, dict):
        raise ValueError("must be a Coding (valueCoding), in a Parameters resource")
    coding = {}
    for key in ("system", "code", "display", "version"):
        if key in value:
            coding[key] = _text(value[key], Param("text"))
    if "code" not in coding:
        raise ValueError("the Coding has no code")
    return coding


def _convert(value, spec: Param):
    if spec.kind == "coding":
        return _coding(value)
    if spec.kind == "date":
        return _date(value)
    if spec.kind == "count":
        return _integer(value, low=0, high=MAX_COUNT)
    if spec.kind == "offset":
        return _integer(value, low=0, high=MAX_OFFSET)
    if spec.kind == "boolean":
        text = _text(value, Param("text")).lower()
        if text not in ("true", "false"):
            raise ValueError("must be true or false")
        return text == "true"
    return _text(value, spec)


def read_parameters(request, operation: dict[str, Param]) -> dict:
    """The operation's parameters as Python values (a repeated one as a list); a 400
    OperationOutcome naming each parameter that is unknown, repeated or malformed."""
    errors: dict[str, list[str]] = {}
    found = {}
    for name, values in _raw_values(request).items():
        if name.startswith("_"):
            continue
        spec = operation.get(name)
        if spec is None:
            known = ", ".join(operation)
            errors[name] = [f"not a parameter of this operation (it takes: {known})"]
            continue
        if len(values) > 1 and not spec.repeats:
            errors[name] = ["given more than once"]
            continue
        try:
            converted = [_convert(value, spec) for value in values]
        except ValueError as error:
            errors[name] = [str(error)]
            continue
        found[name] = converted if spec.repeats else converted[0]
    if errors:
        raise serializers.ValidationError(errors)
    return found


def require(found: dict, *names: str) -> None:
    missing = [name for name in names if name not in found]
    if missing:
        raise serializers.ValidationError({key: ["required"] for key in missing})


# CodeSystem's R4 elements, the names `_elements` may give.
CODE_SYSTEM_ELEMENTS = frozenset(
    {
        "id", "meta", "implicitRules", "language", "text", "contained", "extension",
        "modifierExtension", "url", "identifier", "version", "name", "title", "status",
        "experimental", "date", "publisher", "contact", "description", "useContext",
        "jurisdiction", "purpose", "copyright", "caseSensitive", "valueSet", "hierarchyMeaning",
        "compositional", "versionNeeded", "content", "supplements", "count", "filter",
        "property", "concept",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Shape:
    """How much of a resource a read asks for: FHIR's `_summary` and `_elements`."""

    summary: bool = False  # _summary=true: the summary elements only
    elements: frozenset | None = None  # _elements=a,b: those (and the mandatory ones) only

    def keeps(self, element: str) -> bool:
        if self.summary:
            return False  # no element worth computing here is a summary one (concept is not)
        return self.elements is None or element in self.elements


def read_shape(request) -> Shape:
    """`_summary` (true, false or data: CodeLedger's resources carry no narrative, so data is
    the whole resource) and `_elements` (CodeSystem element names, comma-separated) from the
    query string; a 400 naming the parameter for anything else, or for both at once."""
    errors = {}
    given = {name: request.query_params.getlist(name) for name in ("_summary", "_elements")}
    given = {name: values for name, values in given.items() if values}
    for name, values in given.items():
        if len(values) > 1:
            errors[name] = ["given more than once"]
        elif len(values[0]) > MAX_TEXT:
            errors[name] = [f"at most {MAX_TEXT} characters"]
    if len(given) == 2:
        errors["_elements"] = ["give _summary or _elements, not both"]
    if errors:
        raise serializers.ValidationError(errors)
    if "_summary" in given:
        value = given["_summary"][0].strip().lower()
        if value not in ("true", "false", "data"):
            raise serializers.ValidationError(
                {"_summary": ["a CodeSystem is read with _summary=true, false or data"]}
            )
        return Shape(summary=value == "true")
    if "_elements" in given:
        names = frozenset(n.strip() for n in given["_elements"][0].split(",") if n.strip())
        if unknown := sorted(names - CODE_SYSTEM_ELEMENTS):
            raise serializers.ValidationError(
                {"_elements": [f"not an element of CodeSystem: {', '.join(unknown)}"]}
            )
        if not names:
            raise serializers.ValidationError({"_elements": ["name at least one element"]})
        return Shape(elements=names)
    return Shape()


WHOLE = Shape()
