"""The index API: term look-up (anyone), releases (anyone reads; reviewers decide)."""

import pytest
from rest_framework.test import APIClient

from alphabetic_index import selectors
from events.testing import assert_projection_matches_rebuild, catch_up_each

from .conftest import NEXT_YEAR_XML, import_index

pytestmark = pytest.mark.django_db


def look_up(**params):
    return APIClient().get("/api/v1/index", params)


def test_a_term_finds_its_main_term_first_with_its_code(fy2025):
    response = look_up(term="pneumonia")
    assert response.status_code == 200
    body = response.json()
    assert body["release"]["release"] == "FY2025"
    first = body["results"][0]
    assert (first["path"], first["level"], first["code"], first["code_status"]) == (
        "Pneumonia",
        0,
        "J18.9",
        "billable",
    )
    assert first["code_page"] == "/codes/icd10cm/J18.9"
    assert first["href"] == f"/index/terms/{first['n']}"
    assert "Pneumonia, aspiration, due to, food" in [r["path"] for r in body["results"]]


def test_subterms_match_on_every_word_and_modifiers_count(fy2025):
    paths = [r["path"] for r in look_up(term="aspiration regurgitated").json()["results"]]
    assert paths == ["Pneumonia, aspiration, due to, food"]


def test_a_see_reference_comes_resolved_to_its_term_and_code(fy2025):
    (bedwetting,) = look_up(term="bedwetting").json()["results"]
    assert bedwetting["see"] == {
        "text": "Enuresis",
        "target": "Enuresis",
        "target_n": bedwetting["see"]["target_n"],
    }
    assert (bedwetting["code"], bedwetting["resolved_code"], bedwetting["resolved_via"]) == (
        "",
        "R32",
        "see",
    )
    assert bedwetting["code_page"] == "/codes/icd10cm/R32"


def test_a_stale_code_has_no_code_page(fy2025):
    (smokers,) = look_up(term="smokers").json()["results"]
    assert (smokers["code"], smokers["code_status"], smokers["code_page"]) == (
        "J41.0",
        "stale",
        None,
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "term"), ({"term": "x", "size": 0}, "size"), ({"term": "x", "colour": "red"}, "colour")],
)
def test_bad_input_is_a_problem_naming_the_field(fy2025, params, field):
    response = look_up(**params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]


def test_without_an_index_the_look_up_is_a_404_problem(db):
    response = look_up(term="pneumonia")
    assert response.status_code == 404
    assert "index_import" in response.json()["detail"]


def test_an_invalid_api_key_is_refused(fy2025):
    response = APIClient().get(
        "/api/v1/index", {"term": "pneumonia"}, HTTP_AUTHORIZATION="Api-Key nope"
    )
    assert response.status_code == 401


def test_releases_are_listed_with_their_status_and_changes(fy2025):
    proposed = import_index(NEXT_YEAR_XML, release="FY2026")
    body = APIClient().get("/api/v1/index/releases").json()
    assert [(r["release"], r["status"]) for r in body["results"]] == [
        ("FY2026", "proposed"),
        ("FY2025", "in_force"),
    ]
    detail = APIClient().get(f"/api/v1/index/releases/{proposed.release_id}").json()
    assert detail["changes"] == {"added": 1, "removed": 1, "changed": 1, "codes_changed": 1}
    changes = APIClient().get(
        f"/api/v1/index/releases/{proposed.release_id}/changes", {"kind": "removed"}
    )
    assert changes.json()["changes"] == [
        {
            "path": "Charley-horse",
            "kind": "removed",
            "changes": {"modifiers": "(quadriceps)", "code": "M62.831"},
        }
    ]


def test_a_reviewer_approves_a_later_year_through_the_api(fy2025, as_user):
    proposed = import_index(NEXT_YEAR_XML, release="FY2026")
    url = f"/api/v1/index/releases/{proposed.release_id}/approve"
    assert as_user("alice").post(url, {}, format="json").status_code == 403  # an editor
    assert as_user("anonymous").post(url, {}, format="json").status_code == 401
    response = as_user("bob").post(url, {"note": "checked"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "in_force"
    again = as_user("carol").post(url, {}, format="json")
    assert again.status_code == 409
    catch_up_each("alphabetic_index")
    assert selectors.index_release().release == "FY2026"
    assert_projection_matches_rebuild("alphabetic_index")


def test_rejecting_through_the_api_needs_a_reason(fy2025, as_user):
    proposed = import_index(NEXT_YEAR_XML, release="FY2026")
    url = f"/api/v1/index/releases/{proposed.release_id}/reject"
    missing = as_user("bob").post(url, {"reason": ""}, format="json")
    assert missing.status_code == 400
    assert missing.json()["errors"] == {"reason": ["required"]}
    assert as_user("bob").post(url, {"reason": "draft"}, format="json").status_code == 200


def test_an_unknown_release_is_a_404_problem(db):
    response = APIClient().get("/api/v1/index/releases/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
