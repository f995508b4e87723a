"""/assistant and the CasePilot panel on code pages: free accounts ask and read the answer with
its sources; guests see "Register to view content"; a bad question gets a message."""

import pytest
from django.test import Client

from assistant.templatetags.casepilot import citation_label

pytestmark = pytest.mark.django_db

GATE = "Register to view content"


@pytest.fixture
def reader(free_account):
    client = Client()
    client.force_login(free_account)
    return client


def test_a_guest_sees_the_gate_and_no_form(content):
    response = Client().get("/assistant")
    assert response.status_code == 200
    html = response.content.decode()
    assert GATE in html
    assert 'name="question"' not in html


def test_a_guest_asking_is_refused_with_the_gate(content):
    response = Client().post("/assistant", {"question": "what is J45.909"})
    assert response.status_code == 403
    html = response.content.decode()
    assert GATE in html
    assert "Unspecified asthma" not in html


def test_a_free_account_asks_from_the_panel_and_gets_the_fragment(content, reader):
    response = reader.post(
        "/assistant",
        {"question": "What must be coded first?", "code": "N18.6", "system": "icd10cm"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    # What goes inside the panel's live region, which stays (a replaced region is not read out).
    assert html.lstrip().startswith('<div class="panel casepilot-reply">')
    assert 'id="casepilot-answer"' not in html
    assert "<html" not in html
    # Codes in the answer link to their pages; the sources list the note's code and version.
    source = '<a href="/codes/icd10cm/N18">N18</a> <span class="muted">Code first note, version 1'
    assert source in html
    assert "hypertensive chronic kidney disease" in html


def test_a_follow_up_link_asks_as_a_whole_page(content, reader):
    response = reader.get("/assistant", {"q": "Which code for pneumonia?"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert "gives J18.9" in html or 'gives <a href="/codes/icd10cm/J18.9">' in html


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("  ", "ask a question"),
        ("x" * 501, "501 characters; at most 500"),
        ("which code for pneu\x00monia", "contains a NUL character"),
    ],
)
def test_a_bad_question_gets_a_message_and_no_answer(content, reader, question, message):
    response = reader.post("/assistant", {"question": question})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Sources" not in html


def test_a_bad_question_from_the_panel_gets_its_message_with_200(content, reader):
    # htmx swaps only 2xx answers: with 400 the panel would show nothing at all.
    response = reader.post(
        "/assistant", {"question": "   ", "code": "N18.6"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "ask a question" in response.content.decode()


def test_the_panel_swaps_inside_a_live_region_that_stays(content, reader):
    html = reader.get("/codes/icd10cm/J45.909").content.decode()
    assert 'hx-target="#casepilot-answer" hx-swap="innerHTML"' in html
    assert '<div id="casepilot-answer" class="casepilot-answer" aria-live="polite">' in html


def test_the_code_page_panel_offers_the_question_form_to_a_free_account(content, reader):
    html = reader.get("/codes/icd10cm/J45.909").content.decode()
    assert "CasePilot: have a question about this code?" in html
    assert '<input type="hidden" name="code" value="J45.909">' in html
    assert 'hx-post="/assistant"' in html


def test_the_code_page_panel_shows_a_guest_the_gate(content):
    html = Client().get("/codes/icd10cm/J45.909").content.decode()
    panel = html[html.index("CasePilot: have a question about this code?") :]
    assert GATE in panel
    assert 'name="question"' not in panel


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("notes.excludes1", "Excludes1 note"),
        ("notes.general", "General notes"),
        ("notes.inclusion_terms", "Inclusion terms"),
        ("official_descriptor", "descriptor"),
    ],
)
def test_a_citation_field_reads_as_plain_words(field, label):
    assert citation_label(field) == label
