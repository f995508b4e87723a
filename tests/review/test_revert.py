"""A revert proposes the inverse of a past revision: it works for every field a revision can
change, including one the code never held before (an attribution override)."""

import pytest

from codeledger.domain import actor_for
from codes.content import FIELDS
from codes.redaction import attribution
from codes.selectors import load_code
from review.actions import change_request_approve, change_request_revert, change_request_submit

pytestmark = pytest.mark.django_db

OVERRIDE = {"source": "Revised by the NHS editors", "licence": "OGL v3"}

NEW_VALUES = {
    "official_descriptor": "NSTEMI, initial episode",
    "short_descriptor": "NSTEMI",
    "common_description": "A heart attack without ST elevation.",
    "notes": {"excludes1": ["Old myocardial infarction (I25.2)"]},
    "related": [{"system": "icd10cm", "code": "I25.2", "relation": "excludes1"}],
    "chapter": "Circulatory system",
    "block": "Ischemic heart disease",
    "parent": "I21.9",
    "billable": False,
    "lay_terms": ["heart attack", "NSTEMI"],
    "attribution": {"common_description": OVERRIDE},
}


def revise_then_revert(people, field, value):
    alice, bob = actor_for(people["alice"]), actor_for(people["bob"])
    carol = actor_for(people["carol"])
    submitted = change_request_submit(
        actor=alice,
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={field: value},
        rationale="revised",
    )
    change_request_approve(
        actor=bob, change_id=submitted.change_request.change_id, expected_version=1
    )
    revert = change_request_revert(
        actor=bob, system="icd10cm", code="I21.4", version=2, rationale="undo"
    )
    change_request_approve(
        actor=carol, change_id=revert.change_request.change_id, expected_version=1
    )
    return load_code("icd10cm", "I21.4")


def test_every_field_has_a_value_to_revise_to():
    assert set(NEW_VALUES) == set(FIELDS) - {"status"}


# A status change is a retirement or reinstatement, not a revision: it has no revert.
REVISED = sorted(set(FIELDS) - {"status", "attribution"})


@pytest.mark.parametrize("field", REVISED)
def test_a_revert_restores_the_field_a_revision_changed(people, nstemi, field):
    before = load_code("icd10cm", "I21.4").content
    after = revise_then_revert(people, field, NEW_VALUES[field])
    assert after.version == 3
    assert after.content[field] == before[field]


def test_a_revision_that_set_an_attribution_override_can_be_reverted(people, nstemi):
    before = load_code("icd10cm", "I21.4").content
    assert "attribution" not in before  # the code never had an override
    after = revise_then_revert(people, "attribution", NEW_VALUES["attribution"])
    assert after.version == 3
    assert attribution("icd10cm", after.content) == attribution("icd10cm", before)


def test_a_revert_of_an_attribution_override_through_the_api_is_201(as_user, people, nstemi):
    alice, bob = actor_for(people["alice"]), actor_for(people["bob"])
    submitted = change_request_submit(
        actor=alice,
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"attribution": {"common_description": OVERRIDE}},
        rationale="their text",
    )
    change_request_approve(
        actor=bob, change_id=submitted.change_request.change_id, expected_version=1
    )
    response = as_user("carol").post(
        "/api/v1/codes/icd10cm/I21.4/versions/2/revert", {"rationale": "ours"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["changes"] == {"attribution": {}}
