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
