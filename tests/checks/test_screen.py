"""The /check screen without JavaScript (whole pages) and with htmx (the results fragment)."""

import re

import pytest
from django.test import Client

from tests.checks.codeset import TYPE_2_NOTE, register_codeset


@pytest.fixture
def codeset(db):
    return register_codeset()


def check(client=None, htmx=False, **params):
    headers = {"HX-Request": "true"} if htmx else {}
    return (client or Client()).get("/check", params, headers=headers)


def test_the_empty_form(codeset):
    page = check()
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="codes"' in html and 'name="system"' in html and 'name="date_of_service"' in html
    assert "checked for" not in html


def test_pasted_codes_give_a_table_of_findings_with_links(codeset):
    page = check(codes="E10.9\nE11.9, S72.001", system="icd10cm", date_of_service="2026-05-01")
    assert page.status_code == 200
    html = page.content.decode()
    assert "3 codes checked for 2026-05-01" in html
    assert "cannot be reported as they are" in html
    assert '<tr class="finding-excludes1">' in html
    assert '<tr class="finding-seventh_character">' in html
    assert 'href="/codes/icd10cm/S72.001A"' in html  # the code to use instead, linked
    # A guest reads notes on the code pages (metered), not here.
    assert TYPE_2_NOTE not in html
    assert "page to read its notes" in html


def test_staff_are_quoted_the_note(codeset, people):
    client = Client()
    client.force_login(people["bob"])
    html = check(client, codes="E10.9 E11.9", system="icd10cm").content.decode()
    assert 'type 2 diabetes mellitus (<a href="/codes/icd10cm/E11">E11.-</a>)' in html


def test_htmx_gets_the_results_fragment(codeset):
    page = check(htmx=True, codes="J45.909, J44.89", system="icd10cm", date_of_service="2026-05-01")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<html" not in html
    assert '<tr class="finding-excludes2">' in html
    assert "No finding stops these codes from being reported together." in html
    assert "HX-Request" in page["Vary"]


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        ("E11.9\nE10.9\nZ79.4\nE11..9x!", "Code 4 (E11..9x!): &#x27;E11..9x!&#x27; is not a valid"),
        (" ".join(f"A00.{i % 10}" for i in range(101)), "101 codes; at most 100"),
        ("  ", "This field is required."),
    ],
    ids=["malformed", "101 codes", "empty"],
)
def test_bad_input_is_a_message(codeset, codes, message):
    page = check(codes=codes, system="icd10cm")
    assert page.status_code == 400
    assert message in page.content.decode()
    assert "Nothing was checked" in page.content.decode()
    fragment = check(htmx=True, codes=codes, system="icd10cm")
    assert fragment.status_code == 200  # htmx 2 swaps only 2xx answers
    assert message in fragment.content.decode()


def test_a_bad_date_is_a_message(codeset):
    page = check(codes="E11.9", system="icd10cm", date_of_service="2026-02-30")
    assert page.status_code == 400
    assert "Enter a valid date." in page.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"codes": "E11..9x!", "system": "icd10cm"},
        {"codes": "E11.9", "system": "icd10cm", "date_of_service": "2026-13-45"},
    ],
)
def test_every_field_description_a_screen_reader_follows_is_on_the_page(codeset, params):
    # Django points aria-describedby at <id>_helptext and <id>_error: both must exist, or a
    # screen reader reads neither the help nor what is wrong when the field is focused.
    html = check(**params).content.decode()
    described = {i for ids in re.findall(r'aria-describedby="([^"]+)"', html) for i in ids.split()}
    assert described
    assert {i for i in described if f'id="{i}"' not in html} == set()


def test_the_findings_table_scrolls_in_a_region_reached_by_keyboard(codeset):
    html = check(codes="E10.9\nE11.9", system="icd10cm", date_of_service="2026-05-01")
    assert '<div class="table-wrap" tabindex="0" role="region" aria-labelledby="check-title">' in (
        html.content.decode()
    )
