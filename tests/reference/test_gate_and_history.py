"""What a gated reader is shown (one gate naming only the sections the code has) and what the
public History table shows (version, date and what changed; who proposed and approved it, and
why, only to editorial staff)."""

import pytest
from django.test import Client

from codeledger.domain import Actor
from codesets.actions import code_register
from events.testing import catch_up_each
from review.actions import change_request_approve, change_request_submit
from tests.codes.fractures import register_fractures

GATE = "Register to view content"
RATIONALE = "Internal: the CMS errata of 12 March, checked by the desk"


def gated_page(path: str) -> str:
    """The page as a guest over the meter sees it, without the CasePilot panel (which gates
    asking on its own)."""
    guest = Client()
    guest.get("/codes/icd10cm/S72")  # the guest's one free page
    html = guest.get(path).content.decode()
    return html.split('<section aria-labelledby="casepilot-heading"')[0]


@pytest.fixture
def bare_code(db):
    code_register(
        system="icd10cm",
        code="A00.0",
        content={"official_descriptor": "Cholera due to Vibrio cholerae 01, biovar cholerae"},
        source="test",
    )
    register_fractures()  # S72 is the guest's free page


def test_a_gated_code_without_notes_or_related_codes_shows_one_gate_naming_what_it_has(
    bare_code,
):
    html = gated_page("/codes/icd10cm/A00.0")
    assert html.count(GATE) == 1
    assert "This page also has a plain-language description, 1 version in its history." in html
    assert "note" not in html[html.index('id="gate"') :].split("</section>")[0].lower()
    assert 'id="notes-heading"' not in html and 'id="related-heading"' not in html


def test_a_gated_code_with_notes_names_how_many_apply(db):
    register_fractures()
    html = gated_page("/codes/icd10cm/S72.001A")
    assert html.count(GATE) == 1
    said = html[html.index("This page also has") :].split("</p>")[0]
    assert said == (
        "This page also has a plain-language description, 10 notes that apply, "
        "1 version in its history."
    )


@pytest.fixture
def changed_code(people):
    code_register(
        system="icd10cm",
        code="A00.0",
        content={"official_descriptor": "Cholera due to Vibrio cholerae 01, biovar cholerae"},
        source="test",
    )
    catch_up_each("codes")
    written = change_request_submit(
        actor=Actor("alice", frozenset({"editor"})),
        system="icd10cm",
        code="A00.0",
        base_version=1,
        changes={"common_description": "Cholera caught from the classic strain."},
        rationale=RATIONALE,
    )
    change_request_approve(
        actor=Actor("bob", frozenset({"reviewer"})),
        change_id=written.change_request.change_id,
        expected_version=written.change_request.version,
    )
    catch_up_each("codes", "review", "codesets")


def history_of(html: str) -> str:
    return html[html.index('id="history-heading"') :]


def test_readers_see_what_changed_and_when_without_names_or_rationales(changed_code):
    history = history_of(Client().get("/codes/icd10cm/A00.0").content.decode())
    assert "Common-language description" in history or "common-language description" in history
    assert "alice" not in history and "bob" not in history
    assert RATIONALE not in history and "Proposed by" not in history


@pytest.mark.parametrize("who", ["alice", "bob", "audrey"])
def test_editors_reviewers_and_auditors_still_see_who_and_why(changed_code, people, who):
    client = Client()
    client.force_login(people[who])
    history = history_of(client.get("/codes/icd10cm/A00.0").content.decode())
    assert "Proposed by" in history and "alice" in history and "bob" in history
    assert RATIONALE in history
