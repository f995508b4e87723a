"""Explanations of real ICD-10-CM codes (the April 2026 tabular as `codesets.sources` reads it,
no database): on a sample across all 22 chapters, fixed by a seed, every sentence names its
sources and every source exists in the content: the note it quotes is written where it says,
the sibling and child codes exist, the glossary term is approved and appears in the text."""

import random
from collections import defaultdict

import pytest

from codes.sections import SectionState
from codesets.sources import read_sections, read_source
from knowledge.bulk import Contents
from knowledge.explanation import compose
from knowledge.management.commands.glossary_import import SEED_FILE, read_seed

SEED, PER_CHAPTER = 22, 30


@pytest.fixture(scope="module")
def tabular() -> Contents:
    contents = {code.code: code.content for code in read_source("icd10cm-2026")}
    sections = {
        s.section: SectionState(
            s.system, s.section, s.level, s.title, s.notes, s.chapter, version=1
        )
        for s in read_sections("icd10cm-2026")
    }
    glossary = {row.term: row.plain for row in read_seed(SEED_FILE)}
    return Contents("icd10cm", contents, sections=sections, glossary=glossary)


@pytest.fixture(scope="module")
def sample(tabular) -> list[str]:
    by_chapter = defaultdict(list)
    for code, content in sorted(tabular.contents.items()):
        by_chapter[content["chapter"]].append(code)
    assert len(by_chapter) == 22
    rng = random.Random(SEED)
    return [
        code
        for codes in by_chapter.values()
        for code in rng.sample(codes, min(PER_CHAPTER, len(codes)))
    ]


def notes_written(tabular: Contents, kind: str, where: str) -> list[str]:
    """The notes of `kind` written on a code, a block ("S70-S79") or a chapter ("Chapter 19")."""
    if where in tabular.contents:
        return tabular.contents[where]["notes"].get(kind, [])
    section = tabular.sections[where.removeprefix("Chapter ")]
    return section.notes.get(kind, [])


def quoted(note: str, text: str) -> bool:
    """Whether a sentence quotes a note: as written, or a 7th-character rule as "A, meaning"
    (the list of characters) or "ends in A: meaning" (the code's own)."""
    if note.startswith("7th character ") and note[15:17] == ": ":
        character, meaning = note[14], note[17:]
        return f"{character}, {meaning}" in text or f"ends in {character}: {meaning}" in text
    return note.rstrip(" .;:") in text


def check(tabular: Contents, code: str, sentence: dict) -> None:
    content, text = tabular.contents[code], sentence["text"]
    assert sentence["sources"], f"{code}: a sentence without a source: {text}"
    for source in sentence["sources"]:
        name, _, value = source.partition(":")
        if name in ("official_descriptor", "chapter", "block"):
            assert content[name], f"{code}: {source} is empty"
        elif name == "billable":
            assert content["billable"] is False
        elif name.startswith("notes."):
            written = notes_written(tabular, name.removeprefix("notes."), value)
            assert any(quoted(note, text) for note in written), f"{code}: {source}"
        elif name == "sibling":
            assert value in tabular.contents and value != code and value in text
        elif name == "child":
            assert tabular.contents[value]["parent"] == code and value in text
        elif name == "glossary":
            assert value in tabular.glossary and value in text.lower()
        else:
            raise AssertionError(f"{code}: unknown source {source}")


def test_every_sentence_of_a_sample_across_all_chapters_comes_from_the_content(tabular, sample):
    for code in sample:
        explanation = compose(tabular.facts(code))
        assert explanation["text"].startswith(f"{code} is the ICD-10-CM code for")
        for sentence in explanation["sentences"]:
            check(tabular, code, sentence)


def test_a_code_with_laterality_and_encounter_variants_names_them(tabular):
    text = compose(tabular.facts("S72.001A"))["text"]
    assert "“left” (S72.002A) and “unspecified” (S72.009A); this code is for “right”" in text
    assert "D, subsequent encounter for closed fracture with routine healing (S72.001D)" in text
    assert "“closed fracture” means a broken bone that has not broken through the skin" in text


def test_the_same_content_gives_the_same_text(tabular, sample):
    again = Contents(
        "icd10cm",
        dict(reversed(tabular.contents.items())),
        sections=tabular.sections,
        glossary=tabular.glossary,
    )
    for code in sample[::10]:
        assert compose(again.facts(code)) == compose(tabular.facts(code))
