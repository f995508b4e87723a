"""Notes that apply: a code's own instructional notes, then those of its parent codes up to the
category, in the order coders read them; and the codes each note names."""

import pytest
from django.core.exceptions import ValidationError

from codes.references import mentions, named_codes, references
from codes.selectors import applicable_notes
from codes.templatetags.code_content import linked_codes
from tests.codes.fractures import SEVENTH_RULE, XSS_NOTE, register_fractures


@pytest.fixture
def fractures(db):
    return register_fractures()


def test_a_code_gets_its_own_notes_then_its_parents_kind_by_kind(fractures):
    notes = applicable_notes(system="icd10cm", code="S72.001A")
    assert [(n["kind"], n["from"], n["text"]) for n in notes] == [
        ("inclusion_terms", "S72.00", "Fracture of hip NOS"),
        ("inclusion_terms", "S72.00", "Fracture of neck of femur NOS"),
        ("excludes1", "S72", "traumatic amputation of hip and thigh (S78.-)"),
        # Within a kind the nearest code first: S72.0 before S72.
        ("excludes2", "S72.0", "physeal fracture of upper end of femur (S79.0-)"),
        ("excludes2", "S72", "fracture of lower leg and ankle (S82.-)"),
        ("excludes2", "S72", "fracture of foot (S92.-)"),
        ("seventh_character", "S72", SEVENTH_RULE),
        ("seventh_character", "S72", "7th character A: initial encounter for closed fracture"),
        (
            "seventh_character",
            "S72",
            "7th character D: subsequent encounter for closed fracture with routine healing",
        ),
        ("general", "S72.001A", XSS_NOTE),
    ]


def test_each_note_lists_the_codes_and_ranges_it_names(fractures):
    notes = {n["text"]: n["codes"] for n in applicable_notes(system="icd10cm", code="s72001a")}
    assert notes[XSS_NOTE] == ["J60-J70", "F17.-"]
    assert notes[SEVENTH_RULE] == ["S72"]
    assert notes["fracture of foot (S92.-)"] == ["S92.-"]
    assert notes["Fracture of hip NOS"] == []


def test_the_category_has_only_its_own_notes(fractures):
    notes = applicable_notes(system="icd10cm", code="S72")
    assert {n["from"] for n in notes} == {"S72"}
    assert len(notes) == 6


def test_a_note_repeated_lower_down_is_listed_once_from_the_nearest_code(db):
    from codesets.actions import code_register
    from events.testing import catch_up_each

    repeated = {"excludes1": ["fracture of foot (S92.-)"]}
    code_register(
        system="icd10cm",
        code="S92",
        content={"official_descriptor": "Fracture of foot", "notes": repeated},
    )
    code_register(
        system="icd10cm",
        code="S92.0",
        content={
            "official_descriptor": "Fracture of calcaneus",
            "parent": "S92",
            "notes": repeated,
        },
    )
    catch_up_each("codes")
    notes = applicable_notes(system="icd10cm", code="S92.0")
    assert [(n["from"], n["text"]) for n in notes] == [("S92.0", "fracture of foot (S92.-)")]


def test_a_parent_that_is_not_registered_ends_the_chain(db):
    from codesets.actions import code_register
    from events.testing import catch_up_each

    code_register(
        system="icd10cm",
        code="S72.001A",
        content={"official_descriptor": "Alone", "parent": "S72.001"},
    )
    catch_up_each("codes")
    assert applicable_notes(system="icd10cm", code="S72.001A") == []


def test_as_of_a_date_reads_each_code_on_that_date(fractures):
    from datetime import date, timedelta

    notes = applicable_notes(
        system="icd10cm", code="S72.001A", as_of=date.today() + timedelta(days=1)
    )
    assert notes == applicable_notes(system="icd10cm", code="S72.001A")


def test_an_unknown_code_is_not_found(db):
    from codeledger.domain import NotFound

    with pytest.raises(NotFound):
        applicable_notes(system="icd10cm", code="S72.001A")
    with pytest.raises(ValidationError):
        applicable_notes(system="icd10cm", code="not a code")


# --- the codes a note names (no database) ---------------------------------------------------------


@pytest.mark.parametrize(
    "text, named",
    [
        ("pneumoconiosis (J60-J70)", [("J60-J70", "J60")]),
        ("nicotine dependence (F17.-)", [("F17.-", "F17")]),
        ("the typos (F17-) and (D29.2.-)", [("F17-", "F17"), ("D29.2.-", "D29.2")]),
        ("old myocardial infarction (I25.2)", [("I25.2", "I25.2")]),
        ("(T36-T50 with fifth or sixth character 5)", [("T36-T50", "T36")]),
        ("each code from category S72", [("S72", "S72")]),
        # Outside parentheses and after no naming word, code-shaped words are words.
        ("vitamin B12 deficiency (D51.-)", [("D51.-", "D51")]),
        ("COVID-19 or a lab test (QFT)", []),
        ("an invalid code (S7)", []),
    ],
)
def test_mentions_find_codes_ranges_and_families(text, named):
    assert [(m.text, m.target) for m in mentions("icd10cm", text)] == named


def test_mentions_follow_the_systems_format():
    assert named_codes("hcpcs", "see codes E0114 (E0114-E0116) and (S72.0)") == [
        "E0114",
        "E0114-E0116",
    ]
    assert named_codes("cpt", "report with (93017, 99)") == ["93017"]


def test_related_codes_at_import_are_unchanged():
    # codesets.sources keeps single codes and families as related codes, and skips ranges.
    assert references("tobacco (F17.-, I25.2) and dust (J60-J70)") == ["F17.-", "I25.2"]


def test_linked_codes_escapes_the_text_and_links_the_codes():
    html = linked_codes(XSS_NOTE, "icd10cm")
    assert html == (
        "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; see pneumoconiosis "
        '(<a href="/codes/icd10cm/J60">J60-J70</a>) and tobacco '
        '(<a href="/codes/icd10cm/F17">F17.-</a>)'
    )


def test_a_7th_character_rule_recorded_among_general_notes_stays_readable(db):
    # Codes imported before the seventh_character kind existed hold the rule as a general note.
    from codesets.actions import code_register
    from events.testing import catch_up_each

    rule = "The appropriate 7th character is to be added to each code from category S32"
    code_register(
        system="icd10cm",
        code="S32",
        content={"official_descriptor": "Fracture of lumbar spine", "notes": {"general": [rule]}},
    )
    catch_up_each("codes")
    notes = applicable_notes(system="icd10cm", code="S32")
    assert [(n["kind"], n["text"]) for n in notes] == [("general", rule)]
