"""How the FHIR endpoints talk: `application/fhir+json` in and out, and every error an
OperationOutcome with the HTTP status the REST API would give it.

Errors are first mapped by the REST API's own handler (codeledger.problems), so a bad API key is
a 401, a throttled caller a 429 with Retry-After, a missing code a 404, exactly as there; the
problem's body is then told again as an OperationOutcome (FHIR clients read `issue`, not
`detail`), its headers kept.
"""

from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from codeledger.parsers import JSONParser
from codeledger.problems import exception_handler as problem_handler

MEDIA_TYPE = "application/fhir+json"

# HTTP status -> OperationOutcome.issue.code (the FHIR "issue-type" value set).
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    413: "too-costly",
    415: "not-supported",
    429: "throttled",
    503: "transient",
}


class FhirJSONRenderer(JSONRenderer):
    media_type = MEDIA_TYPE
    format = "json"
    charset = "utf-8"


class FhirJSONParser(JSONParser):
    """The API's JSON parser (depth and Unicode checks) for FHIR's own media type."""

    media_type = MEDIA_TYPE


class AlwaysFhirJSON(BaseContentNegotiation):
    """One representation: FHIR JSON, whatever Accept or `_format` asks (a client asking for
    XML gets JSON, as Ontoserver and HAPI do when XML is not offered)."""

    def select_parser(self, request, parsers):
        for parser in parsers:
            if request.content_type.split(";")[0].strip() == parser.media_type:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def outcome(
    status: int, text: str, *, severity: str = "error", expression: list | None = None
) -> dict:
    """An OperationOutcome with one issue."""
    issue = {
        "severity": severity,
        "code": ISSUE_CODES.get(status, "exception" if status >= 500 else "processing"),
        "diagnostics": text,
    }
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def fhir_response(resource: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(resource, status=status, headers=headers, content_type=MEDIA_TYPE)


def exception_handler(exc, context):
    """codeledger.problems' answer to `exc`, as an OperationOutcome."""
    if isinstance(exc, exceptions.UnsupportedMediaType):
        exc = exceptions.UnsupportedMediaType(
            exc.detail, detail=f"send {MEDIA_TYPE} (a Parameters resource) or application/json"
        )
    response = problem_handler(exc, context)
    if response is None:
        return None
    body = response.data
    headers = {
        name: value
        for name, value in response.headers.items()
        if name.lower() in ("retry-after", "www-authenticate", "allow")
        or name.lower().startswith("x-ratelimit")
    }
    errors = body.get("errors") or {}
    fields = [name for name in errors if name != "non_field_errors"]
    resource = outcome(response.status_code, body.get("detail", ""), expression=fields or None)
    return fhir_response(resource, response.status_code, headers)
