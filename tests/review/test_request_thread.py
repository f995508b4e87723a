"""The request page keeps the whole conversation after a revision: each revision with its
rationale and its diff against the one before, every comment and decision, in order."""

import re

import pytest
from django.test import Client

from codeledger.domain import actor_for
from events.projections import catch_up
from review import selectors
from review.actions import (
    change_request_approve,
    change_request_comment,
    change_request_request_changes,
    change_request_revise,
    change_request_submit,
)

pytestmark = pytest.mark.django_db

FIRST = "A heart attack in which the ECG shows no ST elevation."
SECOND = "A heart attack in which the ECG shows no ST elevation; troponin is raised."


@pytest.fixture
def revised(people, nstemi):
    """alice proposes, bob comments and asks for changes, alice revises."""
    alice, bob = actor_for(people["alice"]), actor_for(people["bob"])
    request = change_request_submit(
        actor=alice,
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"common_description": FIRST, "short_descriptor": "NSTEMI"},
        rationale="Plainer words.",
    ).change_request
    change_id = request.change_id
    change_request_comment(actor=bob, change_id=change_id, text="Which source?")
    change_request_request_changes(
        actor=bob, change_id=change_id, expected_version=2, message="Mention troponin."
    )
    change_request_revise(
        actor=alice,
        change_id=change_id,
        expected_version=3,
        base_version=1,
        changes={"common_description": SECOND, "short_descriptor": "NSTEMI"},
        rationale="Plainer words; troponin as the 2023 ESC guideline says.",
    )
    for projector in ("codes", "review"):  # the page reads their rows (no commit here)
        catch_up(projector)
    return change_id


def test_the_thread_lists_revisions_comments_and_decisions_in_order(revised, people):
    change_request_approve(
        actor=actor_for(people["carol"]), change_id=revised, expected_version=4, note="Good."
    )
    thread = selectors.change_request_thread(change_id=revised)
    assert [(item["kind"], item["who"]) for item in thread] == [
        ("proposed", "alice"),
        ("comment", "bob"),
        ("changes_requested", "bob"),
        ("revised", "alice"),
        ("approved", "carol"),
    ]
    assert thread[2]["text"] == "Mention troponin."
    assert thread[0]["rationale"] == "Plainer words."
    assert [item["after_changes_requested"] for item in (thread[0], thread[3])] == [False, True]


def test_a_revision_shows_its_diff_against_the_previous_revision(revised):
    first, *_, second = selectors.change_request_thread(change_id=revised)
    # The first revision against the code: both fields it changes.
    assert [d["field"] for d in first["diffs"]] == ["short_descriptor", "common_description"]
    # The second against the first: only what the proposer changed in answer (not the short
    # descriptor, proposed the same both times).
    assert [(d["field"], d["from"], d["to"]) for d in second["diffs"]] == [
        ("common_description", FIRST, SECOND)
    ]
    assert second["number"] == 2


def test_the_request_page_shows_the_old_rationale_the_reviewers_message_and_revised(
    revised, people
):
    client = Client()
    client.force_login(people["bob"])
    html = client.get(f"/requests/{revised}").content.decode()
    thread = html[html.index('id="comments-list"') :]
    order = [
        "Revision 1: alice proposed this change",
        "Plainer words.",
        "Which source?",
        "bob asked for changes",
        "Mention troponin.",
        "Revision 2: alice revised the proposal",
        "Revised after changes were requested",
        "troponin as the 2023 ESC guideline says",
        "Changed since revision 1:",
    ]
    positions = [thread.index(text) for text in order]
    assert positions == sorted(positions)
    assert '<ins class="diff">; troponin is raised</ins>' in thread
    panel = html[html.index('id="decision"') : html.index('id="comments-list"')]
    assert "revised after changes were requested" in panel


def test_a_revision_that_changes_no_value_says_so(people, nstemi):
    alice, bob = actor_for(people["alice"]), actor_for(people["bob"])
    request = change_request_submit(
        actor=alice,
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"short_descriptor": "NSTEMI"},
        rationale="Shorter.",
    ).change_request
    change_request_request_changes(
        actor=bob, change_id=request.change_id, expected_version=1, message="Cite it."
    )
    change_request_revise(
        actor=alice,
        change_id=request.change_id,
        expected_version=2,
        base_version=1,
        changes={"short_descriptor": "NSTEMI"},
        rationale="Shorter, as CMS's short descriptors are.",
    )
    for projector in ("codes", "review"):
        catch_up(projector)
    assert selectors.change_request_thread(change_id=request.change_id)[-1]["diffs"] == []
    client = Client()
    client.force_login(people["bob"])
    html = client.get(f"/requests/{request.change_id}").content.decode()
    assert re.search(r"No value changed\s+since revision 1; only the rationale or the date", html)


def test_a_decision_made_in_place_joins_the_end_of_the_thread(revised, people):
    client = Client()
    client.force_login(people["carol"])
    answer = client.post(
        f"/requests/{revised}/approve",
        {"expected_version": 4, "note": "Good."},
        HTTP_HX_REQUEST="true",
    )
    html = answer.content.decode()
    assert answer.status_code == 200 and "<html" not in html
    appended = html[html.index('<ol hx-swap-oob="beforeend:#comments-list">') :]
    assert "carol approved the change" in appended and "Good." in appended
