"""Request ids (taken from X-Request-ID or made, echoed back, carried into event meta, log lines
and Celery tasks) and the latency of search requests."""

import re
import time
import uuid

from events.context import event_meta

_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")

# url names (namespace:name) whose latency is "search latency" (codeledger.metrics)
SEARCH_ENDPOINTS = {
    "search-api:search": "api_search",
    "search-api:suggest": "api_suggest",
    "search-api:lookup": "api_lookup",
    "search": "screen_search",
    "search-suggest": "screen_suggest",
}


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


class SearchLatencyMiddleware:
    """Observes codeledger_search_latency_seconds for the search endpoints."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        endpoint = SEARCH_ENDPOINTS.get(match.view_name) if match else None
        if endpoint:
            from codeledger.metrics import SEARCH_LATENCY

            SEARCH_LATENCY.labels(endpoint=endpoint).observe(time.perf_counter() - started)
        return response
