"""Release change sets end to end: proposed from a diff, reviewed as a batch, applied per code."""

import io

import pytest
from django.core.management import call_command

from codeledger.domain import actor_for
from codes.models import CodeEntry, CodeVersion
from codesets import actions, tasks
from codesets.models import ReleaseEntry, ReleaseItem
from events.models import Event
from events.testing import assert_projection_matches_rebuild
from review import actions as review_actions

from .conftest import BASELINE, import_baseline, propose

pytestmark = pytest.mark.django_db


@pytest.fixture
def baseline(db):
    import_baseline()


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_a_later_release_is_proposed_as_one_change_set_and_touches_no_code(baseline):
    codes_before = Event.objects.filter(stream__startswith="code:").count()
    summary = propose()
    assert summary.status == "proposed"
    assert summary.counts["kinds"] == {"added": 1, "revised": 1, "retired": 1, "reinstated": 0}
    assert Event.objects.filter(stream__startswith="code:").count() == codes_before
    entry = ReleaseEntry.objects.get(release_id=summary.release_id)
    assert (entry.items, entry.pending, entry.status) == (3, 3, "open")
    items = {i.code: i.kind for i in ReleaseItem.objects.filter(release_id=summary.release_id)}
    assert items == {"E11.A": "added", "M35.04": "revised", "S30.1XXA": "retired"}
    assert_projection_matches_rebuild("codes", "review", "codesets")


def test_reimporting_the_same_release_is_a_no_op(baseline):
    first = propose()
    events = Event.objects.count()
    again = propose()
    assert (again.status, again.release_id) == ("already_proposed", first.release_id)
    assert Event.objects.count() == events


def test_a_release_equal_to_the_current_codes_proposes_nothing(baseline):
    assert propose(BASELINE, release="same").status == "no_differences"
    assert not ReleaseEntry.objects.exists()


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_approve_all_applies_every_item_with_the_release_date_and_origin(baseline, people):
    release_id = propose(effective_from=None).release_id
    decision = actions.release_approve(actor=actor_for(people["bob"]), release_id=release_id)
    assert sorted(decision.applied) == ["E11.A", "M35.04", "S30.1XXA"]
    assert decision.release.status == "completed"
    assert CodeEntry.objects.get(code="E11.A").official_descriptor.endswith("in remission")
    assert CodeEntry.objects.get(code="M35.04").official_descriptor.startswith("Sjögren")
    assert CodeEntry.objects.get(code="S30.1XXA").status == "retired"
    origin = CodeVersion.objects.get(code="E11.A")
    assert (origin.source, origin.release, origin.reviewer, str(origin.change_request)) == (
        "cm-new",
        "FY2026",
        "bob",
        release_id,
    )
    entry = ReleaseEntry.objects.get(release_id=release_id)
    assert (entry.applied, entry.pending, entry.status) == (3, 0, "completed")
    assert_projection_matches_rebuild("codes", "review", "codesets")


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_a_code_an_editor_changed_meanwhile_stays_pending_as_a_conflict(baseline, people):
    release_id = propose().release_id
    alice, carol = (actor_for(people[n]) for n in ("alice", "carol"))
    edit = review_actions.change_request_submit(
        actor=alice,
        system="icd10cm",
        code="M35.04",
        base_version=1,
        changes={"official_descriptor": "Sjogren syndrome with TIN"},
        rationale="shorter",
    )
    review_actions.change_request_approve(
        actor=carol, change_id=edit.change_request.change_id, expected_version=1
    )
    decision = actions.release_approve(actor=actor_for(people["bob"]), release_id=release_id)
    assert sorted(decision.applied) == ["E11.A", "S30.1XXA"]
    assert decision.conflicts == {"M35.04": {"official_descriptor": "Sjogren syndrome with TIN"}}
    assert CodeEntry.objects.get(code="M35.04").official_descriptor == "Sjogren syndrome with TIN"
    item = ReleaseItem.objects.get(release_id=release_id, code="M35.04")
    assert (item.status, item.conflicts) == (
        "pending",
        {"official_descriptor": "Sjogren syndrome with TIN"},
    )
    assert ReleaseEntry.objects.get(release_id=release_id).conflicted == 1
    assert_projection_matches_rebuild("codes", "review", "codesets")


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_items_can_be_approved_and_rejected_one_by_one(baseline, people):
    release_id = propose().release_id
    bob = actor_for(people["bob"])
    actions.release_approve(actor=bob, release_id=release_id, codes=["E11.A"])
    actions.release_reject(
        actor=bob, release_id=release_id, codes=["S30.1XXA"], reason="we still report it"
    )
    assert CodeEntry.objects.get(code="S30.1XXA").status == "active"
    statuses = dict(ReleaseItem.objects.filter(release_id=release_id).values_list("code", "status"))
    assert statuses == {"E11.A": "applied", "M35.04": "pending", "S30.1XXA": "rejected"}
    again = actions.release_approve(actor=bob, release_id=release_id)
    assert again.applied == ["M35.04"]
    assert again.release.status == "completed"


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_an_approval_cut_short_resumes_with_the_pending_items(baseline, people, monkeypatch):
    release_id = propose().release_id
    monkeypatch.setattr(actions, "RELEASE_APPLY_CHUNK", 1)
    bob = actor_for(people["bob"])
    calls = []

    def fail_on_second_chunk(count):
        calls.append(count)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        actions.release_approve(actor=bob, release_id=release_id, progress=fail_on_second_chunk)
    # Two chunks were committed before the interruption; the third was never started.
    assert len(actions.load_release(release_id).pending) == 1
    actions.release_approve(actor=bob, release_id=release_id)
    assert actions.load_release(release_id).status == "completed"
    assert CodeVersion.objects.filter(code="E11.A").count() == 1


# --- API ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_reviewers_review_a_release_through_the_api(baseline, as_user):
    release_id = propose().release_id
    bob = as_user("bob")
    listed = bob.get("/api/v1/releases").json()["results"]
    assert [r["release_id"] for r in listed] == [release_id]
    detail = bob.get(f"/api/v1/releases/{release_id}").json()
    assert (detail["status"], detail["pending"], detail["counts"]["kinds"]["added"]) == (
        "open",
        3,
        1,
    )
    revised = bob.get(
        f"/api/v1/releases/{release_id}/items", {"field": "official_descriptor", "kind": "revised"}
    ).json()["results"]
    assert [(i["code"], i["fields"]) for i in revised] == [("M35.04", ["official_descriptor"])]
    response = bob.post(
        f"/api/v1/releases/{release_id}/approve", {"codes": ["E11.A"]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["applied"] == ["E11.A"]
    response = bob.post(
        f"/api/v1/releases/{release_id}/approve", {"codes": ["E11.A"]}, format="json"
    )
    assert response.status_code == 409
    assert "already decided" in response.json()["detail"]
    response = bob.post(f"/api/v1/releases/{release_id}/reject", {"reason": "later"}, format="json")
    assert response.json()["rejected"] == ["M35.04", "S30.1XXA"]
    assert bob.get(f"/api/v1/releases/{release_id}").json()["status"] == "completed"


def test_editors_and_auditors_cannot_decide_and_bad_input_writes_nothing(baseline, as_user):
    release_id = propose().release_id
    events = Event.objects.count()
    for name in ("alice", "audrey"):
        response = as_user(name).post(f"/api/v1/releases/{release_id}/approve", {}, format="json")
        assert response.status_code == 403, name
    bob = as_user("bob")
    unknown = bob.post(f"/api/v1/releases/{release_id}/approve", {"codes": ["Z99.9"]})
    assert unknown.status_code == 400
    assert "not items of this release" in unknown.json()["detail"]
    no_reason = bob.post(f"/api/v1/releases/{release_id}/reject", {"reason": ""}, format="json")
    assert no_reason.status_code == 400
    typo = bob.post(f"/api/v1/releases/{release_id}/approve", {"code": ["E11.A"]}, format="json")
    assert typo.status_code == 400
    missing = bob.get("/api/v1/releases/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert Event.objects.count() == events
    assert as_user("anonymous").get("/api/v1/releases").status_code == 401


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_a_large_approve_all_runs_as_a_task(baseline, as_user, monkeypatch):
    release_id = propose().release_id
    monkeypatch.setattr(tasks, "RELEASE_SYNC_LIMIT", 1)
    response = as_user("bob").post(f"/api/v1/releases/{release_id}/approve", {}, format="json")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    # Tests run Celery eagerly after commit: the task has applied every item by now.
    assert ReleaseEntry.objects.get(release_id=release_id).status == "completed"
    assert CodeEntry.objects.filter(code="E11.A").exists()


def test_the_command_proposes_then_a_reviewer_approves_from_the_command_line(people):
    import_baseline()
    release_id = propose().release_id
    out = io.StringIO()
    call_command("release_decide", release_id, "--reviewer", "bob", "--approve", stdout=out)
    assert "applied 3" in out.getvalue()
    assert ReleaseEntry.objects.get(release_id=release_id).status == "completed"
