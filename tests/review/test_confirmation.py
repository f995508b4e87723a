"""Approve, Reject and Withdraw cannot be undone, so they ask first. Without JavaScript the
buttons post to a page that asks (and writes nothing); its "Yes" decides. (With JavaScript,
htmx asks in a dialog: tests/e2e/test_review_thread.py.)"""

import pytest
from django.test import Client

from codeledger.domain import actor_for
from events.models import Event
from events.projections import catch_up
from review import selectors
from review.actions import change_request_submit

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def request_id(people, nstemi):
    written = change_request_submit(
        actor=actor_for(people["alice"]),
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"short_descriptor": "NSTEMI"},
        rationale="Shorter.",
    )
    for projector in ("codes", "review"):
        catch_up(projector)
    return written.change_request.change_id


def status(change_id) -> str:
    catch_up("review")
    return selectors.change_request_detail(change_id=change_id).status


def test_the_request_page_sends_the_irreversible_buttons_to_a_confirmation(request_id, people):
    html = client_for(people["bob"]).get(f"/requests/{request_id}").content.decode()
    assert f'action="/requests/{request_id}/approve/confirm"' in html
    assert f'action="/requests/{request_id}/reject/confirm"' in html
    assert f'hx-post="/requests/{request_id}/approve"' in html
    assert 'hx-confirm="Approve this change to I21.4?' in html
    # Sending back is not final (the proposer revises): no question.
    assert f'action="/requests/{request_id}/request-changes"' in html


@pytest.mark.parametrize(
    ("action", "data", "question", "carried"),
    [
        ("approve", {"note": "Fine."}, "Approve this change to I21.4?", 'value="Fine."'),
        ("reject", {"reason": "No source."}, "Reject this change to I21.4?", 'value="No source."'),
    ],
)
def test_the_confirmation_page_asks_writes_nothing_and_its_yes_decides(
    request_id, people, action, data, question, carried
):
    bob = client_for(people["bob"])
    before = Event.objects.count()
    page = bob.post(f"/requests/{request_id}/{action}/confirm", {"expected_version": 1, **data})
    html = page.content.decode()
    assert page.status_code == 200
    assert question in html and carried in html
    assert f'action="/requests/{request_id}/{action}"' in html
    assert Event.objects.count() == before
    answer = bob.post(f"/requests/{request_id}/{action}", {"expected_version": 1, **data})
    assert answer.status_code == 302
    assert status(request_id) == {"approve": "approved", "reject": "rejected"}[action]


def test_a_rejection_without_a_reason_is_told_before_anything_is_asked(request_id, people):
    page = client_for(people["bob"]).post(
        f"/requests/{request_id}/reject/confirm", {"expected_version": 1, "reason": " "}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="reject_reason_error"' in html and "Give a reason" in html
    assert "Reject this change to I21.4?" not in html.split('id="decision"')[1].split("</form>")[0]
    assert status(request_id) == "submitted"


def test_the_proposer_cannot_reach_a_confirmation_of_their_own_request(people, nstemi):
    written = change_request_submit(
        actor=actor_for(people["bob"]),
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"short_descriptor": "NSTEMI"},
        rationale="Shorter.",
    )
    catch_up("review")
    change_id = written.change_request.change_id
    page = client_for(people["bob"]).post(
        f"/requests/{change_id}/approve/confirm", {"expected_version": 1}
    )
    assert page.status_code == 403
    assert "You proposed this change" in page.content.decode()


def test_a_decided_request_has_nothing_left_to_confirm(request_id, people):
    carol = client_for(people["carol"])
    assert carol.post(f"/requests/{request_id}/approve", {"expected_version": 1}).status_code == 302
    catch_up("review")
    page = client_for(people["bob"]).post(
        f"/requests/{request_id}/reject/confirm", {"expected_version": 2, "reason": "No."}
    )
    assert page.status_code == 409
    assert "there is nothing to decide" in page.content.decode()


def test_withdraw_asks_on_a_page_then_withdraws(request_id, people):
    alice = client_for(people["alice"])
    before = Event.objects.count()
    page = alice.post(f"/requests/{request_id}/withdraw/confirm", {"v": 1})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Withdraw your proposal for I21.4?" in html
    assert f'action="/requests/{request_id}/withdraw"' in html and 'name="v" value="1"' in html
    assert Event.objects.count() == before
    assert alice.post(f"/requests/{request_id}/withdraw", {"v": 1}).status_code == 302
    assert status(request_id) == "withdrawn"


def test_someone_else_cannot_reach_the_withdraw_confirmation(request_id, people):
    page = client_for(people["eve"]).post(f"/requests/{request_id}/withdraw/confirm", {"v": 1})
    assert page.status_code == 403
    assert "Only the proposer (alice) can withdraw this request." in page.content.decode()


def test_withdraw_from_the_dialog_sends_the_browser_to_the_request(request_id, people):
    answer = client_for(people["alice"]).post(
        f"/requests/{request_id}/withdraw", {"v": 1}, HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 200
    assert answer["HX-Redirect"] == f"/requests/{request_id}"
    assert status(request_id) == "withdrawn"
