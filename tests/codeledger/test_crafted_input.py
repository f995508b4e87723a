"""Crafted input on the API: bodies nested too deep, text that is not Unicode, forged cursors.
Each is one request that writes nothing; each is a 400 problem that says what is wrong."""

import base64
import json
from urllib.parse import urlencode

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from events.models import Event

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
DEEP = "[" * 1000 + "]" * 1000  # 2 KB


def assert_problem(response, status, *, contains=""):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == PROBLEM, response["Content-Type"]
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("/problems/")
    assert contains in body["detail"], body
    return body


def api_post_routes(patterns=None, prefix=""):
    """Every route of the API (as a path with its converters filled in)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from api_post_routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/v1/") and "^" not in route:
            path = route
            for spec, value in (
                ("<str:system>", "icd10cm"),
                ("<str:code>", "I21.4"),
                ("<int:version>", "1"),
                ("<uuid:change_id>", "00000000-0000-0000-0000-000000000001"),
                ("<uuid:release_id>", "00000000-0000-0000-0000-000000000002"),
                ("<uuid:run_id>", "00000000-0000-0000-0000-000000000003"),
            ):
                path = path.replace(spec, value)
            yield "/" + path


def test_a_body_nested_a_thousand_deep_is_a_400_problem(as_user, nstemi):
    before = Event.objects.count()
    response = as_user("alice").post(
        "/api/v1/change-requests", DEEP, content_type="application/json"
    )
    body = assert_problem(response, 400, contains="nested")
    assert "64" in body["detail"]
    assert Event.objects.count() == before


def test_no_api_post_answers_a_deeply_nested_body_with_a_server_error(people, nstemi):
    admin = APIClient()
    admin.force_authenticate(people["root"])
    answers = {
        path: admin.post(path, DEEP, content_type="application/json") for path in api_post_routes()
    }
    assert len(answers) > 15  # the sweep reached the API
    wrong = {
        path: (r.status_code, r["Content-Type"])
        for path, r in answers.items()
        if r.status_code >= 500 or (r.status_code >= 400 and r["Content-Type"] != PROBLEM)
    }
    assert wrong == {}


def test_nesting_up_to_the_limit_is_parsed(as_user, nstemi):
    """The limit refuses abuse, not input: 64 levels reach the serializer, which names the
    field it does not expect."""
    nested = {"changes": {"short_descriptor": "NSTEMI"}}
    inner = nested
    for _ in range(61):
        inner["x"] = {}
        inner = inner["x"]
    response = as_user("alice").post(
        "/api/v1/change-requests", json.dumps(nested), content_type="application/json"
    )
    body = assert_problem(response, 400)
    assert "x" in body["errors"], body


@pytest.mark.parametrize("path", ["/api/v1/change-requests", "/api/v1/releases"])
@pytest.mark.parametrize("position", ["9" * 30, "1e999", "\x00"])
def test_a_forged_cursor_on_a_paged_list_is_a_400_problem(as_user, nstemi, path, position):
    cursor = base64.b64encode(urlencode({"p": position}).encode()).decode()
    body = assert_problem(as_user("bob").get(path, {"cursor": cursor}), 400)
    assert "cursor" in body["errors"]
