"""What an auditor reads about one code: timeline, blame and diffs, across a scheduled change,
a conflict, a rejection and a revert."""

from datetime import timedelta

import pytest
from django.utils import timezone

from codeledger.domain import StaleBase, actor_for
from review.actions import (
    change_request_approve,
    change_request_comment,
    change_request_reject,
    change_request_revert,
    change_request_submit,
)

pytestmark = pytest.mark.django_db

OLD = "Non-ST elevation (NSTEMI) myocardial infarction"
NEW = "NSTEMI myocardial infarction, initial episode"


@pytest.fixture
def story(people, nstemi):
    """I21.4 through five versions and two requests that changed nothing:
    v1 registered (FY2025 import); v2 official descriptor, scheduled for next month;
    v3 short descriptor (alice, approved by bob), which leaves eve's request on v2 conflicted;
    a common-language description rejected by carol; v4 a revert of v2 (bob, approved by carol);
    v5 lay terms, scheduled in ten days."""
    alice, eve = actor_for(people["alice"]), actor_for(people["eve"])
    bob, carol = actor_for(people["bob"]), actor_for(people["carol"])
    today = timezone.localdate()

    def submit(actor, base, changes, rationale, effective_from=None):
        return change_request_submit(
            actor=actor,
            system="icd10cm",
            code="I21.4",
            base_version=base,
            changes=changes,
            rationale=rationale,
            effective_from=effective_from,
        ).change_request.change_id

    v2 = submit(alice, 1, {"official_descriptor": NEW}, "FY2027 wording", today + timedelta(30))
    change_request_approve(actor=bob, change_id=v2, expected_version=1)
    stale = submit(eve, 2, {"lay_terms": ["heart attack", "NSTEMI"]}, "common term")
    v3 = submit(alice, 2, {"short_descriptor": "NSTEMI"}, "CMS short form")
    change_request_comment(actor=bob, change_id=v3, text="Matches the CMS file.")
    change_request_approve(actor=bob, change_id=v3, expected_version=2, note="checked")
    with pytest.raises(StaleBase):
        change_request_approve(actor=carol, change_id=stale, expected_version=1)
    refused = submit(alice, 3, {"common_description": "A heart attack."}, "shorter")
    change_request_reject(actor=carol, change_id=refused, expected_version=1, reason="too vague")
    revert = change_request_revert(
        actor=bob, system="icd10cm", code="I21.4", version=2, rationale="wording withdrawn"
    ).change_request.change_id
    change_request_approve(actor=carol, change_id=revert, expected_version=1)
    v5 = submit(
        alice,
        4,
        {"lay_terms": ["heart attack", "NSTEMI"]},
        "FY2027 lay term",
        today + timedelta(10),
    )
    change_request_approve(actor=bob, change_id=v5, expected_version=1)
    return {"v2": v2, "v3": v3, "stale": stale, "refused": refused, "revert": revert, "v5": v5}


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_the_timeline_tells_each_version_with_its_request_and_word_diff(as_user, story):
    response = as_user("audrey").get("/api/v1/audit/codes/icd10cm/I21.4/timeline")
    assert response.status_code == 200, response.content
    body = response.json()
    versions = {v["version"]: v for v in body["versions"]}
    assert sorted(versions) == [1, 2, 3, 4, 5]

    assert versions[1]["type"] == "CodeRegistered" and versions[1]["release"] == "FY2025"
    scheduled = versions[2]
    assert (scheduled["proposer"], scheduled["reviewer"]) == ("alice", "bob")
    assert scheduled["in_force"] is False and scheduled["superseded"] is True
    [descriptor] = scheduled["fields"]
    assert descriptor["field"] == "official_descriptor"
    assert {"op": "insert", "text": ", initial episode"} in descriptor["words"]
    assert any(p["op"] == "delete" and "elevation" in p["text"] for p in descriptor["words"])

    short = versions[3]
    assert (short["proposer"], short["reviewer"], short["rationale"]) == (
        "alice",
        "bob",
        "CMS short form",
    )
    assert [c["text"] for c in short["comments"]] == ["Matches the CMS file."]
    assert short["decision_note"] == "checked"
    assert short["position"] > scheduled["position"]

    revert = versions[4]
    assert (revert["kind"], revert["reverts_version"]) == ("revert", 2)
    assert (revert["proposer"], revert["reviewer"], revert["in_force"]) == ("bob", "carol", True)
    assert revert["fields"][0]["to"] == OLD

    assert versions[5]["in_force"] is False and versions[5]["superseded"] is False

    unapplied = {r["change_request"]: r for r in body["requests"]}
    assert set(unapplied) == {story["stale"], story["refused"]}
    assert unapplied[story["refused"]]["status"] == "rejected"
    assert unapplied[story["refused"]]["decision"] == "too vague"
    assert unapplied[story["stale"]]["base_version"] == 2


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_blame_names_who_last_set_each_field_today_and_on_a_later_date(as_user, story):
    auditor = as_user("audrey")

    def blame(**params):
        response = auditor.get("/api/v1/audit/codes/icd10cm/I21.4/blame", params)
        assert response.status_code == 200, response.content
        return {row["field"]: row for row in response.json()["fields"]}

    today = blame()
    official = today["official_descriptor"]
    assert official["last_change"]["version"] == 4  # the revert, not the scheduled v2
    assert (official["last_change"]["proposer"], official["last_change"]["reviewer"]) == (
        "bob",
        "carol",
    )
    assert official["last_change"]["change_request"] == story["revert"]
    assert official["scheduled"] is None  # v2 was reverted before its date
    assert today["short_descriptor"]["last_change"]["change_request"] == story["v3"]
    # The rejected request changed nothing: the description still comes from the import.
    description = today["common_description"]["last_change"]
    assert (description["version"], description["release"]) == (1, "FY2025")
    assert today["lay_terms"]["last_change"]["version"] == 1
    assert today["lay_terms"]["scheduled"]["version"] == 5

    in_eleven_days = (timezone.localdate() + timedelta(11)).isoformat()
    later = blame(as_of=in_eleven_days)
    assert later["lay_terms"]["last_change"]["value"] == ["heart attack", "NSTEMI"]
    assert later["lay_terms"]["scheduled"] is None
    in_a_month = (timezone.localdate() + timedelta(31)).isoformat()
    assert blame(as_of=in_a_month)["official_descriptor"]["last_change"]["version"] == 4


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_the_code_screen_compares_versions_and_shows_content_as_of(client, people, story):
    client.force_login(people["audrey"])
    page = client.get("/audit/codes/icd10cm/I21.4", {"from": 1, "to": 3})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Version 1 → version 3" in html
    assert '<ins class="diff">NSTEMI</ins>' in html or "NSTEMI</ins>" in html
    assert "superseded before its date" in html
    assert "too vague" in html  # the rejected request, with its reason

    next_month = (timezone.localdate() + timedelta(31)).isoformat()
    as_of = client.get("/audit/codes/icd10cm/I21.4", {"as_of": next_month})
    assert as_of.status_code == 200 and OLD in as_of.content.decode()

    bad = client.get("/audit/codes/icd10cm/I21.4", {"from": 1, "to": 9, "as_of": "next week"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Choose two versions between 1 and 5" in text and "YYYY-MM-DD" in text


def test_an_unknown_code_is_a_404_problem(as_user, nstemi):
    response = as_user("audrey").get("/api/v1/audit/codes/icd10cm/Z99.99/blame")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
