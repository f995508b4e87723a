"""The glossary is reviewed content: an editor proposes a term with its source, a reviewer who
did not propose it decides (four eyes), explanations use approved terms only; the curated file
is applied the same way and re-running it changes nothing."""

import pytest
from django.core.management import call_command
from django.test import Client

from codeledger.domain import Actor, Forbidden, InvalidState
from events.testing import assert_projection_matches_rebuild, catch_up_each
from knowledge.actions import glossary_term_approve, glossary_term_propose
from knowledge.explain import approved_glossary
from knowledge.glossary import GlossaryState, decide_approve, decide_propose, evolve
from knowledge.management.commands.glossary_import import SEED_FILE, read_seed
from knowledge.models import GlossaryTerm
from tests.conftest import make_user

EDITOR = Actor("alice", frozenset({"editor"}))
REVIEWER = Actor("bob", frozenset({"reviewer"}))
REVIEWER_WHO_PROPOSED = Actor("carol", frozenset({"reviewer"}))


def proposed(by: Actor = EDITOR) -> GlossaryState:
    events = decide_propose(
        by, GlossaryState(), term="Femur", plain="the thigh bone", source="editors"
    )
    state = GlossaryState()
    for event in events:
        state = evolve(state, event)
    return state


def test_a_proposal_is_stored_under_its_normalised_term_and_not_used_until_approved():
    state = proposed()
    assert (state.term, state.plain, state.pending.plain) == ("femur", "", "the thigh bone")


def test_a_reviewer_cannot_approve_their_own_proposal():
    with pytest.raises(Forbidden, match="someone other than its proposer"):
        decide_approve(REVIEWER_WHO_PROPOSED, proposed(by=REVIEWER_WHO_PROPOSED))


def test_an_editor_cannot_approve_and_nothing_waiting_cannot_be_approved():
    with pytest.raises(Forbidden):
        decide_approve(EDITOR, proposed())
    with pytest.raises(InvalidState):
        decide_approve(REVIEWER, GlossaryState(term="femur", plain="x", version=2))


@pytest.fixture
def staff(db):
    return {
        name: make_user(name, role)
        for name, role in (("alice", "editor"), ("bob", "reviewer"), ("carol", "reviewer"))
    }


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_on_the_screens_the_proposer_gets_403_and_another_reviewer_approves(staff):
    carol = client_of(staff["carol"])
    response = carol.post(
        "/glossary/propose",
        {"term": "Tibia", "plain": "the shin bone", "source": "CodeLedger editors"},
    )
    assert response.status_code == 302
    catch_up_each("knowledge")
    assert carol.post("/glossary/tibia/approve").status_code == 403
    assert client_of(staff["alice"]).post("/glossary/tibia/approve").status_code == 403
    assert approved_glossary() == {}
    assert client_of(staff["bob"]).post("/glossary/tibia/approve").status_code == 302
    catch_up_each("knowledge")
    assert approved_glossary() == {"tibia": "the shin bone"}
    page = Client().get("/glossary").content.decode()
    assert "the shin bone" in page and "CodeLedger editors" in page
    assert_projection_matches_rebuild("knowledge")


def test_a_proposal_with_an_empty_source_is_refused_with_a_message_and_writes_nothing(staff):
    response = client_of(staff["alice"]).post(
        "/glossary/propose", {"term": "tibia", "plain": "the shin bone", "source": " "}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    catch_up_each("knowledge")
    assert not GlossaryTerm.objects.exists()


def test_a_guest_proposing_is_sent_to_sign_in(db):
    response = Client().post("/glossary/propose", {"term": "x", "plain": "y", "source": "z"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_curated_file_is_applied_as_reviewed_terms_and_rerunning_changes_nothing(db):
    call_command("glossary_import")
    catch_up_each("knowledge")
    rows = read_seed(SEED_FILE)
    terms = GlossaryTerm.objects.all()
    assert {(t.term, t.plain, t.source) for t in terms} == {
        (r.term, r.plain, r.source) for r in rows
    }
    assert {(t.proposer, t.reviewer) for t in terms} == {("glossary-curator", "glossary-reviewer")}
    positions = sorted(terms.values_list("position", flat=True))
    call_command("glossary_import")
    catch_up_each("knowledge")
    assert sorted(GlossaryTerm.objects.values_list("position", flat=True)) == positions


def test_a_reviewed_rewording_is_kept_when_the_file_is_applied_again(db):
    call_command("glossary_import")
    glossary_term_propose(actor=EDITOR, term="femur", plain="the bone of the thigh", source="x")
    glossary_term_approve(actor=REVIEWER, term="femur")
    call_command("glossary_import")
    catch_up_each("knowledge")
    assert approved_glossary()["femur"] == "the bone of the thigh"


def test_another_reviewer_rejects_with_a_reason_and_the_term_stays_unused(staff):
    client_of(staff["alice"]).post(
        "/glossary/propose", {"term": "fibula", "plain": "a leg bone", "source": "editors"}
    )
    bob = client_of(staff["bob"])
    assert bob.post("/glossary/fibula/reject", {"reason": ""}).status_code == 302
    catch_up_each("knowledge")
    assert GlossaryTerm.objects.get(term="fibula").status == "pending"  # nothing written
    assert bob.post("/glossary/fibula/reject", {"reason": "too vague"}).status_code == 302
    catch_up_each("knowledge")
    row = GlossaryTerm.objects.get(term="fibula")
    assert (row.status, row.reviewer, row.reason, row.plain) == ("rejected", "bob", "too vague", "")
    assert approved_glossary() == {}


def test_deciding_on_a_term_nobody_proposed_is_a_404(staff):
    assert client_of(staff["bob"]).post("/glossary/nosuchterm/approve").status_code == 404
