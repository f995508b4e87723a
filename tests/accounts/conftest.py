"""Code pages to read: a handful of ICD-10-CM codes, and a made-up licensed (CPT) code set."""

import pytest

from codesets.actions import code_register
from events.testing import catch_up_each

# Eight real ICD-10-CM codes with short made-up texts: enough to run out of views.
CODES = ["A00.0", "A00.1", "A01.0", "A01.1", "A02.0", "A02.1", "A03.0", "A03.1"]

# Never real CPT text: a made-up descriptor whose words appear nowhere else.
FAKE_CPT = {
    "official_descriptor": "Zebrafinch calibration of the quuxometer, each session",
    "short_descriptor": "Zebrafinch quuxometer calibration",
    "common_description": "A pretend procedure with a zebrafinch and a quuxometer.",
    "notes": {"general": ["Report zebrafinch quuxometer sessions once per day."]},
    "lay_terms": ["zebrafinch quuxometry"],
    "chapter": "Pretend quuxometry services",
    "billable": True,
}
SECRET_WORDS = ("zebrafinch", "quuxometer", "quuxometry", "pretend")


def register(code, **content):
    return code_register(
        system="icd10cm",
        code=code,
        content={
            "official_descriptor": f"Official descriptor of {code}",
            "common_description": f"Plain words about {code}",
            "notes": {"excludes1": [f"Excluded from {code}"]},
            "related": [{"system": "icd10cm", "code": "B99.9", "relation": "see_also"}],
            "chapter": "Certain infectious and parasitic diseases (A00-B99)",
            "billable": True,
            **content,
        },
        source="test",
    )


@pytest.fixture(autouse=True)
def _quick_uniform_answers(settings):
    """Registration answers in a uniform time (0.75 s); tests that do not time it go faster."""
    settings.ACCOUNT_UNIFORM_RESPONSE_SECONDS = 0.01


@pytest.fixture
def codes(db):
    for code in CODES:
        register(code)
    # The `db` fixture's transaction never commits: project by hand.
    catch_up_each("codes", "review", "codesets")
    return CODES


@pytest.fixture
def fake_cpt(db):
    written = code_register(system="cpt", code="99990", content=FAKE_CPT, source="test")
    catch_up_each("codes", "review", "codesets")
    return written
