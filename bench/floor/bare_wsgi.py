"""The floor under the API rows of bench/search.py: the answers of /api/v1/codes/search and
/suggest, computed by the views' own functions (search.api.search_results and suggest_results:
the index position read, the query, the Elasticsearch call, the answer's shape), for an
anonymous caller, served by this bare WSGI callable under the same gunicorn and settings.

What it leaves out is what the API adds on top: Django's request handling and middleware, and
DRF's authentication, permission, throttle, parameter validation and rendering. So the API row
minus this row is the framework's cost; this row minus the direct row is HTTP's and gunicorn's.
Not part of the product: gunicorn loads it with `--pythonpath bench/floor bare_wsgi:application`.
"""

import json
from urllib.parse import parse_qsl

import django

django.setup()

from django.http import HttpRequest  # noqa: E402

from editorial.licences import unlicensed_systems  # noqa: E402
from search.api import search_results, suggest_results  # noqa: E402

HIDDEN = unlicensed_systems(HttpRequest())  # an anonymous caller's exclusions, as the API's
SEARCH_DEFAULTS = {"q": "", "size": 20, "billable": None}  # SearchParams' defaults


def answer(path: str, params: dict) -> dict | None:
    if path == "/api/v1/codes/search":
        return search_results({**SEARCH_DEFAULTS, "q": params.get("q", "")}, HIDDEN)
    if path == "/api/v1/codes/suggest":
        return suggest_results(params["q"], None, HIDDEN)
    if path == "/healthz":
        return {"status": "ok"}
    return None


def application(environ, start_response):
    body = answer(environ["PATH_INFO"], dict(parse_qsl(environ.get("QUERY_STRING", ""))))
    if body is None:
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    data = json.dumps(body).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]
