"""The floor under the API rows of bench/search.py: the answers of /api/v1/codes/search and
/suggest, computed by the views' own functions (search.api.search_results and suggest_results:
the index position read, the query, the Elasticsearch call, the answer's shape), for an
anonymous caller, served by this bare WSGI callable under the same gunicorn and settings.

What it leaves out is what the API adds on top: Django's request and response objects, URL
routing and middleware, and DRF's authentication, permission, throttle (its Redis round trip
included), parameter validation and content negotiation. It keeps what any Django app pays per
request: the request_started / request_finished signals (database connection upkeep) and the
API's JSON renderer. So the API row minus this row is the framework's cost; this row minus the
direct row is HTTP's and gunicorn's.
Not part of the product: gunicorn loads it with `--pythonpath bench/floor bare_wsgi:application`.
"""

from urllib.parse import parse_qsl

import django

django.setup()

import functools  # noqa: E402

from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.http import HttpRequest  # noqa: E402

from accounts.licensing import unlicensed_systems  # noqa: E402
from codeledger.api import withheld_for  # noqa: E402
from search.api import RENDERERS, search_results, suggest_results  # noqa: E402


def anonymous() -> HttpRequest:
    request = HttpRequest()
    request.user = AnonymousUser()
    return request


# An anonymous caller's exclusions, as the API's: the unlicensed systems, and highlights of the
# official text only (the metered sections are withheld: codeledger.api.withheld_for).
HIDDEN = unlicensed_systems(anonymous())
WITHHELD = functools.partial(withheld_for, anonymous())
SEARCH_DEFAULTS = {"q": "", "size": 20, "billable": None}  # SearchParams' defaults


def answer(path: str, params: dict) -> dict | None:
    if path == "/api/v1/codes/search":
        query = {**SEARCH_DEFAULTS, "q": params.get("q", "")}
        return search_results(query, HIDDEN, withheld=WITHHELD)
    if path == "/api/v1/codes/suggest":
        return suggest_results(params["q"], None, HIDDEN)
    if path == "/healthz":
        return {"status": "ok"}
    return None


RENDERER = RENDERERS[0]()  # the API's JSON renderer


def application(environ, start_response):
    request_started.send(sender=None, environ=environ)
    try:
        body = answer(environ["PATH_INFO"], dict(parse_qsl(environ.get("QUERY_STRING", ""))))
    finally:
        request_finished.send(sender=None)
    if body is None:
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    data = RENDERER.render(body)
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]
