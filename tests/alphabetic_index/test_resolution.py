"""The index as a coder reads it: paths, references followed to their codes, codes checked
against the tabular list, and what a later release changes (pure: no database)."""

from alphabetic_index.readers import SourceEntry, read_csv
from alphabetic_index.resolution import (
    build_entries,
    change_counts,
    check_codes,
    compare,
    index_counts,
)
from alphabetic_index.tabular import code_checker

from .conftest import SAMPLE_CSV, TABULAR


def sample() -> dict[str, dict]:
    """The FY2025 sample by path, its codes checked against the test tabular list."""
    entries = build_entries(read_csv(SAMPLE_CSV))
    check_codes(entries, code_checker("icd10cm", dict(TABULAR)))
    return {entry["path"]: entry for entry in entries}


def entries_of(*rows) -> list[dict]:
    """Entries from (letter, level, title, see, see_also, modifiers, code) rows."""
    names = ("letter", "level", "title", "see", "see_also", "modifiers", "code")
    return build_entries(SourceEntry(**dict(zip(names, row, strict=False))) for row in rows)


def test_each_entry_has_its_full_path_parent_and_number_of_subterms():
    entries = sample()
    food = entries["Pneumonia, aspiration, due to, food"]
    assert (food["level"], food["modifiers"], food["code"]) == (3, "(regurgitated)", "J69.0")
    due_to = entries["Pneumonia, aspiration, due to"]
    assert food["parent"] == due_to["n"] and due_to["subterms"] == 2
    assert entries["Pneumonia"]["parent"] is None
    # An official entry that is only a modifier is named by it.
    assert entries["Disorder, pain, persistent, (somatoform)"]["code"] == "F45.41"


def test_a_main_term_leads_to_its_default_code():
    entries = sample()
    assert entries["Pneumonia"]["resolved_code"] == "J18.9"
    assert entries["Diabetes, diabetic"]["resolved_code"] == "E11.9"
    assert entries["Asthma, asthmatic"]["resolved_code"] == "J45.909"


def test_a_see_reference_leads_to_the_code_of_the_term_it_names():
    entries = sample()
    bedwetting, enuresis = entries["Bedwetting"], entries["Enuresis"]
    assert bedwetting["see_target"] == enuresis["n"]
    assert (bedwetting["resolved_code"], bedwetting["resolved_via"]) == ("R32", "see")
    # "Diabetes" names "Diabetes, diabetic" by its first form.
    assert entries["Mellitus, diabetes"]["resolved_code"] == "E11.9"
    # A subterm: "Disorder, bipolar".
    assert entries["Manic-depressive insanity, psychosis, or syndrome"]["resolved_code"] == "F31.9"


def test_a_chain_of_see_references_is_followed_to_its_code():
    entries = sample()
    chest = entries["Aneurysm, chest"]  # see Aneurysm, thorax -> see Aneurysm, aorta, thorax
    assert chest["see_target"] == entries["Aneurysm, thorax, thoracic"]["n"]
    assert (chest["resolved_code"], chest["resolved_via"]) == ("I71.20", "see")


def test_a_later_form_of_a_title_does_not_capture_a_reference():
    # "see Psychosis" names "Psychosis, psychotic", not "Manic-depressive insanity, psychosis".
    entries = sample()
    alienation = entries["Alienation, mental"]
    assert alienation["see_target"] == entries["Psychosis, psychotic"]["n"]
    assert alienation["resolved_code"] == "F29"


def test_a_reference_to_a_table_stays_unresolved_and_is_counted():
    entries = sample()
    overdose = entries["Poisoning, overdose"]
    assert (overdose["see_target"], overdose["resolved_code"]) == (None, "")
    poisoning = entries["Poisoning"]  # see also Table of Drugs and Chemicals
    assert (poisoning["see_also_target"], poisoning["resolved_code"]) == (None, "")


def test_by_site_names_the_term_to_choose_under_but_leads_to_no_code():
    entries = entries_of(
        ("I", 0, "Injury", "", "", "", "T14.90"),
        ("I", 1, "abdomen", "", "", "", "S39.91"),
        ("A", 0, "Avulsion", "Injury, by site"),
    )
    assert entries[2]["see_target"] == 1
    assert entries[2]["resolved_code"] == ""


def test_a_reference_two_terms_match_equally_is_ambiguous_and_names_neither():
    entries = entries_of(
        ("F", 0, "Fracture, pathological"),
        ("F", 1, "fibula", "", "", "", "M84.46-"),
        ("F", 0, "Fracture, traumatic"),
        ("F", 1, "fibula", "", "", "", "S82.40-"),
        ("F", 0, "Fibula fracture", "Fracture, fibula"),
    )
    assert (entries[4]["see_target"], entries[4]["resolved_code"]) == (None, "")


def test_see_also_gives_the_code_only_to_an_entry_without_one():
    entries = entries_of(
        ("M", 0, "Malposition, congenital", "", "", "", "Q89.8"),
        ("A", 0, "Aberrant", "", "Malposition, congenital", "(congenital)", ""),
        ("A", 0, "Abnormal", "", "Malposition, congenital", "", "R68.89"),
    )
    assert (entries[1]["resolved_code"], entries[1]["resolved_via"]) == ("Q89.8", "see_also")
    assert (entries[2]["resolved_code"], entries[2]["resolved_via"]) == ("R68.89", "code")


def test_a_category_reference_leads_to_the_category_to_complete():
    entries = entries_of(
        ("A", 0, "Arthritis"),
        ("A", 1, "in leprosy", "category M01"),
        ("A", 1, "in amyloidosis", "", "subcategory M14.8-"),
    )
    assert entries[1]["resolved_code"] == "M01-"
    assert entries[2]["resolved_code"] == "M14.8-"


def test_a_cycle_of_references_ends_without_a_code():
    entries = entries_of(("A", 0, "Alpha", "Beta"), ("B", 0, "Beta", "Alpha"))
    assert [entry["resolved_code"] for entry in entries] == ["", ""]


def test_codes_are_checked_against_the_tabular_list_in_force():
    entries = sample()

    def status(path):
        entry = entries[path]
        return entry["code_status"], entry["attached_code"]

    assert status("Bedwetting") == ("billable", "R32")
    assert status("Legg") == ("incomplete", "M91.1")  # M91.1-: more characters
    assert status("Abrasion, abdomen, abdominal") == ("incomplete", "S30.811")  # 7th character
    assert status("Acardia, acardius") == ("header", "")  # Q89.8 was subdivided: reported
    assert status("Cough, smokers'") == ("stale", "")  # J41.0 is not in the tabular list
    assert status("Pneumonia, aspiration, due to") == ("", "")


def test_the_counts_say_what_was_imported_and_what_is_reported():
    counts = index_counts(list(sample().values()))
    assert counts == {
        "entries": 33,
        "main_terms": 17,
        "with_code": 21,
        "see_only": 7,
        "see_resolved": 6,
        "see_to_term_without_code": 0,
        "see_unresolved": 1,
        "see_also": 2,
        "leads_to_code": 27,
        "via_code": 21,
        "via_see": 6,
        "via_see_also": 0,
        "billable_code": 22,
        "incomplete_code": 3,
        "header_code": 1,
        "stale_code": 1,
        "seventh_character_code": 2,
    }


def test_a_later_release_is_compared_entry_by_path():
    old = entries_of(
        ("A", 0, "Acardia", "", "", "", "Q89.8"),
        ("C", 0, "Charley-horse", "", "", "(quadriceps)", "M62.831"),
        ("P", 0, "Pneumonia", "", "", "", "J18.9"),
    )
    new = entries_of(
        ("A", 0, "Acardia", "", "", "", "Q89.89"),
        ("P", 0, "Pneumonia", "", "", "", "J18.9"),
        ("P", 1, "aspiration", "", "", "", "J69.0"),
    )
    changes = compare(old, new)
    assert changes == [
        {
            "path": "Acardia",
            "kind": "changed",
            "changes": {"code": {"from": "Q89.8", "to": "Q89.89"}},
        },
        {"path": "Pneumonia, aspiration", "kind": "added", "changes": {"code": "J69.0"}},
        {
            "path": "Charley-horse",
            "kind": "removed",
            "changes": {"modifiers": "(quadriceps)", "code": "M62.831"},
        },
    ]
    assert change_counts(changes) == {"added": 1, "removed": 1, "changed": 1, "codes_changed": 1}
    assert compare(old, old) == []
