"""Notes that apply: a code's own instructional notes, then those of its parent codes up to the
category, in the order coders read them; and the codes each note names."""

import pytest
from django.core.exceptions import ValidationError

from codes.references import mentions, named_codes, references
from codes.selectors import applicable_notes
from codes.templatetags.code_content import linked_codes
from tests.codes.fractures import (
    BLOCK_NOTE,
    CHAPTER_NOTE,
    CHAPTER_USE_ADDITIONAL,
    SEVENTH_RULE,
    XSS_NOTE,
    record_sections,
    register_fractures,
)


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


def test_the_block_and_chapter_notes_follow_the_codes_within_each_kind(fractures):
    record_sections()
    notes = applicable_notes(system="icd10cm", code="S72.001A")
    assert [(n["kind"], n["from"], n["level"], n["text"]) for n in notes] == [
        ("inclusion_terms", "S72.00", "code", "Fracture of hip NOS"),
        ("inclusion_terms", "S72.00", "code", "Fracture of neck of femur NOS"),
        ("excludes1", "S72", "code", "traumatic amputation of hip and thigh (S78.-)"),
        ("excludes2", "S72.0", "code", "physeal fracture of upper end of femur (S79.0-)"),
        ("excludes2", "S72", "code", "fracture of lower leg and ankle (S82.-)"),
        # Written on S72 and on the chapter: once, from S72.
        ("excludes2", "S72", "code", "fracture of foot (S92.-)"),
        ("excludes2", "S70-S79", "block", BLOCK_NOTE),
        ("excludes2", "Chapter 19", "chapter", CHAPTER_NOTE),
        ("use_additional", "Chapter 19", "chapter", CHAPTER_USE_ADDITIONAL),
        ("seventh_character", "S72", "code", SEVENTH_RULE),
        (
            "seventh_character",
            "S72",
            "code",
            "7th character A: initial encounter for closed fracture",
        ),
        (
            "seventh_character",
            "S72",
            "code",
            "7th character D: subsequent encounter for closed fracture with routine healing",
        ),
        ("general", "S72.001A", "code", XSS_NOTE),
    ]
    # The shape others build on: the same keys, in this order, for every note.
    assert {tuple(n) for n in notes} == {("kind", "text", "from", "level", "codes")}
    assert notes[7]["codes"] == ["P10-P15"]


def test_block_and_chapter_notes_are_read_on_the_date_asked(fractures):
    from datetime import date

    from codes.sections import SectionRevised
    from events.store import StreamAppend, append_streams
    from events.testing import catch_up_each

    record_sections()
    # A later release adds a note to the block from 2027-10-01.
    revised = SectionRevised(
        system="icd10cm",
        section="S70-S79",
        changes={
            "notes": {
                "from": {"excludes2": [BLOCK_NOTE]},
                "to": {"excludes2": [BLOCK_NOTE, "snake bite (T63.0-)"]},
            }
        },
        effective_from="2027-10-01",
    )
    append_streams([StreamAppend("section:icd10cm:S70-S79", [revised], 1)])
    catch_up_each("sections")

    def block_notes(**when):
        notes = applicable_notes(system="icd10cm", code="S72.001A", **when)
        return [n["text"] for n in notes if n["level"] == "block"]

    assert block_notes() == [BLOCK_NOTE]
    assert block_notes(as_of=date(2027, 9, 30)) == [BLOCK_NOTE]
    assert block_notes(as_of=date(2027, 10, 1)) == [BLOCK_NOTE, "snake bite (T63.0-)"]


def test_a_block_revision_comes_into_force_on_its_day(fractures, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from codes import projector, selectors, tasks
    from codes.models import SectionEntry
    from codes.sections import SectionRevised
    from events.store import StreamAppend, append_streams
    from events.testing import catch_up_each

    record_sections()
    tomorrow = timezone.localdate() + timedelta(days=1)
    notes = {"excludes2": [BLOCK_NOTE, "snake bite (T63.0-)"]}
    revised = SectionRevised(
        system="icd10cm",
        section="S70-S79",
        changes={"notes": {"from": {"excludes2": [BLOCK_NOTE]}, "to": notes}},
        effective_from=tomorrow.isoformat(),
    )
    append_streams([StreamAppend("section:icd10cm:S70-S79", [revised], 1)])
    catch_up_each("sections")
    assert selectors.section_current(system="icd10cm", section="S70-S79").notes == {
        "excludes2": [BLOCK_NOTE]
    }
    assert tasks.publish_due_changes() == 0

    for module in (projector, selectors, tasks):
        monkeypatch.setattr(module.timezone, "localdate", lambda: tomorrow)
    # Read from the stream on the day, before the beat task brings the row forward.
    assert selectors.section_current(system="icd10cm", section="S70-S79").notes == notes
    assert tasks.publish_due_changes() == 1
    row = SectionEntry.objects.get(section="S70-S79")
    assert (row.notes, row.version, row.next_change_on) == (notes, 2, None)


def test_sections_read_today_and_rebuilt_from_the_log_agree(fractures):
    from events.testing import assert_projection_matches_rebuild

    record_sections()
    assert_projection_matches_rebuild("sections")


def test_a_code_whose_block_is_not_recorded_has_only_its_codes_notes(fractures):
    # E.g. codes imported before chapters and blocks were: nothing is invented.
    notes = applicable_notes(system="icd10cm", code="S72.001A")
    assert {n["level"] for n in notes} == {"code"}


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


# --- blocks that span blocks (no database) -------------------------------------------------------


@pytest.mark.parametrize(
    "outer, inner, spans",
    [
        ("T20-T32", "T20-T25", True),
        ("T20-T32", "T33-T34", False),
        ("V00-X58", "V00-V99", True),
        ("V00-V99", "V00-V09", True),
        ("W00-X58", "V00-V09", False),
        ("O94-O9A", "O9A", True),  # "O99" < "O9A": the tabular's order
        ("S70-S79", "S70-S79", False),  # a block does not span itself
    ],
)
def test_a_block_spans_the_blocks_in_its_range(outer, inner, spans):
    from codes.sections import contains

    assert contains(outer, inner) is spans


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
