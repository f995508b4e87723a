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
