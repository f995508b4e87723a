"""`explain` reads a code's facts from the read models (today) or its streams (on a date): the
notes that apply, inherited ones included, the codes one character away and the approved
glossary; unknown codes have no explanation."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from codesets.actions import code_register
from events.testing import catch_up_each
from knowledge.explain import explain, explain_cached
from tests.codes.fractures import BLOCK, CHAPTER, FRACTURES, register_fractures


def register(code: str, descriptor: str, parent: str) -> None:
    code_register(
        system="icd10cm",
        code=code,
        content={
            "official_descriptor": descriptor,
            "parent": parent,
            "billable": True,
            "chapter": CHAPTER,
            "block": BLOCK,
        },
        source="test",
        release="FY2026",
    )


@pytest.fixture
def fractures(db):
    register_fractures()
    right = FRACTURES["S72.001A"]["official_descriptor"]
    register("S72.002", "Fracture of unspecified part of neck of left femur", "S72.00")
    register("S72.002A", right.replace("right", "left"), "S72.002")
    register(
        "S72.001D",
        right.replace(
            "initial encounter for closed fracture",
            "subsequent encounter for closed fracture with routine healing",
        ),
        "S72.001",
    )
    catch_up_each("codes")


def sources(explanation: dict) -> list[str]:
    return [source for s in explanation["sentences"] for source in s["sources"]]


def test_the_explanation_names_the_variants_and_the_inherited_notes(fractures):
    explanation = explain("icd10cm", "s72001a")
    assert "“left” (S72.002A); this code is for “right”" in explanation["text"]
    assert (
        "D, subsequent encounter for closed fracture with routine healing (S72.001D)"
        in (explanation["text"])
    )
    assert "notes.excludes1:S72" in sources(explanation)
    assert "notes.inclusion_terms:S72.00" in sources(explanation)


def test_the_same_version_gives_the_same_text_on_any_date_it_was_in_force(fractures):
    today = explain("icd10cm", "S72.001A")
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert explain("icd10cm", "S72.001A", as_of=tomorrow) == today
    assert explain("icd10cm", "S72.001A", known_at=timezone.now()) == today
    assert explain_cached("icd10cm", "S72.001A") == today


def test_a_code_unknown_or_not_yet_registered_then_has_no_explanation(fractures):
    assert explain("icd10cm", "S72.009A") is None
    assert explain("icd10cm", "not a code") is None
    assert explain("nosuchsystem", "S72") is None
    assert explain("icd10cm", "S72.001A", as_of=date(2000, 1, 1)) is None
