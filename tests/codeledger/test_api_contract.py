"""Every answer under /api/ is a problem detail when it is an error: bodies too large, routes
that do not exist."""

import json

import pytest

from events.models import Event

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(response, status, *, contains=""):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == PROBLEM, response["Content-Type"]
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("/problems/")
    assert contains in body["detail"], body
    return body


def test_a_body_over_the_upload_limit_is_a_413_problem(as_user, nstemi, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    before = Event.objects.count()
    body = json.dumps(
        {
            "system": "icd10cm",
            "code": "I21.4",
            "base_version": 1,
            "changes": {"short_descriptor": "NSTEMI"},
            "rationale": "x" * 20_000,
        }
    )
    response = as_user("alice").post(
        "/api/v1/change-requests", body, content_type="application/json"
    )
    problem = assert_problem(response, 413, contains="10000 bytes")
    assert problem["type"] == "/problems/content-too-large"
    assert Event.objects.count() == before


def test_a_form_body_over_the_upload_limit_is_a_413_problem(as_user, nstemi, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = as_user("alice").post(
        "/api/v1/change-requests",
        "rationale=" + "x" * 20_000,
        content_type="application/x-www-form-urlencoded",
    )
    assert_problem(response, 413)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here",
        "/api/v1/codes/icd10cm/I21.4/nothing",
        "/api/v2/codes/search",
        "/api/",
    ],
)
def test_an_unknown_api_route_is_a_404_problem(client, settings, path):
    settings.DEBUG = True  # Django's debug page would list every URL pattern
    response = client.get(path, HTTP_ACCEPT="text/html")
    body = assert_problem(response, 404)
    assert path in body["detail"]


def test_an_unknown_api_route_is_a_404_problem_for_every_method(client):
    response = client.post("/api/v1/nothing-here", {}, content_type="application/json")
    assert_problem(response, 404)
    assert_problem(client.delete("/api/v1/nothing-here"), 404)


def test_the_api_docs_without_their_slash_still_redirect(client):
    response = client.get("/api/docs")
    assert response.status_code == 301 and response["Location"] == "/api/docs/"
