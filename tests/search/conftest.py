"""A small set of real ICD-10-CM codes, registered through the event store and projected."""

import pytest

from codeledger.elastic import elasticsearch_client
from codesets.actions import code_register
from events.projections import catch_up
from search.documents import alias

CODES = {
    "I21.4": ("Non-ST elevation (NSTEMI) myocardial infarction", True, ["heart attack"]),
    "I21": ("Acute myocardial infarction", False, ["heart attack"]),
    "I21.0": ("ST elevation (STEMI) myocardial infarction of anterior wall", False, []),
    "I21.01": (
        "ST elevation (STEMI) myocardial infarction involving left main coronary artery",
        True,
        [],
    ),
    "I25.2": ("Old myocardial infarction", True, ["healed heart attack"]),
    "J43.9": ("Emphysema, unspecified", True, []),
    "J40": ("Bronchitis, not specified as acute or chronic", True, ["chest cold"]),
    "C84.1": ("Sézary disease", False, []),
    "S72.001A": (
        "Fracture of unspecified part of neck of right femur, initial encounter for "
        "closed fracture",
        True,
        ["broken hip"],
    ),
    "K80.20": (
        "Calculus of gallbladder without cholecystitis without obstruction",
        True,
        ["gallstones"],
    ),
    "E11.9": ("Type 2 diabetes mellitus without complications", True, ["sugar diabetes"]),
    "K64.9": ("Unspecified hemorrhoids", True, []),
}


def register_codes(codes=CODES):
    position = 0
    for code, (title, billable, lay) in codes.items():
        written = code_register(
            system="icd10cm",
            code=code,
            content={
                "official_descriptor": title,
                "billable": billable,
                "lay_terms": lay,
                "chapter": "Diseases of the circulatory system"
                if code.startswith("I")
                else "Other chapters",
            },
            source="test",
            release="test",
        )
        position = written.position
    return position


def refresh():
    elasticsearch_client().indices.refresh(index=alias())


@pytest.fixture
def indexed(db, es_namespace):
    """The codes, each registered once, indexed. The search projector reads what it adds to a
    document (a reindexed code's earlier events, its Alphabetic Index terms) from other threads
    (parallel_bulk), which see only committed rows: a test that changes an indexed code or
    imports index terms needs `django_db(transaction=True)`."""
    position = register_codes()
    catch_up("search")
    refresh()
    return position
