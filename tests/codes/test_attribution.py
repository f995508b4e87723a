"""Attribution: every content field's source and licence, per system by default, overridable per
field through the review workflow; shown under each section of the code page and returned by
the API with each field."""

import pytest
from django.test import Client

from events.models import Event
from events.testing import assert_projection_matches_rebuild

pytestmark = pytest.mark.django_db

URL = "/api/v1/change-requests"
OVERRIDE = {"source": "Written by Dr. Ada Lovelace for CodeLedger", "licence": "CC BY 4.0"}


def propose_attribution(client, attribution, **extra):
    return client.post(
        URL,
        {
            "system": "icd10cm",
            "code": "I21.4",
            "base_version": 1,
            "changes": {"attribution": attribution},
            "rationale": "Credit the author of the description.",
            **extra,
        },
        format="json",
    )


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_system_defaults_on_the_page_and_in_the_api(as_user, nstemi):
    body = as_user("anonymous").get("/api/v1/codes/icd10cm/I21.4").json()
    official = body["attribution"]["official_descriptor"]
    assert official["source"].startswith("ICD-10-CM, Centers for Medicare & Medicaid Services")
    assert official["licence"] == "Public domain" and official["restricted"] is False
    assert (
        body["attribution"]["common_description"]["source"] == "Written by the CodeLedger editors"
    )
    assert set(body["attribution"]) >= {"notes", "related", "lay_terms", "chapter"}
    html = Client().get("/codes/icd10cm/I21.4").content.decode()
    assert html.count("Medicare &amp; Medicaid Services (CMS) and NCHS. Public domain.") >= 2
    assert "Written by the CodeLedger editors. © CodeLedger, all rights reserved." in html


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_a_reviewed_override_changes_one_fields_attribution(as_user, nstemi):
    created = propose_attribution(as_user("alice"), {"common_description": OVERRIDE})
    assert created.status_code == 201, created.content
    change_id = created.json()["change_id"]
    approved = as_user("bob").post(
        f"{URL}/{change_id}/approve", {"expected_version": 1}, format="json"
    )
    assert approved.status_code == 200, approved.content
    body = as_user("anonymous").get("/api/v1/codes/icd10cm/I21.4").json()
    assert body["attribution"]["common_description"] == {
        **OVERRIDE,
        "line": ("Written by Dr. Ada Lovelace for CodeLedger. CC BY 4.0."),
        "restricted": False,
    }
    assert body["attribution"]["official_descriptor"]["licence"] == "Public domain"
    html = Client().get("/codes/icd10cm/I21.4").content.decode()
    assert "Written by Dr. Ada Lovelace for CodeLedger. CC BY 4.0." in html
    history = as_user("anonymous").get("/api/v1/codes/icd10cm/I21.4/history").json()["versions"]
    assert history[-1]["fields"] == ["attribution"]
    assert_projection_matches_rebuild("codes", "review", "codesets")


@pytest.mark.parametrize(
    "attribution, message",
    [
        ({"billable": OVERRIDE}, "unknown field"),
        ({"common_description": {"source": "Someone"}}, "licence"),
        ({"common_description": {**OVERRIDE, "licence": ""}}, "cannot be empty"),
        ("CC BY", "Attribution must be an object"),
    ],
)
def test_a_bad_override_is_a_400_and_writes_nothing(as_user, nstemi, attribution, message):
    before = Event.objects.count()
    response = propose_attribution(as_user("alice"), attribution)
    assert response.status_code == 400, response.content
    assert message in str(response.json())
    assert Event.objects.count() == before


def test_an_override_cannot_unlock_licensed_text():
    from codes.redaction import attribution

    content = {"attribution": {"official_descriptor": OVERRIDE}}
    assert attribution("cpt", content)["official_descriptor"]["restricted"] is True
    assert attribution("cpt", content)["official_descriptor"]["source"] == OVERRIDE["source"]
