"""CasePilot in Chromium: a free account asks on a code page and reads the answer with its
sources, without leaving the page; a guest sees the gate instead of the question form."""

import pytest
from playwright.sync_api import expect

from tests.assistant.conftest import register_codes

from .conftest import screenshot

GATE = "Register to view content"


@pytest.fixture
def content(transactional_db):
    register_codes()


def test_a_free_account_asks_casepilot_on_a_code_page(browsers, content):
    page = browsers.signed_in("nobody")  # an account without editorial roles: a free one
    page.goto("/codes/icd10cm/E11.9")
    panel = page.get_by_role("region", name="CasePilot: have a question about this code?")
    panel.get_by_label("Your question").fill("Can this be coded with E10.9?")
    panel.get_by_role("button", name="Ask CasePilot").click()
    answer = panel.locator("#casepilot-answer")
    expect(answer).to_contain_text("No. E11.9 and E10.9 may not be reported together.")
    expect(answer).to_contain_text("type 1 diabetes mellitus (E10.-)")
    # The note relied on is cited on the code it is written on, linked at the version read.
    sources = answer.locator(".casepilot-citations")
    expect(sources.get_by_role("link", name="E11", exact=True)).to_have_attribute(
        "href", "/codes/icd10cm/E11"
    )
    expect(sources).to_contain_text("E11 Excludes1 note, version 1")
    expect(page).to_have_url(f"{browsers.base_url}/codes/icd10cm/E11.9")  # swapped in place
    screenshot(page, "casepilot-panel")


def test_a_guest_sees_the_gate_instead_of_casepilot(browsers, content):
    page = browsers.page()
    page.goto("/codes/icd10cm/E11.9")
    panel = page.get_by_role("region", name="CasePilot: have a question about this code?")
    expect(panel.get_by_text(GATE)).to_be_visible()
    expect(panel.get_by_label("Your question")).to_have_count(0)
    page.goto("/assistant")
    expect(page.get_by_text(GATE)).to_be_visible()
    expect(page.get_by_role("button", name="Ask CasePilot")).to_have_count(0)
