"""Chapters and blocks through the event pipeline: a first import records the ones its codes lie
in, re-running records nothing, and a later release records the ones it adds or revises."""

import io
from datetime import date

import pytest
from django.core.management import call_command

from codes.models import SectionEntry
from codes.selectors import applicable_notes
from codesets.importing import import_codes, propose_release
from codesets.sources import SourceCode, SourceSection
from events.models import Event
from events.store import read_stream
from events.testing import assert_projection_matches_rebuild, catch_up_each

pytestmark = pytest.mark.django_db

CHAPTER = "Injury, poisoning and certain other consequences of external causes (S00-T88)"
BLOCK = "Injuries to the hip and thigh (S70-S79)"
SECTIONS = [
    SourceSection("icd10cm", "19", "chapter", CHAPTER, {"excludes2": ["birth trauma (P10-P15)"]}),
    SourceSection("icd10cm", "21", "chapter", "Factors influencing health status (Z00-Z99)", {}),
    SourceSection(
        "icd10cm", "S70-S79", "block", BLOCK, {"excludes2": ["frostbite (T33-T34)"]}, "19"
    ),
    SourceSection("icd10cm", "Z00-Z13", "block", "Persons encountering (Z00-Z13)", {}, "21"),
]
CODES = [
    SourceCode(
        "icd10cm",
        "S72",
        {"official_descriptor": "Fracture of femur", "chapter": CHAPTER, "block": BLOCK},
    )
]


def first_import(sections=SECTIONS, codes=CODES):
    return import_codes(
        lambda: iter(codes),
        system="icd10cm",
        source="test-source",
        release="R1",
        effective_from=date(2026, 4, 1),
        sections=lambda: sections,
    )


def test_a_first_import_records_the_chapter_and_block_its_codes_lie_in():
    summary = first_import()
    assert (summary.codes, summary.sections, summary.events_written) == (1, 2, 3)
    # Chapter 21 and block Z00-Z13 hold none of the imported codes: not recorded.
    streams = Event.objects.filter(stream__startswith="section:").order_by("position")
    assert list(streams.values_list("stream", "type")) == [
        ("section:icd10cm:19", "SectionRecorded"),
        ("section:icd10cm:S70-S79", "SectionRecorded"),
    ]
    block = read_stream("section:icd10cm:S70-S79")[0]
    assert (block.event.level, block.event.chapter, block.event.effective_from) == (
        "block",
        "19",
        "2026-04-01",
    )
    assert (block.meta["source"], block.meta["release"]) == ("test-source", "R1")
    catch_up_each("codes", "sections")
    assert set(SectionEntry.objects.values_list("section", "level")) == {
        ("19", "chapter"),
        ("S70-S79", "block"),
    }
    notes = applicable_notes(system="icd10cm", code="S72")
    assert [(n["from"], n["level"], n["text"]) for n in notes] == [
        ("S70-S79", "block", "frostbite (T33-T34)"),
        ("Chapter 19", "chapter", "birth trauma (P10-P15)"),
    ]
    assert_projection_matches_rebuild("codes", "sections")


def test_a_block_that_spans_the_codes_block_is_recorded_and_its_notes_apply():
    # The tabular heads T20-T25, T26-T28, ... with "Burns and corrosions (T20-T32)", which
    # holds notes only; its notes apply to the codes of the blocks it spans.
    burns = "Burns and corrosions of external body surface (T20-T25)"
    sections = [
        SECTIONS[0],
        SourceSection(
            "icd10cm",
            "T20-T32",
            "block",
            "Burns and corrosions (T20-T32)",
            {"includes": ["scalds"]},
            "19",
        ),
        SourceSection("icd10cm", "T20-T25", "block", burns, {}, "19"),
        SourceSection("icd10cm", "T33-T34", "block", "Frostbite (T33-T34)", {}, "19"),
    ]
    codes = [
        SourceCode(
            "icd10cm",
            "T21",
            {"official_descriptor": "Burn of trunk", "chapter": CHAPTER, "block": burns},
        )
    ]
    assert first_import(sections, codes).sections == 3  # not T33-T34
    catch_up_each("codes", "sections")
    notes = applicable_notes(system="icd10cm", code="T21")
    assert [(n["from"], n["level"], n["text"]) for n in notes] == [
        ("T20-T32", "block", "scalds"),
        ("Chapter 19", "chapter", "birth trauma (P10-P15)"),
    ]


def test_reimporting_records_no_section_twice():
    first_import()
    again = first_import()
    assert (again.sections, again.events_written, again.already_present) == (0, 0, 1)
    assert Event.objects.filter(stream__startswith="section:").count() == 2


def test_a_later_release_records_a_change_of_a_sections_notes_with_the_release():
    first_import()
    changed = [
        SECTIONS[0],
        SourceSection(
            "icd10cm",
            "S70-S79",
            "block",
            BLOCK,
            {"excludes2": ["frostbite (T33-T34)", "snake bite (T63.0-)"]},
            "19",
        ),
    ]
    summary = propose_release(
        lambda: iter(CODES),
        system="icd10cm",
        source="test-source-2",
        release="R2",
        provides=("official_descriptor", "chapter", "block"),
        effective_from=date(2026, 10, 1),
        sections=lambda: changed,
    )
    # The codes are unchanged; the block's notes are the release's one difference.
    assert (summary.status, summary.counts["kinds"]["revised"], summary.sections) == (
        "proposed",
        0,
        1,
    )
    events = read_stream("section:icd10cm:S70-S79")
    assert [e.type for e in events] == ["SectionRecorded", "SectionRevised"]
    revised = events[1]
    assert revised.event.changes == {
        "notes": {
            "from": {"excludes2": ["frostbite (T33-T34)"]},
            "to": {"excludes2": ["frostbite (T33-T34)", "snake bite (T63.0-)"]},
        }
    }
    assert (revised.event.release_id, revised.event.effective_from) == (
        summary.release_id,
        "2026-10-01",
    )
    assert revised.meta["release"] == "R2"
    assert len(read_stream("section:icd10cm:19")) == 1  # unchanged: nothing recorded

    catch_up_each("codes", "sections", "codesets")

    def block_notes(day):
        notes = applicable_notes(system="icd10cm", code="S72", as_of=day)
        return [n["text"] for n in notes if n["level"] == "block"]

    assert block_notes(date(2026, 9, 30)) == ["frostbite (T33-T34)"]
    assert block_notes(date(2026, 10, 1)) == ["frostbite (T33-T34)", "snake bite (T63.0-)"]

    again = propose_release(
        lambda: iter(CODES),
        system="icd10cm",
        source="test-source-2",
        release="R2",
        provides=("official_descriptor",),
        sections=lambda: changed,
    )
    assert again.status == "already_proposed"
    assert len(read_stream("section:icd10cm:S70-S79")) == 2


@pytest.mark.slow  # reads the whole April 2026 tabular (seconds)
@pytest.mark.django_db(transaction=True)  # the command commits, projects and closes its connection
def test_the_real_import_of_s72_gives_s72001a_every_note_that_applies():
    out = io.StringIO()
    call_command("codes_import", "icd10cm-2026", "--only", "S72.0,S72", stdout=out)
    assert set(Event.objects.filter(stream__startswith="section:").values_list("stream")) == {
        ("section:icd10cm:19",),
        ("section:icd10cm:S70-S79",),
    }
    notes = applicable_notes(system="icd10cm", code="S72.001A")
    where = {(n["kind"], n["from"], n["level"]) for n in notes}
    assert ("seventh_character", "S72", "code") in where
    assert ("excludes1", "S72", "code") in where
    assert ("excludes2", "S72", "code") in where
    assert ("excludes2", "S70-S79", "block") in where
    assert ("excludes2", "Chapter 19", "chapter") in where
    rule = next(n for n in notes if n["kind"] == "seventh_character")
    assert rule["text"] == (
        "The appropriate 7th character is to be added to all codes from category S72"
    )
    assert "frostbite (T33-T34)" in [n["text"] for n in notes if n["level"] == "block"]

    again = io.StringIO()
    call_command("codes_import", "icd10cm-2026", "--only", "S72.0,S72", stdout=again)
    assert Event.objects.filter(stream__startswith="section:").count() == 2


def test_a_section_with_bad_notes_refuses_the_whole_import():
    from codesets.importing import ImportRefused

    bad = SourceSection("icd10cm", "S70-S79", "block", BLOCK, {"excludes3": ["x"]}, "19")
    with pytest.raises(ImportRefused, match="section S70-S79: unknown note kind"):
        first_import([SECTIONS[0], bad])
    assert Event.objects.count() == 0
