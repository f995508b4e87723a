"""RFC 9457 problem details: every API error has the same JSON shape and a human message.

`{"type", "title", "status", "detail", "errors"?: {field: [messages]}, ...extra}` served as
`application/problem+json`. Domain and event-store errors are mapped here, in one place.
"""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404, HttpResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from codeledger.domain import DomainError, NotFound
from events.store import ConcurrencyError, IdempotencyError

CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "Invalid input",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    429: "Too many requests",
    503: "Service unavailable",
}


def problem_body(
    status_code: int, detail: str, *, slug: str | None = None, errors=None, **extra
) -> dict:
    body = {
        "type": f"/problems/{slug or TITLES.get(status_code, 'error').lower().replace(' ', '-')}",
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def problem(
    status_code: int, detail: str, *, slug: str | None = None, errors=None, headers=None, **extra
) -> Response:
    body = problem_body(status_code, detail, slug=slug, errors=errors, **extra)
    return Response(body, status=status_code, headers=headers, content_type=CONTENT_TYPE)


def problem_response(status_code: int, detail: str, **extra) -> HttpResponse:
    """A problem from a plain Django view (outside DRF, e.g. an unknown API route)."""
    body = problem_body(status_code, detail, **extra)
    return HttpResponse(json.dumps(body), status=status_code, content_type=CONTENT_TYPE)


class ProblemError(Exception):
    """Raise from a view to answer with a problem (e.g. 503 with Retry-After)."""

    def __init__(self, status_code: int, detail: str, *, slug=None, headers=None, **extra):
        super().__init__(detail)
        self.status_code, self.detail, self.slug = status_code, detail, slug
        self.headers, self.extra = headers or {}, extra


BUSY_DETAIL = "the database is busy; please retry shortly"
BUSY_RETRY_AFTER = "5"


def database_busy(exc: BaseException) -> bool:
    """A write waited longer than the database lets it: PostgreSQL's lock_timeout (the append
    lock held by a long import or a stuck session) or SQLite's busy timeout ("database is
    locked": one writer at a time in the embedded default). The request did nothing; the same
    request later will work, so it is a 503 with Retry-After, not a 500."""
    if not isinstance(exc, OperationalError):
        return False
    message = str(exc)
    return "lock timeout" in message or "database is locked" in message


def _field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {
            key: [str(m) for m in value] if isinstance(value, list) else [str(value)]
            for key, value in detail.items()
        }
    return {"non_field_errors": [str(m) for m in detail]}


def exception_handler(exc, context):
    if isinstance(exc, ProblemError):
        return problem(exc.status_code, exc.detail, slug=exc.slug, headers=exc.headers, **exc.extra)
    if isinstance(exc, DomainError):
        code = {"forbidden": 403, "state": 409, "conflict": 409}.get(exc.kind, 400)
        details = dict(exc.details)
        errors = details.pop("errors", None)
        slug = {
            "forbidden": "forbidden",
            "state": "invalid-state",
            "conflict": "stale-base-version",
        }.get(exc.kind, "invalid-input")
        return problem(code, exc.message, slug=slug, errors=errors, **details)
    if isinstance(exc, ConcurrencyError):
        expected = getattr(exc.expected, "value", exc.expected)
        return problem(
            409,
            f"{exc}: someone else acted first; reload and try again",
            slug="version-conflict",
            stream=exc.stream,
            expected_version=expected,
            current_version=exc.actual,
        )
    if database_busy(exc):
        return problem(503, BUSY_DETAIL, slug="busy", headers={"Retry-After": BUSY_RETRY_AFTER})
    if isinstance(exc, RequestDataTooBig):
        # 413, not Django's plain 400: the request is well formed, only larger than we take,
        # and a client can tell that apart (send less, or in parts) by the status alone.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return problem(413, f"the request body is larger than the {limit} bytes this API accepts")
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return problem(400, str(exc))
    if isinstance(exc, IdempotencyError):
        return problem(409, str(exc), slug="duplicate-event")
    if isinstance(exc, NotFound | Http404):
        return problem(404, str(exc) or "not found")
    if isinstance(exc, DjangoValidationError):
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return problem(400, "; ".join(m for ms in errors.values() for m in ms), errors=errors)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        summary = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
        return problem(400, summary, errors=errors, headers=response.headers)
    detail = (
        exc.detail
        if isinstance(getattr(exc, "detail", None), str)
        else str(getattr(exc, "detail", exc))
    )
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        return problem(429, detail, headers=dict(response.headers))
    return problem(response.status_code, detail, headers=dict(response.headers))
