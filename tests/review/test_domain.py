"""Given/when/then tests of the editorial rules, on the pure decide/evolve functions."""

from datetime import date

import pytest

from codeledger.domain import Actor, Forbidden, Invalid, InvalidState, StaleBase
from codes.events import (
    CodeRegistered,
    CodeReinstated,
    CodeRetired,
    CodeRevised,
    CommonDescriptionConfirmed,
)
from codes.state import CodeState, evolve_code, inverse_changes
from events.decider import fold
from review import domain
from review.domain import ChangeRequestState, decide_change, evolve_change
from review.events import (
    ChangeRequestApproved,
    ChangeRequestChangesRequested,
    ChangeRequestRejected,
    ChangeRequestRevised,
    ChangeRequestSubmitted,
    ChangeRequestWithdrawn,
)

ALICE = Actor("alice", frozenset({"editor"}))
BOB = Actor("bob", frozenset({"reviewer"}))
CAROL = Actor("carol", frozenset({"reviewer"}))
AUDREY = Actor("audrey", frozenset({"auditor"}))

REGISTERED = CodeRegistered(
    system="icd10cm",
    code="I21.4",
    content={
        "official_descriptor": "Non-ST elevation (NSTEMI) myocardial infarction",
        "common_description": "A heart attack that shows no ST elevation.",
        "billable": True,
        "status": "active",
    },
)


def code(*events) -> CodeState:
    return fold(evolve_code, CodeState(), [REGISTERED, *events])


def submitted(**overrides) -> ChangeRequestSubmitted:
    fields = {
        "change_id": "c1",
        "system": "icd10cm",
        "code": "I21.4",
        "is_new": False,
        "base_version": 1,
        "changes": {"short_descriptor": "NSTEMI"},
        "rationale": "CMS short form",
        "proposer": "alice",
    }
    return ChangeRequestSubmitted(**{**fields, **overrides})


def request(*events) -> ChangeRequestState:
    return fold(evolve_change, ChangeRequestState(), list(events))


def given_when(request_events, command, code_state=None):
    return decide_change(command, request(*request_events), code_state or code())


# --- submit -------------------------------------------------------------------------------


def test_an_editor_submits_a_change_against_the_current_version():
    command = domain.Submit(
        ALICE,
        "c1",
        "icd10cm",
        "I21.4",
        False,
        1,
        {"short_descriptor": " NSTEMI "},
        "CMS short form",
    )
    change_events, code_events = given_when([], command)
    assert change_events == [submitted()]
    assert code_events == []


def test_an_auditor_cannot_propose():
    command = domain.Submit(
        AUDREY, "c1", "icd10cm", "I21.4", False, 1, {"short_descriptor": "x"}, "why"
    )
    with pytest.raises(Forbidden, match="roles"):
        given_when([], command)


@pytest.mark.parametrize(
    ("changes", "rationale", "message"),
    [
        ({"short_descriptor": "x"}, "  ", "rationale is required"),
        ({}, "why", "not valid"),
        ({"colour": "red"}, "why", "not valid"),
        ({"short_descriptor": "x" * 201}, "why", "not valid"),
        ({"billable": True}, "why", "changes nothing"),
    ],
)
def test_invalid_proposals_are_refused(changes, rationale, message):
    command = domain.Submit(ALICE, "c1", "icd10cm", "I21.4", False, 1, changes, rationale)
    with pytest.raises(Invalid, match=message):
        given_when([], command)


def test_a_proposal_on_an_old_version_is_stale():
    command = domain.Submit(
        ALICE, "c1", "icd10cm", "I21.4", False, 0, {"short_descriptor": "x"}, "why"
    )
    with pytest.raises(StaleBase):
        given_when([], command)


def test_a_new_code_needs_an_official_descriptor_and_must_not_exist():
    new = domain.Submit(ALICE, "c1", "icd10cm", "I21.9", True, 0, {"billable": True}, "why")
    with pytest.raises(Invalid, match="official descriptor"):
        given_when([], new, CodeState())
    exists = domain.Submit(
        ALICE, "c1", "icd10cm", "I21.4", True, 1, {"official_descriptor": "x"}, "why"
    )
    with pytest.raises(Invalid, match="already exists"):
        given_when([], exists)


# --- decisions ----------------------------------------------------------------------------


def test_approval_applies_the_change_to_the_code_in_the_same_decision():
    change_events, code_events = given_when([submitted()], domain.Approve(BOB))
    assert change_events == [ChangeRequestApproved("c1", "bob", code_version=2)]
    assert code_events == [
        CodeRevised(
            system="icd10cm",
            code="I21.4",
            changes={"short_descriptor": {"from": "", "to": "NSTEMI"}},
            change_request="c1",
            proposer="alice",
            reviewer="bob",
        )
    ]


@pytest.mark.parametrize(
    "command",
    [
        domain.Approve(ALICE.__class__("alice", frozenset({"reviewer"}))),
        domain.Reject(Actor("alice", frozenset({"reviewer"})), "no"),
        domain.RequestChanges(Actor("alice", frozenset({"reviewer"})), "fix"),
    ],
)
def test_four_eyes_nobody_decides_on_their_own_request(command):
    with pytest.raises(Forbidden, match="four-eyes"):
        given_when([submitted()], command)


def test_an_editor_cannot_decide():
    with pytest.raises(Forbidden):
        given_when([submitted(proposer="zoe")], domain.Approve(ALICE))


def test_approval_on_a_stale_base_version_applies_nothing_and_shows_current_values():
    moved = code(CodeRevised("icd10cm", "I21.4", {"short_descriptor": {"from": "", "to": "MI"}}))
    with pytest.raises(StaleBase) as raised:
        given_when([submitted()], domain.Approve(BOB), moved)
    assert raised.value.details["current_version"] == 2
    assert raised.value.details["current_values"] == {"short_descriptor": "MI"}


def test_reject_needs_a_reason_and_request_changes_a_message():
    with pytest.raises(Invalid, match="reason"):
        given_when([submitted()], domain.Reject(BOB, ""))
    with pytest.raises(Invalid, match="message"):
        given_when([submitted()], domain.RequestChanges(BOB, " "))
    assert given_when([submitted()], domain.Reject(BOB, "not CMS wording"))[0] == [
        ChangeRequestRejected("c1", "bob", "not CMS wording")
    ]


@pytest.mark.parametrize(
    ("history", "command"),
    [
        ([ChangeRequestApproved("c1", "bob", 2)], domain.Approve(CAROL)),
        ([ChangeRequestRejected("c1", "bob", "no")], domain.Approve(CAROL)),
        ([ChangeRequestWithdrawn("c1", "alice")], domain.Reject(CAROL, "late")),
        ([ChangeRequestChangesRequested("c1", "bob", "fix")], domain.Approve(CAROL)),
        ([ChangeRequestApproved("c1", "bob", 2)], domain.Withdraw(ALICE)),
    ],
)
def test_decided_requests_cannot_be_decided_again(history, command):
    with pytest.raises(InvalidState):
        given_when([submitted(), *history], command)


# --- the proposer's side ------------------------------------------------------------------


def test_sent_back_request_is_revised_by_its_proposer_and_returns_to_review():
    history = [submitted(), ChangeRequestChangesRequested("c1", "bob", "use CMS wording")]
    command = domain.Revise(
        ALICE, 1, {"short_descriptor": "NSTEMI MI"}, "CMS wording", date(2027, 1, 1)
    )
    [revised], _ = given_when(history, command)
    assert revised == ChangeRequestRevised(
        "c1", 1, {"short_descriptor": "NSTEMI MI"}, "CMS wording", "alice", "2027-01-01"
    )
    assert evolve_change(request(*history), revised).status == "submitted"


def test_only_the_proposer_revises_or_withdraws():
    with pytest.raises(Forbidden, match="Only the proposer"):
        given_when([submitted()], domain.Withdraw(CAROL))
    assert given_when([submitted()], domain.Withdraw(ALICE))[0] == [
        ChangeRequestWithdrawn("c1", "alice")
    ]


def test_a_conflicted_request_is_rebased_onto_the_current_version():
    moved = code(CodeRevised("icd10cm", "I21.4", {"short_descriptor": {"from": "", "to": "MI"}}))
    with pytest.raises(StaleBase):
        given_when(
            [submitted()], domain.Revise(ALICE, 1, {"short_descriptor": "NSTEMI"}, "r"), moved
        )
    [rebased], _ = given_when(
        [submitted()], domain.Revise(ALICE, 2, {"short_descriptor": "NSTEMI"}, "r"), moved
    )
    assert rebased.base_version == 2


# --- code content -------------------------------------------------------------------------


def test_retire_and_reinstate_are_their_own_events():
    retire = submitted(changes={"status": "retired", "short_descriptor": "old"})
    _, code_events = given_when([retire], domain.Approve(BOB))
    assert [type(e) for e in code_events] == [CodeRevised, CodeRetired]
    retired = code(*code_events)
    assert retired.content["status"] == "retired"
    assert evolve_code(retired, CodeReinstated("icd10cm", "I21.4")).content["status"] == "active"


def test_a_new_official_descriptor_flags_the_common_description_until_confirmed():
    revised = code(
        CodeRevised(
            "icd10cm",
            "I21.4",
            {
                "official_descriptor": {
                    "from": "Non-ST elevation (NSTEMI) myocardial infarction",
                    "to": "NSTEMI",
                }
            },
        )
    )
    assert revised.needs_review is True
    [confirmed] = decide_change(domain.ConfirmDescription(ALICE), ChangeRequestState(), revised)[1]
    assert confirmed == CommonDescriptionConfirmed("icd10cm", "I21.4", "alice")
    assert evolve_code(revised, confirmed).needs_review is False
    rewritten = evolve_code(
        revised,
        CodeRevised(
            "icd10cm", "I21.4", {"common_description": {"from": "x", "to": "A heart attack."}}
        ),
    )
    assert rewritten.needs_review is False


def test_the_inverse_of_a_revision_restores_the_old_values():
    revision = CodeRevised(
        "icd10cm",
        "I21.4",
        {"short_descriptor": {"from": "A", "to": "B"}, "billable": {"from": True, "to": False}},
    )
    assert inverse_changes(revision) == {"short_descriptor": "A", "billable": True}
