"""check_codes on a small code set copied from the tabular: one row per finding kind, with the
one answer a coder relies on."""

from datetime import date

import pytest

from checks.engine import check_codes
from tests.checks.codeset import (
    ASTHMA_COPD,
    CKD_LEAD,
    CONTROL_LEAD,
    POLYNEUROPATHY_DIABETES,
    PULMONARY_HYPERTENSION,
    TYPE_2_NOTE,
    register_codeset,
)
from tests.codes.fractures import SEVENTH_RULE

DAY = date(2026, 5, 1)
# An instruction's text is its lead line and the lines after it, as one text.
CONTROL = (
    f"{CONTROL_LEAD} injectable non-insulin antidiabetic drugs (Z79.85); insulin (Z79.4); "
    "oral antidiabetic drugs (Z79.84); oral hypoglycemic drugs (Z79.84)"
)
UNDERLYING = (
    "underlying disease, such as: amyloidosis (E85.-); endocrine disease, except diabetes "
    "(E00-E07, E15-E16, E20-E34); metabolic diseases (E70-E88)"
)
CKD_FIRST = (
    f"{CKD_LEAD} diabetic chronic kidney disease (E08.22, E09.22, E10.22, E11.22, E13.22); "
    "hypertensive chronic kidney disease (I12.-, I13.-)"
)


@pytest.fixture
def codeset(db):
    return register_codeset()


def summary(result):
    """(kind, codes, note text or field, satisfied) of each finding."""
    return [
        (
            f.kind,
            f.codes,
            (f.source or {}).get("text", (f.source or {}).get("field")),
            f.satisfied,
        )
        for f in result.findings
    ]


CASES = [
    # kind, codes listed, the findings, valid
    (
        "clean",
        ["E11.9", "Z79.4"],
        [
            (
                "use_additional",
                ("E11.9", "Z79.4"),
                CONTROL,
                True,
            ),
        ],
        True,
    ),
    ("unknown", ["E11.99"], [("unknown", ("E11.99",), None, None)], False),
    (
        "not_in_force: not yet",
        ["E11.A"],
        [
            ("not_in_force", ("E11.A",), "effective_from", None),
        ],
        False,
    ),
    ("not_in_force: retired", ["E11.8"], [("not_in_force", ("E11.8",), "status", None)], False),
    ("header", ["E11.4"], [("header", ("E11.4",), "billable", None)], False),
    (
        "seventh_character",
        ["S72.001"],
        [
            ("seventh_character", ("S72.001",), SEVENTH_RULE, None),
        ],
        False,
    ),
    (
        "excludes1 both ways, the first code's note",
        ["E10.9", "E11.9"],
        [
            ("excludes1", ("E10.9", "E11.9"), TYPE_2_NOTE, None),
            (
                "use_additional",
                ("E11.9",),
                CONTROL,
                False,
            ),
        ],
        False,
    ),
    (
        "excludes1 with a qualified range",
        ["E11.42", "G63"],
        [
            ("excludes1", ("E11.42", "G63"), POLYNEUROPATHY_DIABETES, None),
            (
                "code_first",
                ("G63",),
                UNDERLYING,
                False,
            ),
            (
                "use_additional",
                ("E11.42",),
                CONTROL,
                False,
            ),
        ],
        False,
    ),
    (
        "excludes2",
        ["J45.909", "J44.89"],
        [
            ("excludes2", ("J45.909", "J44.89"), ASTHMA_COPD, None),
        ],
        True,
    ),
    (
        "code_first satisfied",
        ["E85.4", "G63"],
        [
            (
                "code_first",
                ("G63", "E85.4"),
                UNDERLYING,
                True,
            ),
        ],
        True,
    ),
    (
        "code_first listed after",
        ["N18.30", "E11.22"],
        [
            (
                "code_first",
                ("N18.30", "E11.22"),
                CKD_FIRST,
                False,
            ),
            (
                "use_additional",
                ("E11.22",),
                CONTROL,
                False,
            ),
        ],
        True,
    ),
]


@pytest.mark.parametrize(("name", "codes", "expected", "valid"), CASES, ids=[c[0] for c in CASES])
def test_each_finding_kind(codeset, name, codes, expected, valid):
    result = check_codes("icd10cm", codes, DAY)
    assert summary(result) == expected
    assert result.valid is valid


def test_notes_of_the_block_and_the_chapter_apply(codeset):
    result = check_codes("icd10cm", ["I10", "I27.0", "E11.9"], DAY)
    assert [(f.kind, f.codes, f.source["from"], f.source["level"]) for f in result.findings] == [
        ("excludes1", ("I10", "I27.0"), "I10-I1A", "block"),
        ("excludes2", ("I10", "E11.9"), "Chapter 9", "chapter"),
        ("excludes2", ("I27.0", "E11.9"), "Chapter 9", "chapter"),
        ("use_additional", ("E11.9",), "E11", "code"),
    ]
    assert result.findings[0].source["text"] == PULMONARY_HYPERTENSION
    assert result.valid is False


def test_a_header_lists_the_billable_codes_below_it(codeset):
    (finding,) = check_codes("icd10cm", ["E11.4"], DAY).findings
    assert finding.suggestions == ("E11.40", "E11.42")
    assert finding.message == (
        "E11.4 is a header, not billable; report a code below it: E11.40, E11.42."
    )


def test_a_missing_seventh_character_lists_each_character_and_its_meaning(codeset):
    (finding,) = check_codes("icd10cm", ["S72.001"], DAY).findings
    assert finding.suggestions == ("S72.001A",)
    assert finding.message == (
        "S72.001 needs a 7th character (rule from S72): "
        "S72.001A (initial encounter for closed fracture)."
    )


def test_withheld_notes_are_not_quoted(codeset):
    result = check_codes("icd10cm", ["E10.9", "E11.9"], DAY, withheld=frozenset({"notes"}))
    excludes1 = result.findings[0]
    assert excludes1.source == {
        "kind": "excludes1",
        "from": "E10",
        "level": "code",
        "code": "E10.9",
    }
    assert TYPE_2_NOTE not in excludes1.message
    assert all("text" not in f.source for f in result.findings)


def test_a_code_listed_twice_is_checked_once(codeset):
    assert check_codes("icd10cm", ["E10.9", "e10.9", "E11.9"], DAY).findings == (
        check_codes("icd10cm", ["E10.9", "E11.9"], DAY).findings
    )


def test_codes_not_in_force_are_left_out_of_the_notes(codeset):
    result = check_codes("icd10cm", ["E11.9", "E11.A"], DAY)  # E11.A: from 2026-10-01
    assert [(f.kind, f.codes) for f in result.findings] == [
        ("not_in_force", ("E11.A",)),
        ("use_additional", ("E11.9",)),
    ]
    later = check_codes("icd10cm", ["E11.9", "E11.A"], date(2026, 10, 1))
    assert ("excludes1", ("E11.9", "E11.A")) in [(f.kind, f.codes) for f in later.findings]


def test_an_unknown_code_is_said_to_be_missing_from_codeledger(codeset):
    [finding] = check_codes("icd10cm", ["E11.99"], DAY).findings
    assert finding.message == "E11.99 is not an ICD-10-CM code in CodeLedger."


def test_a_code_of_a_system_codeledger_does_not_hold_is_not_called_unknown_to_the_system(codeset):
    # 99213 is a CPT code; CodeLedger merely holds no CPT codes here.
    result = check_codes("cpt", ["99213"], DAY)
    assert [(f.kind, f.message) for f in result.findings] == [
        ("unknown", "CodeLedger holds no CPT codes, so 99213 cannot be checked.")
    ]
    assert result.valid is False
