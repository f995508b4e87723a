"""A small ICD-10-CM for CasePilot, shaped as the import writes it (notes on the category, the
7th-character rule among the general notes), and the sample Alphabetic Index (FY2025) of
tests/alphabetic_index, which gives J18.9 for "Pneumonia" and J45.909 for "Asthma"."""

import pytest
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from codesets.actions import code_register
from events.testing import catch_up_each
from tests.alphabetic_index.conftest import import_index
from tests.codes.fractures import register_fractures
from tests.conftest import make_user

DIABETES = "Endocrine, nutritional and metabolic diseases (E00-E89)"
RESPIRATORY = "Diseases of the respiratory system (J00-J99)"

CODES = {
    "E10": {
        "official_descriptor": "Type 1 diabetes mellitus",
        "chapter": DIABETES,
        "notes": {"excludes1": ["type 2 diabetes mellitus (E11.-)"]},
    },
    "E10.9": {
        "official_descriptor": "Type 1 diabetes mellitus without complications",
        "chapter": DIABETES,
        "parent": "E10",
        "billable": True,
    },
    "E11": {
        "official_descriptor": "Type 2 diabetes mellitus",
        "chapter": DIABETES,
        "notes": {
            "excludes1": ["type 1 diabetes mellitus (E10.-)"],
            "use_additional": ["code to identify control using: insulin (Z79.4)"],
        },
    },
    "E11.9": {
        "official_descriptor": "Type 2 diabetes mellitus without complications",
        "chapter": DIABETES,
        "parent": "E11",
        "billable": True,
    },
    "J18": {
        "official_descriptor": "Pneumonia, unspecified organism",
        "chapter": RESPIRATORY,
        "notes": {"excludes2": ["aspiration pneumonia NOS (J69.0)"]},
    },
    "J18.9": {
        "official_descriptor": "Pneumonia, unspecified organism",
        "chapter": RESPIRATORY,
        "parent": "J18",
        "billable": True,
    },
    "J69.0": {
        "official_descriptor": "Pneumonitis due to inhalation of food and vomit",
        "chapter": RESPIRATORY,
        "billable": True,
    },
    "J45": {
        "official_descriptor": "Asthma",
        "chapter": RESPIRATORY,
        "notes": {
            "use_additional": ["exposure to environmental tobacco smoke (Z77.22)"],
            "excludes1": ["wheezing NOS (R06.2)"],
        },
    },
    "J45.9": {"official_descriptor": "Other and unspecified asthma", "parent": "J45"},
    "J45.90": {"official_descriptor": "Unspecified asthma", "parent": "J45.9"},
    "J45.909": {
        "official_descriptor": "Unspecified asthma, uncomplicated",
        "chapter": RESPIRATORY,
        "parent": "J45.90",
        "billable": True,
    },
    "N18": {
        "official_descriptor": "Chronic kidney disease (CKD)",
        "notes": {"code_first": ["hypertensive chronic kidney disease (I12.-, I13.-)"]},
    },
    "N18.6": {"official_descriptor": "End stage renal disease", "parent": "N18", "billable": True},
    "S72.001D": {
        "official_descriptor": "Fracture of unspecified part of neck of right femur, subsequent "
        "encounter for closed fracture with routine healing",
        "parent": "S72.001",
        "billable": True,
    },
}


def register_codes() -> None:
    """The codes above, the fractures of tests/codes (S72 ... S72.001A) and the sample index,
    registered and projected (tests on `db` never commit)."""
    register_fractures()
    for code, content in CODES.items():
        code_register(system="icd10cm", code=code, content=content, source="test", release="FY2026")
    code_register(
        system="cpt",
        code="99213",
        content={"official_descriptor": "Office or other outpatient visit, established patient"},
        source="test",
        release="2026",
    )
    catch_up_each("codes", "review", "codesets")
    import_index()


@pytest.fixture
def content(db):
    register_codes()


@pytest.fixture
def free_account(db):
    """A person with a free account: no editorial role, no organisation."""
    return make_user("reader")


@pytest.fixture
def ask_as(free_account):
    """POST /api/v1/assistant/ask as `guest`, `free` (a free account's session) or `key`."""

    def asking(who: str, body: dict):
        client = APIClient()
        if who == "free":
            client.force_login(free_account)
        elif who == "key":
            _, key = APIKey.objects.create_key(name="consumer")
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        elif who == "bad key":
            client.credentials(HTTP_AUTHORIZATION="Api-Key not.a-key")
        return client.post("/api/v1/assistant/ask", body, format="json")

    return asking
