"""The notes that apply to a code on its page and through the code API: inherited ones marked
with the code they are written on, codes in the text linked, all of it withheld exactly as the
code's own notes are."""

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from codesets.actions import code_register
from events.testing import catch_up_each
from tests.codes.fractures import (
    BLOCK_NOTE,
    CHAPTER_NOTE,
    SEVENTH_RULE,
    record_sections,
    register_fractures,
)
from tests.conftest import make_user

API = "/api/v1/codes/icd10cm/S72.001A"
PAGE = "/codes/icd10cm/S72.001A"


@pytest.fixture
def fractures(db):
    return register_fractures()


def api_key_client() -> APIClient:
    _, key = APIKey.objects.create_key(name="consumer")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_the_page_shows_the_categorys_rule_and_excludes_notes_as_inherited(fractures):
    html = Client().get(PAGE).content.decode()
    inherited = '<span class="muted note-from">(from <a href="/codes/icd10cm/S72">S72</a>)</span>'
    assert ('each code from category <a href="/codes/icd10cm/S72">S72</a> ' + inherited) in html
    assert (
        'traumatic amputation of hip and thigh (<a href="/codes/icd10cm/S78">S78.-</a>) '
        + inherited
    ) in html
    assert ('fracture of foot (<a href="/codes/icd10cm/S92">S92.-</a>) ' + inherited) in html
    assert '(from <a href="/codes/icd10cm/S72.0">S72.0</a>)' in html
    # One Notes section, kinds in order, the code's own note unmarked.
    assert html.count('id="notes-heading"') == 1
    assert html.index("<h3>Excludes1</h3>") < html.index("<h3>Excludes2</h3>")
    # The code's own note is not marked.
    notes = html[html.index('id="notes-heading"') :]
    own = notes[notes.index("&lt;img src=x") :]
    assert "note-from" not in own[: own.index("</li>")]


def test_the_page_links_ranges_and_families_and_keeps_markup_as_text(fractures):
    html = Client().get(PAGE).content.decode()
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<img src=x" not in html
    assert '(<a href="/codes/icd10cm/J60">J60-J70</a>)' in html
    assert '(<a href="/codes/icd10cm/F17">F17.-</a>)' in html


def test_over_the_meter_the_page_gates_the_notes_that_apply(fractures):
    guest = Client()
    guest.get("/codes/icd10cm/S72")  # the guest's one free page
    html = guest.get(PAGE).content.decode()
    assert "Register to view content" in html
    assert SEVENTH_RULE not in html and "S78.-" not in html


def test_the_api_returns_the_notes_that_apply_with_where_each_is_written(fractures):
    body = api_key_client().get(API).json()
    notes = body["applicable_notes"]
    assert notes[0] == {
        "kind": "inclusion_terms",
        "text": "Fracture of hip NOS",
        "from": "S72.00",
        "level": "code",
        "codes": [],
    }
    assert {
        "kind": "seventh_character",
        "text": SEVENTH_RULE,
        "from": "S72",
        "level": "code",
        "codes": ["S72"],
    } in notes
    excludes = [(n["kind"], n["from"]) for n in notes if n["kind"].startswith("excludes")]
    assert excludes == [
        ("excludes1", "S72"),
        ("excludes2", "S72.0"),
        ("excludes2", "S72"),
        ("excludes2", "S72"),
    ]
    own = [n["text"] for n in notes if n["from"] == "S72.001A"]
    assert body["content"]["notes"] == {"general": own}  # its own, as before


def test_editorial_staff_get_them_through_the_api(fractures):
    client = APIClient()
    client.force_authenticate(make_user("ed", "editor"))
    assert len(client.get(API).json()["applicable_notes"]) == 10


def test_as_of_a_date_the_api_returns_them_too(fractures):
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    body = api_key_client().get(API, {"as_of": today}).json()
    assert len(body["applicable_notes"]) == 10


@pytest.mark.parametrize("over_the_meter", [False, True])
def test_a_guest_does_not_get_them_through_the_api(fractures, over_the_meter):
    guest = APIClient()
    if over_the_meter:
        Client().get("/codes/icd10cm/S72")
        Client().get(PAGE)
    body = guest.get(API).json()
    assert "notes" in body["withheld"]
    assert body["applicable_notes"] == []


def test_licensed_notes_that_apply_are_withheld_without_the_licence(db):
    notes = {"general": ["Report zebrafinch sessions once per day."]}
    code_register(
        system="cpt",
        code="99990",
        content={"official_descriptor": "Zebrafinch calibration", "notes": notes},
    )
    code_register(
        system="cpt",
        code="99991",
        content={"official_descriptor": "Zebrafinch recalibration", "parent": "99990"},
    )
    catch_up_each("codes")
    body = api_key_client().get("/api/v1/codes/cpt/99991").json()
    assert "notes" in body["withheld"] and body["applicable_notes"] == []
    assert "zebrafinch" not in Client().get("/codes/cpt/99991").content.decode().lower()


def test_block_and_chapter_notes_say_where_they_come_from_without_a_code_link(fractures):
    record_sections()
    html = Client().get(PAGE).content.decode()
    notes = html[html.index('id="notes-heading"') :]
    assert '<span class="muted note-from">(from S70-S79)</span>' in notes
    assert '<span class="muted note-from">(from Chapter 19)</span>' in notes
    assert BLOCK_NOTE.split(" (")[0] in notes and CHAPTER_NOTE.split(" (")[0] in notes
    body = api_key_client().get(API).json()
    origins = {(n["from"], n["level"]) for n in body["applicable_notes"]}
    assert origins >= {("S72", "code"), ("S70-S79", "block"), ("Chapter 19", "chapter")}
