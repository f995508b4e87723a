"""The home page a reader lands on, in Chromium: its search box suggests codes as the search
page's does (Down, Enter, Escape), and it names the code systems loaded here.

(In a test_accounts* file because that is the e2e module the accounts engineer owns.)"""

import pytest
from playwright.sync_api import expect

from codeledger.elastic import elasticsearch_client
from search.documents import alias

from .conftest import screenshot

pytestmark = pytest.mark.elasticsearch


@pytest.fixture
def indexed(nstemi):
    elasticsearch_client().indices.refresh(index=alias())


def test_the_home_search_box_suggests_codes_and_follows_one_with_enter(browsers, indexed):
    page = browsers.page()
    page.goto("/")
    expect(page.locator("#loaded-systems")).to_contain_text("ICD-10-CM: 2 codes in force")
    box = page.get_by_role("combobox", name="Search codes")
    box.press_sequentially("myocardial", delay=20)
    options = page.get_by_role("option")
    expect(options).to_have_count(2)  # I21 and I21.4
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "home-suggestions-1")
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    screenshot(page, "home-suggestions")
    box.press("Enter")
    expect(page).to_have_url(f"{browsers.base_url}/codes/icd10cm/I21.4")


def test_escape_closes_the_home_suggestions_and_enter_searches(browsers, indexed):
    page = browsers.page()
    page.goto("/")
    box = page.get_by_role("combobox", name="Search codes")
    box.press_sequentially("myocardial", delay=20)
    expect(page.get_by_role("option").first).to_be_visible()
    box.press("Escape")
    expect(page.get_by_role("option")).to_have_count(0)
    box.press("Enter")
    expect(page).to_have_url(f"{browsers.base_url}/search?q=myocardial")
