"""A real code to work on, and a small code set with a later release of it."""

import pytest

from editorial.importing import import_codes, propose_release
from editorial.services import code_register
from editorial.sources import SourceCode

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


# --- a code set and a later release: one code added, one revised, one retired ----------------

PROVIDES = ("official_descriptor", "short_descriptor", "billable", "parent")


def code(value, title, **content):
    return SourceCode("icd10cm", value, {"official_descriptor": title, "billable": True, **content})


BASELINE = [
    code("A00.0", "Cholera due to Vibrio cholerae 01, biovar cholerae"),
    code("M35.04", "Sjogren syndrome with tubulo-interstitial nephropathy"),
    code("S30.1XXA", "Contusion of abdominal wall, initial encounter"),
]
NEXT = [
    code("A00.0", "Cholera due to Vibrio cholerae 01, biovar cholerae"),
    code("E11.A", "Type 2 diabetes mellitus without complications in remission"),
    code("M35.04", "Sjögren syndrome with tubulo-interstitial nephropathy"),
]


def import_baseline(codes=BASELINE):
    """The first import of the small code set."""
    import_codes(lambda: iter(codes), system="icd10cm", source="cm-old", release="FY2025")


def propose(codes=NEXT, release="FY2026", **kwargs):
    """A later release of it, proposed as a change set (its summary)."""
    return propose_release(
        lambda: iter(codes),
        system="icd10cm",
        source="cm-new",
        release=release,
        provides=PROVIDES,
        **kwargs,
    )
