"""Request ids: taken from X-Request-ID (or made), echoed back, and carried into event meta."""

import re
import uuid

from events.context import event_meta

_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request.request_id = given if _SAFE_ID.fullmatch(given) else uuid.uuid4().hex
        with event_meta(request_id=request.request_id, source="web"):
            response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response
