"""What a fresh instance shows at its front door: the code systems it holds (from the codes read
model) and what can be added, never systems it does not hold; and the API docs page's way back."""

import re

import pytest
from django.test import Client
from django.utils.html import strip_tags

from codesets.actions import code_register
from events.testing import catch_up_each

pytestmark = pytest.mark.django_db


def section(html: str, ident: str) -> str:
    found = re.search(rf'<section[^>]*id="{ident}"[^>]*>(.*?)</section>', html, re.S)
    return " ".join(strip_tags(found.group(1)).split()) if found else ""


def register(system, code, **content):
    code_register(
        system=system,
        code=code,
        content={"official_descriptor": f"Descriptor of {code}", "billable": True, **content},
        source="test",
    )


def test_an_empty_instance_says_nothing_is_loaded_and_how_to_add_it():
    html = Client().get("/").content.decode()
    assert (
        section(html, "loaded-systems") == "Code systems loaded here No code system is loaded yet."
    )
    addable = section(html, "addable-systems")
    assert "ICD-10-CM: manage.py codes_import icd10cm-2026 (FY2026 (April 2026)), or " in addable
    assert "docs/code-sets.md" in addable


def test_the_home_page_counts_what_is_loaded_and_offers_the_rest():
    for code in ("I21.4", "J45.909", "A00.0"):
        register("icd10cm", code)
    catch_up_each("codes")
    html = Client().get("/").content.decode()
    assert section(html, "loaded-systems") == (
        "Code systems loaded here ICD-10-CM: 3 codes in force"
    )
    addable = section(html, "addable-systems")
    assert "ICD-10-CM" not in addable
    assert "ICD-10-PCS: manage.py codes_import icd10pcs-2025 (FY2025)" in addable
    assert "HCPCS Level II: from its owner's files" in addable
    assert "CPT: under a licence, from the owner's files" in addable
    # The old blurb named systems that `make run` does not load.
    assert "ICD-10-PCS, HCPCS, CPT" not in html


def test_thousands_are_grouped(settings):
    from django.template.loader import render_to_string

    from codeledger.views import loaded_code_systems

    html = render_to_string(
        "codeledger/home.html",
        {"loaded": [{"name": "icd10cm", "label": "ICD-10-CM", "codes": 98186}], "addable": []},
    )
    assert "ICD-10-CM</strong>: 98,186 codes in force" in html
    assert loaded_code_systems() == []


def test_the_api_docs_page_has_a_way_back_to_the_site():
    html = Client().get("/api/docs/").content.decode()
    nav = re.search(r'<nav class="site-bar" aria-label="Site">(.*?)</nav>', html, re.S).group(1)
    assert '<a href="/">Back to the site</a>' in nav
    assert '<a href="/search">Search codes</a>' in nav
    assert '<div id="swagger-ui"></div>' in html  # Swagger UI itself is still there
