"""A coder looks a term up in the Alphabetic Index in Chromium: a letter, the main term, its
subterms expanded in place down to a code, the code's page; and a see reference followed."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from alphabetic_index.importing import index_import
from alphabetic_index.readers import read_csv
from codesets.importing import import_codes
from codesets.sources import SourceCode
from events.testing import catch_up_each

from .conftest import screenshot
from .test_accessibility import check

SAMPLE = Path(__file__).resolve().parents[1] / "alphabetic_index" / "data" / "index-2025-sample.csv"
CODES = ["F29", "F31.9", "J18.9", "J69.0", "N39.44", "R32"]


@pytest.fixture
def index(transactional_db):
    """A few codes, and the FY2025 sample of the index checked against them."""
    codes = [
        SourceCode("icd10cm", code, {"official_descriptor": f"{code} (test)", "billable": True})
        for code in CODES
    ]
    import_codes(lambda: iter(codes), system="icd10cm", source="test", release="T1")
    catch_up_each("codes")
    index_import(read_csv(SAMPLE), release="FY2025", source=SAMPLE.name)
    catch_up_each("alphabetic_index")


@pytest.mark.parametrize(
    "viewport",
    [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
    ids=["desktop", "phone"],
)
def test_a_coder_follows_a_main_term_down_its_subterms_to_the_code_page(browsers, index, viewport):
    page = browsers.page(viewport=viewport)
    page.goto("/index/")
    page.get_by_role("navigation", name="Letters of the index").get_by_role(
        "link", name="P", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("P: main terms")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("link", name="1 subterm of Pneumonia", exact=True).click()
    page.get_by_role("link", name="1 subterm of Pneumonia, aspiration", exact=True).click()
    page.get_by_role("link", name="2 subterms of Pneumonia, aspiration, due to").click()
    food = page.locator("li", has_text="food").last
    expect(food).to_contain_text("(regurgitated)")
    assert page.evaluate("window.notReloaded") is True  # expanded in place by htmx
    check(page, f"index-letter-{viewport['width']}")
    food.get_by_role("link", name="J69.0").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("J69.0")
    entries = page.locator("section", has=page.get_by_role("heading", name="Index entries"))
    expect(entries).to_contain_text("Pneumonia, aspiration, due to, food")


def test_a_see_reference_leads_to_the_term_it_names(browsers, index):
    page = browsers.page()
    page.goto("/index/letters/B")
    page.get_by_role("link", name="Enuresis").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enuresis")
    expect(page.get_by_role("link", name="R32").first).to_be_visible()
    screenshot(page, "index-term")


def test_the_search_page_says_which_index_entry_a_result_came_from(browsers, index):
    """The codes' titles here do not say "pneumonia" ("J18.9 (test)"): only the index does, and
    the result says so, with the words searched marked."""
    catch_up_each("search")
    page = browsers.page()
    page.goto("/search")
    page.get_by_label("Code or words").fill("pneumonia")
    page.get_by_label("Code or words").press("Enter")
    first = page.locator("#results-list > li").first
    expect(first.get_by_role("link")).to_contain_text("J18.9")
    match = first.locator(".index-match")
    expect(match).to_have_text(
        "Index: Pneumonia (acute) (double) (migratory) (purulent) (septic) (unresolved)"
    )
    expect(match.locator("mark")).to_have_text("Pneumonia")
    screenshot(page, "search-index-match")
