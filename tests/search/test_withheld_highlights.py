"""Search shows no more than the code API: highlights come only from fields the caller may read
(guests and readers without a role or an API key: the official text), and the search page is
throttled like the search API."""

import pytest
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from codesets.actions import code_register
from events.projections import catch_up

from .conftest import refresh

pytestmark = pytest.mark.django_db(transaction=True)

# One word of its own in each metered field: a highlight of it can only come from that field.
ASTHMA = {
    "official_descriptor": "Unspecified asthma, uncomplicated",
    "short_descriptor": "Asthma NOS",
    "common_description": "Narrowed airways wheezewords from plain language.",
    "notes": {
        "inclusion_terms": ["Inhalerword asthma NOS"],
        "excludes1": ["Bronchospasmword in exercise"],
    },
    "lay_terms": ["puffernoun chest"],
    "billable": True,
    "chapter": "Other chapters",
}
METERED_WORDS = {
    "wheezewords": "description",
    "inhalerword": "inclusion_terms",
    "bronchospasmword": "notes",
    "puffernoun": "lay_terms",
}
OFFICIAL = {"title", "short_title"}


@pytest.fixture
def asthma(indexed):
    code_register(system="icd10cm", code="J45.909", content=ASTHMA, source="test", release="test")
    catch_up("search")
    refresh()


def client_as(kind, people=None):
    client = APIClient()
    if kind == "api_key":
        _, key = APIKey.objects.create_key(name="consumer")
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    elif kind != "anonymous":
        client.force_authenticate(people[kind])
    return client


def highlights(client, q):
    response = client.get("/api/v1/codes/search", {"q": q})
    assert response.status_code == 200, response.content
    hits = {hit["code"]: hit for hit in response.json()["hits"]}
    return hits["J45.909"]["highlights"]


@pytest.mark.parametrize("kind", ["anonymous", "nobody"])
@pytest.mark.parametrize("word", sorted(METERED_WORDS))
def test_a_reader_without_role_or_key_gets_no_highlight_of_a_metered_field(
    asthma, people, kind, word
):
    marks = highlights(client_as(kind, people), f"asthma {word}")
    assert set(marks) <= OFFICIAL, marks
    assert word not in str(marks).lower()


def test_a_reader_without_role_or_key_still_gets_highlights_of_the_official_text(asthma):
    marks = highlights(client_as("anonymous"), "asthma")
    assert marks["title"] == ["Unspecified <mark>asthma</mark>, uncomplicated"]


@pytest.mark.parametrize("kind", ["api_key", "alice"])
@pytest.mark.parametrize("word", sorted(METERED_WORDS))
def test_api_keys_and_editorial_staff_get_highlights_of_metered_fields(asthma, people, kind, word):
    marks = highlights(client_as(kind, people), f"asthma {word}")
    assert METERED_WORDS[word] in marks, marks


@pytest.mark.parametrize("word", sorted(METERED_WORDS))
def test_the_search_page_shows_a_guest_no_snippet_of_a_metered_field(asthma, client, word):
    response = client.get("/search", {"q": f"asthma {word}"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "J45.909" in page
    assert f"<mark>{word}</mark>" not in page.lower()  # the query itself is echoed, unmarked


def test_the_search_page_shows_staff_snippets_of_metered_fields(asthma, client, people):
    client.force_login(people["alice"])
    page = client.get("/search", {"q": "asthma puffernoun"}).content.decode()
    assert "<mark>puffernoun</mark>" in page


def test_the_search_page_is_throttled_like_the_search_api(asthma, client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "search_anon": "3/day",  # a window this test cannot straddle
        },
    }
    answers = [client.get("/search", {"q": "asthma"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert 0 < int(refused["Retry-After"]) <= 86400
    assert "Too many searches" in refused.content.decode()
    # The page and the API count against the same allowance.
    assert APIClient().get("/api/v1/codes/search", {"q": "asthma"}).status_code == 429
