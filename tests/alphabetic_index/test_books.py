"""The other books of the index (External Cause Index, Table of Drugs and Chemicals, Table of
Neoplasms) imported in the same release as the Index to Diseases: filed under a main term of
their own, resolved within their book, attached to the codes they lead to."""

import pytest

from alphabetic_index import selectors
from alphabetic_index.importing import index_import
from alphabetic_index.models import IndexEntry
from alphabetic_index.readers import (
    DRUGS,
    EXTERNAL_CAUSES,
    NEOPLASMS,
    in_book,
    read_csv,
    read_table_xml,
    read_xml,
)
from codeledger.elastic import elasticsearch_client
from events.projections import catch_up
from events.testing import assert_projection_matches_rebuild, catch_up_each
from search.documents import alias
from search.index_terms import index_terms_for

from .conftest import DRUG_XML, EXTERNAL_XML, NEOPLASM_XML, SAMPLE_CSV, import_index

pytestmark = pytest.mark.django_db


def with_books():
    yield from read_csv(SAMPLE_CSV)
    yield from in_book(read_xml(EXTERNAL_XML), EXTERNAL_CAUSES)
    yield from read_table_xml(DRUG_XML, DRUGS)
    yield from read_table_xml(NEOPLASM_XML, NEOPLASMS)


def import_with_books(release="FY2025+tables"):
    summary = index_import(with_books(), release=release, source="sample with books")
    catch_up_each("alphabetic_index")
    return summary


def entry(path: str) -> IndexEntry:
    release = selectors.index_release()
    return IndexEntry.objects.get(release_id=release.release_id, path=path)


def test_table_cells_lead_to_their_codes_with_the_column_in_the_path(tabular):
    summary = import_with_books()
    assert summary.status == "in_force"
    wasp = entry(f"{DRUGS}: Wasp (sting), poisoning, accidental (unintentional)")
    assert (wasp.code, wasp.attached_code, wasp.letter, wasp.level) == (
        "T63.461",
        "T63.461",
        "T",
        2,
    )
    assert selectors.entries_for_code("icd10cm", "T63.463") == [
        "Table of Drugs and Chemicals: Wasp (sting), poisoning, assault"
    ]
    lung = entry("Table of Neoplasms: Neoplasm, neoplastic, lung, malignant primary")
    assert (lung.code_status, lung.attached_code) == ("incomplete", "C34.9")
    assert_projection_matches_rebuild("alphabetic_index")


def test_each_book_is_a_main_term_and_resolves_its_own_references(tabular):
    import_with_books()
    root = entry("External Cause Index")
    assert (root.level, root.letter, root.parent, root.subterms) == (0, "E", None, 2)
    stung = entry("External Cause Index: Stung")
    assert (stung.see_target, stung.parent) == (entry("External Cause Index: Sting").n, root.n)
    assert selectors.entries_for_code("icd10cm", "W57") == [
        "External Cause Index: Sting, insect, nonvenomous"
    ]


def test_codes_of_the_tables_no_longer_in_force_are_reported(tabular):
    summary = import_with_books()
    # Index to Diseases sample: J41.0 (stale), Q89.8 (header); drugs: T40.2X1-6, T50.3X1-6;
    # neoplasms: all 16 codes but C34.9- (the sample's tabular list has only C34.9x); the
    # hilus' two "-" cells (no code) are no entries, so not reported
    assert (summary.counts["stale_code"], summary.counts["header_code"]) == (1 + 12 + 15, 1)
    assert entry(f"{DRUGS}: Water, balance drug, underdosing").attached_code == ""


def test_re_importing_the_books_writes_nothing(tabular):
    import_with_books()
    assert import_with_books().status == "already_imported"


def test_books_added_to_an_index_in_force_are_a_release_to_review(tabular):
    import_index()  # an existing database: the Index to Diseases alone, FY2025
    summary = import_with_books()
    assert summary.status == "proposed"
    assert summary.changes["removed"] == 0
    assert summary.changes["added"] == summary.counts["entries"] - 33
    assert selectors.index_release().release == "FY2025"  # until a reviewer approves it


def test_search_reads_the_books_entries_with_the_books_own_main_terms(tabular):
    import_with_books()
    terms = index_terms_for([("icd10cm", "T63.461"), ("icd10cm", "W57"), ("icd10cm", "R32")])
    wasp = terms[("icd10cm", "T63.461")]
    assert wasp.terms == [f"{DRUGS}: Wasp (sting), poisoning, accidental (unintentional)"]
    assert (wasp.heads, wasp.main) == (["wasp (sting)"], [])
    assert terms[("icd10cm", "W57")].heads == ["sting"]
    assert terms[("icd10cm", "R32")].heads == ["bedwetting", "enuresis"]  # the Index to Diseases


@pytest.mark.elasticsearch
def test_searching_wasp_sting_finds_the_drug_table_codes(tabular, es_namespace, client):
    catch_up("search")
    import_with_books()
    catch_up("search")  # the index's events reindex the codes they name
    elasticsearch_client().indices.refresh(index=alias())
    response = client.get("/api/v1/codes/search", {"q": "wasp sting", "system": "icd10cm"})
    assert response.status_code == 200, response.content
    hits = [hit["code"] for hit in response.json()["hits"]]
    assert hits[:4] == ["T63.461", "T63.462", "T63.463", "T63.464"]
