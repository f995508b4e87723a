"""A real code to work on."""

import pytest

from editorial.services import code_register

I21_4 = {
    "official_descriptor": "Non-ST elevation (NSTEMI) myocardial infarction",
    "short_descriptor": "Non-ST elevation (NSTEMI) myocardial infarction",
    "common_description": "A heart attack in which the ECG shows no ST-segment elevation.",
    "chapter": "Diseases of the circulatory system (I00-I99)",
    "block": "Ischemic heart diseases (I20-I25)",
    "parent": "I21",
    "billable": True,
    "notes": {"inclusion_terms": ["Non-Q wave myocardial infarction NOS"]},
    "lay_terms": ["heart attack"],
}


@pytest.fixture
def nstemi(db):
    """ICD-10-CM I21.4, registered as the initial import would (version 1)."""
    return code_register(
        system="icd10cm", code="I21.4", content=I21_4, source="test", release="FY2025"
    )
