"""The search page on a phone (results in the first screen, the facets behind a toggle) and its
suggestions from the keyboard (Down and Up choose, Enter follows, Escape closes), in Chromium."""

import pytest
from playwright.sync_api import expect

from codeledger.elastic import elasticsearch_client
from search.documents import alias

from .conftest import screenshot
from .test_accessibility import check

pytestmark = pytest.mark.elasticsearch

PHONE = {"width": 375, "height": 667}


@pytest.fixture
def indexed(nstemi):
    elasticsearch_client().indices.refresh(index=alias())


def test_on_a_phone_the_results_come_first_and_the_facets_fold_away(browsers, indexed):
    page = browsers.page(viewport=PHONE)
    page.goto("/search?q=myocardial+infarction")
    first = page.locator("#results-list > li").first
    expect(first).to_contain_text("I21")
    box = first.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"]  # in the first screen, no scrolling
    toggle = page.get_by_role("button", name="Refine results")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("heading", name="System")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("heading", name="System")).to_be_visible()
    check(page, "search-phone-facets-open")


def test_on_a_wide_screen_the_facets_are_shown_beside_the_results(browsers, indexed):
    page = browsers.page()
    page.goto("/search?q=myocardial+infarction")
    expect(page.get_by_role("heading", name="System")).to_be_visible()
    expect(page.get_by_role("button", name="Refine results")).to_be_hidden()
    facets = page.get_by_role("complementary", name="Refine results").bounding_box()
    results = page.locator("#results-list").bounding_box()
    assert facets["x"] + facets["width"] <= results["x"]  # to the left


def test_suggestions_are_chosen_with_the_arrow_keys_and_followed_with_enter(browsers, indexed):
    page = browsers.page()
    page.goto("/search")
    box = page.get_by_role("combobox", name="Code or words")
    box.press_sequentially("myocardial", delay=20)
    options = page.get_by_role("option")
    expect(options).to_have_count(2)
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowDown")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "suggestions-1")
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    box.press("ArrowUp")
    box.press("ArrowDown")
    expect(box).to_be_focused()  # the text box keeps the focus throughout
    screenshot(page, "search-suggestion-chosen")
    box.press("Enter")
    expect(page).to_have_url(f"{browsers.base_url}/codes/icd10cm/I21.4")


def test_escape_closes_the_suggestions(browsers, indexed):
    page = browsers.page()
    page.goto("/search")
    box = page.get_by_role("combobox", name="Code or words")
    box.press_sequentially("myocardial", delay=20)
    expect(page.get_by_role("option")).to_have_count(2)
    box.press("Escape")
    expect(page.get_by_role("option")).to_have_count(0)
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value("myocardial")  # the text stays
    box.press("Enter")  # and Enter still searches it
    expect(page.locator("#results-list")).to_contain_text("I21.4")
