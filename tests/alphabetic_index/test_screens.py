"""The index screens through Django's test client: letters, main terms, subterms (a plain link,
or an htmx fragment), references and codes as links, and the code page's index entries."""

import re

import pytest
from django.test import Client

from alphabetic_index.models import IndexEntry

from .conftest import NEXT_YEAR_XML, import_index

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def n_of(path: str) -> int:
    return IndexEntry.objects.filter(path=path).order_by("position").values_list("n", flat=True)[0]


def page(url: str, **headers) -> str:
    response = Client().get(url, **headers)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_the_index_page_links_the_letters_that_have_main_terms(fy2025):
    html = page("/index/")
    assert '<a href="/index/letters/P">P</a>' in html
    assert re.search(r'<span class="muted"[^>]*>Z</span>', html)  # no main term under Z
    assert "FY2025" in html


def test_a_letter_lists_its_main_terms_with_codes_and_expand_links(fy2025):
    html = page("/index/letters/P")
    pneumonia = n_of("Pneumonia")
    assert '<a class="index-code" href="/codes/icd10cm/J18.9">J18.9</a>' in html
    # A plain link to the term's page that htmx turns into an in-place expansion.
    assert (
        f'<a class="index-expand" href="/index/terms/{pneumonia}" '
        f'hx-get="/index/terms/{pneumonia}" hx-target="#sub-{pneumonia}" hx-swap="outerHTML">'
    ) in html
    assert "Psychosis, psychotic" in html
    assert "Bedwetting" not in html


def test_a_see_reference_links_to_the_term_it_names_and_shows_the_code(fy2025):
    html = page("/index/letters/B")
    enuresis = n_of("Enuresis")
    assert f'<em>see</em> <a href="/index/terms/{enuresis}">Enuresis</a>' in html
    assert '<a class="index-code" href="/codes/icd10cm/R32">R32</a>' in html


def test_a_term_page_shows_its_trail_and_subterms_without_javascript(fy2025):
    html = page(f"/index/terms/{n_of('Pneumonia, aspiration')}")
    assert "<h1>Pneumonia, aspiration</h1>" in html
    assert f'<a href="/index/terms/{n_of("Pneumonia")}">Pneumonia</a>' in html  # the trail
    assert "due to" in html and "Subterms" in html


def test_expanding_with_htmx_answers_the_subterms_fragment(fy2025):
    due_to = n_of("Pneumonia, aspiration, due to")
    response = Client().get(f"/index/terms/{due_to}", **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith(f'<ul class="index-subterms" id="sub-{due_to}">')
    assert "<html" not in html
    assert "food" in html and "vomitus" in html
    assert "HX-Request" in response["Vary"]


def test_header_and_stale_codes_are_marked(fy2025):
    assert "not billable: subdivided since this index" in page("/index/letters/A")
    smokers = page(f"/index/terms/{n_of('Cough')}", **HTMX)
    assert '<span class="index-code">J41.0</span>' in smokers  # no code page to link to
    assert "not in the tabular list in force" in smokers


def test_the_term_search_lists_matching_entries_by_path(fy2025):
    html = page("/index/?term=aspiration+food")
    assert "Pneumonia, aspiration, due to, food" in html
    assert "No entry holds" in page("/index/?term=xylophone")


def test_the_code_page_lists_the_index_entries_that_lead_to_it(fy2025):
    html = page("/codes/icd10cm/R32")
    assert "Index entries that lead here" in html
    assert f'<a href="/index/terms/{n_of("Bedwetting")}">Bedwetting</a>' in html
    assert "(see reference)" in html
    assert "Index entries that lead here" not in page("/codes/icd10cm/Q89.8")  # a header


def test_a_proposed_release_can_be_read_and_links_keep_it(fy2025):
    proposed = import_index(NEXT_YEAR_XML, release="FY2026")
    html = page(f"/index/letters/A?release={proposed.release_id}")
    assert "(proposed): it is not the index in force" in html
    assert '<a class="index-code" href="/codes/icd10cm/Q89.89">Q89.89</a>' in html
    assert f'href="/index/letters/P?release={proposed.release_id}"' in html


def test_without_an_index_the_page_says_how_to_import_one(db):
    assert "manage.py index_import" in page("/index/")


def test_unknown_letters_terms_and_releases_are_404_pages(fy2025):
    client = Client()
    assert client.get("/index/letters/Ä").status_code == 404
    assert client.get("/index/terms/9999").status_code == 404
    assert client.get("/index/?release=nope").status_code == 404
