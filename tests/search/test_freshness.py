"""The position a search reports proves freshness: every event up to it is searchable."""

import pytest
from rest_framework.test import APIClient

from codeledger.domain import actor_for
from codeledger.elastic import elasticsearch_client
from events.projections import catch_up
from review.actions import change_request_approve, change_request_submit
from search.documents import alias

pytestmark = pytest.mark.django_db(transaction=True)


def search(**params):
    response = APIClient().get("/api/v1/codes/search", params)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def no_scheduled_refresh(indexed):
    """Only an explicit refresh makes a write searchable (no refresh every second): a position
    that runs ahead of what searches see shows every time, not one time in a few."""
    elasticsearch_client().indices.put_settings(
        index=alias(), settings={"index": {"refresh_interval": "-1"}}
    )


def test_a_search_at_or_past_an_approved_change_finds_its_new_text(no_scheduled_refresh, people):
    alice, bob = actor_for(people["alice"]), actor_for(people["bob"])
    change = change_request_submit(
        actor=alice,
        system="icd10cm",
        code="J40",
        base_version=1,
        changes={"official_descriptor": "Bronchitis, unqualified"},
        rationale="new wording",
    )
    approved = change_request_approve(
        actor=bob, change_id=change.change_request.change_id, expected_version=1
    )
    catch_up("search")
    result = search(q="unqualified")
    assert result["position"] >= approved.position
    assert [hit["code"] for hit in result["hits"]] == ["J40"]
    assert "J40" not in [h["code"] for h in search(q="not specified as acute")["hits"]]


def test_min_position_still_reads_its_own_write(no_scheduled_refresh, people):
    alice, bob = actor_for(people["alice"]), actor_for(people["bob"])
    change = change_request_submit(
        actor=alice,
        system="icd10cm",
        code="K64.9",
        base_version=1,
        changes={"lay_terms": ["piles"]},
        rationale="lay term",
    )
    approved = change_request_approve(
        actor=bob, change_id=change.change_request.change_id, expected_version=1
    )
    result = search(q="piles", min_position=approved.position)
    assert [hit["code"] for hit in result["hits"]] == ["K64.9"]
