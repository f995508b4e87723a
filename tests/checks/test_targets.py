"""What a note names covers: codes, families, ranges and qualified ranges, as the tabular
writes them (texts copied from the April 2026 tabular). Pure: no database."""

import pytest

from checks.targets import covering, note_targets


def covers(text: str, code: str) -> bool:
    return covering(note_targets("icd10cm", text), code.replace(".", "")) is not None


@pytest.mark.parametrize(
    ("text", "code", "expected"),
    [
        # A family covers the category and everything below it.
        ("type 1 diabetes mellitus (E10.-)", "E10.9", True),
        ("type 1 diabetes mellitus (E10.-)", "E10", True),
        ("type 1 diabetes mellitus (E10.-)", "E11.9", False),
        ("gestational diabetes (O24.4-)", "O24.410", True),
        ("gestational diabetes (O24.4-)", "O24.319", False),
        # A single code covers itself and the codes below it.
        ("low back strain (S39.012)", "S39.012A", True),
        ("low back strain (S39.012)", "S39.011A", False),
        # Ranges, by their ends' own lengths; letters after digits (O9A).
        ("lung diseases due to external agents (J60-J70)", "J70.5", True),
        ("lung diseases due to external agents (J60-J70)", "J71", False),
        ("lung diseases due to external agents (J60-J70)", "J45.909", False),
        ("complications of pregnancy (O00-O9A)", "O9A.119", True),
        ("hypertensive disease complicating pregnancy (O10-O11, O13-O16)", "O12.00", False),
        ("hypertensive disease complicating pregnancy (O10-O11, O13-O16)", "O16.1", True),
        # Qualified ranges cover only the codes with those characters.
        ("diabetes mellitus (E08-E13 with .42)", "E11.42", True),
        ("diabetes mellitus (E08-E13 with .42)", "E11.40", False),
        ("polyneuropathy (B27.0-B27.9 with fifth character 1)", "B27.01", True),
        ("polyneuropathy (B27.0-B27.9 with fifth character 1)", "B27.09", False),
        ("(T36-T50 with fifth or sixth character 5)", "T38.3X5A", True),
        ("(T36-T50 with fifth or sixth character 5)", "T38.3X1A", False),
        (
            "hallucinations in drug psychosis (F11-F19 with fifth to sixth characters 51)",
            "F12.151",
            True,
        ),
        (
            "hallucinations in drug psychosis (F11-F19 with fifth to sixth characters 51)",
            "F12.150",
            False,
        ),
        (
            "stuttering following cerebrovascular disease (I69. with final characters -23)",
            "I69.323",
            True,
        ),
        (
            "stuttering following cerebrovascular disease (I69. with final characters -23)",
            "I69.320",
            False,
        ),
        ("current concussion (brain) (S06.0X- with seventh character A)", "S06.0X0A", True),
        ("current concussion (brain) (S06.0X- with seventh character A)", "S06.0X0D", False),
        # Glued to the family: still a qualifier, not the whole of S92.
        ("open fracture of ankle, foot and toes (S92.-with 7th character B)", "S92.001B", True),
        ("open fracture of ankle, foot and toes (S92.-with 7th character B)", "S92.001A", False),
        # A qualifier that cannot be read covers nothing (no false Excludes1).
        ("(T36-T50 with fifth or sixth character to indicate intent)", "T38.3X1A", False),
        # Named after "category", outside parentheses.
        (
            "The appropriate 7th character is to be added to each code from category S72",
            "S72.001",
            True,
        ),
    ],
)
def test_what_a_note_covers(text, code, expected):
    assert covers(text, code) is expected
