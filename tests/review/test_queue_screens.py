"""The queue as a reviewer meets it: the menu's count holds what they may decide, the page has
the menu's name, and a refusal reads as a sentence."""

import re

import pytest
from django.test import Client

from codeledger.domain import actor_for
from events.projections import catch_up
from review.actions import change_request_submit

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def propose(people, who: str, text: str):
    written = change_request_submit(
        actor=actor_for(people[who]),
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"short_descriptor": text},
        rationale="Shorter.",
    )
    catch_up("review")
    return written.change_request.change_id


def badge(html: str) -> str:
    return re.search(r'id="queue-count"[^>]*>.*?(\d+)<', html, re.S).group(1)


def test_the_badge_leaves_out_the_reviewers_own_requests(people, nstemi):
    propose(people, "alice", "NSTEMI")
    propose(people, "bob", "NSTEMI MI")
    assert badge(client_for(people["bob"]).get("/requests/").content.decode()) == "1"
    assert badge(client_for(people["carol"]).get("/requests/").content.decode()) == "2"


def test_the_queue_page_has_the_menus_name(people, nstemi):
    html = client_for(people["bob"]).get("/requests/").content.decode()
    assert "<title>Review queue · CodeLedger</title>" in html
    assert "<h1>Review queue</h1>" in html
    # An auditor reads the requests without deciding them: their menu says "Change requests".
    html = client_for(people["audrey"]).get("/requests/").content.decode()
    assert "<h1>Change requests</h1>" in html


def test_a_refused_decision_starts_with_a_capital_letter(people, nstemi):
    change_id = propose(people, "alice", "NSTEMI")
    page = client_for(people["eve"]).post(f"/requests/{change_id}/withdraw", {"v": 1})
    assert page.status_code == 403
    assert "<p>Only the proposer (alice) can withdraw this request</p>" in page.content.decode()


def test_the_badge_leaves_out_requests_on_a_licensed_system_the_reviewer_cannot_open(people):
    from accounts.models import Licence, Membership, Organisation
    from codesets.actions import code_register

    code_register(
        system="cpt", code="99213", content={"official_descriptor": "Office visit"}, source="t"
    )
    change_request_submit(
        actor=actor_for(people["alice"]),
        system="cpt",
        code="99213",
        base_version=1,
        changes={"official_descriptor": "Office visit, established patient"},
        rationale="AMA wording.",
    )
    catch_up("review")
    hospital = Organisation.objects.create(name="Hospital")
    Licence.objects.create(organisation=hospital, system="cpt")
    Membership.objects.create(user=people["carol"], organisation=hospital)
    assert badge(client_for(people["bob"]).get("/requests/").content.decode()) == "0"
    assert badge(client_for(people["carol"]).get("/requests/").content.decode()) == "1"
