"""A coder checks a list of codes at /check in Chromium: pasted codes, the findings in place
(htmx), a code to use instead followed to its page; a malformed code named in a message; and
the same check without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from tests.checks.codeset import register_codeset

from .test_accessibility import check


@pytest.fixture
def codeset(transactional_db):
    return register_codeset()


def run_check(page, codes: str) -> None:
    page.get_by_label("Codes").fill(codes)
    page.get_by_label("Code system").select_option("icd10cm")
    page.get_by_label("Date of service").fill("2026-05-01")
    page.get_by_role("button", name="Check").click()


@pytest.mark.parametrize(
    "viewport",
    [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
    ids=["desktop", "phone"],
)
def test_a_coder_checks_a_list_and_follows_a_suggestion(browsers, codeset, viewport):
    page = browsers.page(viewport=viewport)
    page.goto("/check")
    page.evaluate("window.notReloaded = true")
    run_check(page, "E10.9\nE11.9, S72.001")
    results = page.locator("#check-results")
    expect(results).to_contain_text("3 codes checked for 2026-05-01")
    expect(results).to_contain_text("These codes cannot be reported as they are")
    excludes = page.locator("tr.finding-excludes1")
    expect(excludes).to_contain_text("E10.9 and E11.9 may not be reported together")
    expect(page.locator("tr.finding-seventh_character")).to_contain_text("S72.001 needs a 7th")
    assert page.evaluate("window.notReloaded") is True  # swapped in place by htmx
    expect(page).to_have_url(re.compile(r"codes=E10\.9"))  # the check can be bookmarked
    check(page, f"check-results-{viewport['width']}")
    page.locator("tr.finding-seventh_character").get_by_role("link", name="S72.001A").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("S72.001A")


def test_a_malformed_code_is_named_in_a_message(browsers, codeset):
    page = browsers.page()
    page.goto("/check")
    run_check(page, "E11.9\nE10.9\nZ79.4\nE11..9x!")
    alert = page.locator("#check-results").get_by_role("alert")
    expect(alert).to_contain_text("Nothing was checked")
    expect(alert).to_contain_text("Code 4 (E11..9x!)")
    expect(page.locator("tr")).to_have_count(0)


def test_the_check_works_without_javascript(chromium_browser, live_server, codeset):
    context = chromium_browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/check")
        run_check(page, "J45.909, J44.89")
        expect(page.locator("tr.finding-excludes2")).to_contain_text("J45.909 and J44.89")
        expect(page.locator("#check-results")).to_contain_text("No finding stops these codes")
    finally:
        context.close()
