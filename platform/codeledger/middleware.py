"""Request ids (taken from X-Request-ID or made, echoed back, carried into event meta, log lines
and Celery tasks), methods the API does not have, a busy database, the latency of search
requests, and read-replica reads."""

import re
import time
import uuid

from django.conf import settings
from django.template.response import TemplateResponse

from codeledger.problems import BUSY_DETAIL, BUSY_RETRY_AFTER, database_busy, problem_response
from codeledger.routers import replica_configured, replica_reads
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


class ApiMethodNotAllowedMiddleware:
    """A method that no API view has (TRACE, or DELETE on a list) is a 405 problem with Allow.
    DRF looks for the method's handler only after authentication and permissions: an
    anonymous TRACE on a workflow URL was a 401, as if signing in would make it work."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        view = getattr(view_func, "cls", None)  # an APIView's as_view() keeps its class
        if view is None or not request.path.startswith("/api/"):
            return None
        allowed = [m for m in view.http_method_names if hasattr(view, m)]
        if "get" in allowed and "head" not in allowed:
            allowed.append("head")  # Django's View answers HEAD with GET
        if request.method.lower() in allowed:
            return None
        response = problem_response(405, f'method "{request.method}" not allowed here')
        response["Allow"] = ", ".join(m.upper() for m in allowed)
        return response


class DatabaseBusyMiddleware:
    """A screen or a plain view whose write waited too long for the database answers 503 with
    Retry-After (a page that says to try again, or a problem under /api/), never a 500. DRF
    views get the same answer from codeledger.problems.exception_handler."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_busy(exception):
            return None
        if request.path.startswith("/api/"):
            response = problem_response(503, BUSY_DETAIL, slug="busy")
        else:
            response = TemplateResponse(request, "503.html", status=503)
        response["Retry-After"] = BUSY_RETRY_AFTER
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


PRIMARY_COOKIE = "codeledger_primary"


class ReplicaReadsMiddleware:
    """GET/HEAD requests read read models from the replica, unless the client wrote within the
    last DATABASE_REPLICA_STICKY_SECONDS (a cookie set by its write): people see their own
    changes at once; the replica's lag only shows to those who did not make them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        if request.method in ("GET", "HEAD") and PRIMARY_COOKIE not in request.COOKIES:
            with replica_reads():
                return self.get_response(request)
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            response.set_cookie(
                PRIMARY_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_STICKY_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
