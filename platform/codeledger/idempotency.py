"""Idempotency-Key on every POST of the API (the IETF httpapi draft "The Idempotency-Key HTTP
Header Field"): a client that retries a write sends the same key, and gets the first answer
again instead of a second write.

- The same caller, key and request (method, path, body) within IDEMPOTENCY_KEY_SECONDS (24 h):
  the first answer again, same status and body, with `Idempotent-Replayed: true`; nothing runs.
- The same key with another request: 422 problem. While the first is still running: 409 problem
  (retry later). A key that is not 1-255 visible ASCII characters: 400 problem.
- 5xx answers are not kept (a retry runs again). Without the header nothing changes.

Kept durably in the database (codeledger.models.IdempotentRequest), claimed before the request
runs so that concurrent duplicates see each other (the unique constraint decides). The caller is
scoped before authentication runs in DRF: the signed-in session's user, the Basic username, or
the API key's public prefix (never a password or a key's secret).
"""

import base64
import binascii
import hashlib
import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from codeledger.models import IdempotentRequest
from codeledger.problems import problem_response

HEADER = "Idempotency-Key"
_VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")
MAX_KEPT_BODY = 1_000_000


def _caller(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    authorization = request.headers.get("Authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "basic":
        try:
            username = base64.b64decode(credentials, validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            username = ""
        return f"basic:{username[:150]}"
    if scheme == "Api-Key":
        return f"key:{credentials.partition('.')[0][:60]}"
    return "anonymous"


def _fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not _VALID_KEY.fullmatch(key):
            return problem_response(
                400,
                f"the {HEADER} header must be 1 to 255 visible ASCII characters",
                slug="invalid-idempotency-key",
            )
        try:
            fingerprint = _fingerprint(request)
        except RequestDataTooBig:
            return self.get_response(request)  # answered as too large downstream
        caller, now = _caller(request), timezone.now()
        expired = now - timedelta(seconds=settings.IDEMPOTENCY_KEY_SECONDS)
        IdempotentRequest.objects.filter(created_at__lt=expired).delete()
        try:
            with transaction.atomic():
                claim = IdempotentRequest.objects.create(
                    caller=caller, key=key, fingerprint=fingerprint, created_at=now
                )
        except IntegrityError:
            return self._repeated(caller, key, fingerprint)
        response = self.get_response(request)
        self._keep(claim, response)
        return response

    @staticmethod
    def _repeated(caller: str, key: str, fingerprint: str) -> HttpResponse:
        first = IdempotentRequest.objects.filter(caller=caller, key=key).first()
        if first is None:  # the first one failed with a 5xx meanwhile: let the client retry
            return problem_response(
                409,
                f"the request with this {HEADER} has just ended; send it again",
                slug="idempotency-key-in-use",
            )
        if first.fingerprint != fingerprint:
            return problem_response(
                422,
                f"this {HEADER} was used for a different request (another method, path or "
                "body); use a new key for a new request",
                slug="idempotency-key-reused",
            )
        if first.status is None:
            return problem_response(
                409,
                f"a request with this {HEADER} is still being processed; retry later",
                slug="idempotency-key-in-use",
            )
        replay = HttpResponse(
            bytes(first.body), status=first.status, content_type=first.content_type or None
        )
        if first.location:
            replay["Location"] = first.location
        replay["Idempotent-Replayed"] = "true"
        return replay

    @staticmethod
    def _keep(claim: IdempotentRequest, response) -> None:
        body = getattr(response, "content", b"") if not response.streaming else b""
        if response.status_code >= 500 or len(body) > MAX_KEPT_BODY:
            claim.delete()  # a retry runs again
            return
        claim.status = response.status_code
        claim.content_type = response.get("Content-Type", "")
        claim.location = response.get("Location", "")[:500]
        claim.body = body
        claim.save(update_fields=["status", "content_type", "location", "body"])


def document_header(result, generator, request, public):
    """drf-spectacular postprocessing hook: every POST of the API takes the header."""
    parameter = {
        "in": "header",
        "name": HEADER,
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": "Send the same key when you retry this request: within 24 hours the "
        "first answer comes back (header Idempotent-Replayed: true) and nothing is written "
        "twice; the same key with another body is a 422, while the first still runs a 409.",
    }
    for operations in result.get("paths", {}).values():
        if "post" in operations:
            operations["post"].setdefault("parameters", []).append(parameter)
    return result
