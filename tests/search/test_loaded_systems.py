"""A code-like query of a system the index does not hold says so, on the API and the page, and
the page's examples name only systems the index holds (here, as on `make run`: ICD-10-CM)."""

import pytest
from rest_framework.test import APIClient

from search.loaded import systems_of_code

pytestmark = [pytest.mark.django_db, pytest.mark.elasticsearch]

PCS_NOT_LOADED = (
    "0DTJ4ZZ looks like an ICD-10-PCS code, and ICD-10-PCS is not loaded here, so no such code "
    "can be found. Loaded: ICD-10-CM."
)


def search(**params):
    response = APIClient().get("/api/v1/codes/search", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_code_of_a_system_not_loaded_gets_a_notice_not_just_nothing(indexed):
    answer = search(q="0DTJ4ZZ")
    assert answer["total"] == 0
    assert answer["notice"] == {
        "kind": "systems_not_loaded",
        "systems": ["icd10pcs"],
        "message": PCS_NOT_LOADED,
    }


def test_a_code_of_a_loaded_system_gets_no_notice(indexed):
    assert search(q="I21.4")["notice"] is None
    assert search(q="heart attack")["notice"] is None


def test_a_code_that_fits_a_loaded_and_an_unloaded_system_names_the_unloaded_one(indexed):
    answer = search(q="E0114")  # HCPCS format, and the shape of an ICD-10-CM code (E01.14)
    assert answer["notice"]["systems"] == ["hcpcs"]


def test_the_page_says_the_system_is_not_loaded(indexed, client):
    page = client.get("/search", {"q": "0DTJ4ZZ"}).content.decode()
    assert PCS_NOT_LOADED in page


def test_the_page_names_examples_of_loaded_systems_only(indexed, client):
    page = client.get("/search").content.decode()
    assert "Search by code (I21.4, i214) or by words" in page
    assert "0DTJ4ZZ" not in page


def test_the_formats_a_code_has():
    assert systems_of_code("0DTJ4ZZ") == ["icd10pcs"]
    assert systems_of_code("I21.4") == ["icd10cm"]
    assert systems_of_code("E0114") == ["icd10cm", "hcpcs"]
    assert systems_of_code("93017") == ["cpt"]
