"""Reading a FHIR CodeSystem resource into import rows (codesets.readers.fhir_json): pure, no
database. The system is a fixture of our own invention, not anyone's code set."""

from datetime import date

import pytest

from codesets.readers.fhir_json import (
    DESIGNATION_USE,
    ConceptRow,
    MalformedCodeSystem,
    read_concepts,
    read_header,
)


def resource(*concepts) -> dict:
    return {
        "resourceType": "CodeSystem",
        "url": "https://example.org/fhir/CodeSystem/widgets",
        "name": "Widgets",
        "version": "2026",
        "publisher": "Test fixture",
        "content": "complete",
        "concept": list(concepts),
    }


WIDGETS = resource(
    {
        "code": "W1",
        "display": "Widgets",
        "property": [{"code": "notSelectable", "valueBoolean": True}],
        "concept": [
            {
                "code": "W1.1",
                "display": "Blue widget, fitted",
                "designation": [
                    {
                        "use": {"system": DESIGNATION_USE, "code": "short-descriptor"},
                        "value": "Blue widget",
                    },
                    {"use": {"system": DESIGNATION_USE, "code": "lay-term"}, "value": "gadget"},
                ],
                "property": [
                    {"code": "in-force-from", "valueDateTime": "2026-01-01"},
                    {"code": "colour", "valueString": "blue"},
                ],
            },
            {
                "code": "W1.2",
                "display": "Red widget",
                "property": [
                    {"code": "status", "valueCode": "retired"},
                    {"code": "retirementDate", "valueDateTime": "2026-06-30T00:00:00Z"},
                ],
            },
        ],
    },
    {"code": "W2", "display": "Sprocket", "property": [{"code": "parent", "valueCode": "W1"}]},
)


def test_the_header_names_the_system():
    header = read_header(WIDGETS)
    assert (header.url, header.name, header.version) == (
        "https://example.org/fhir/CodeSystem/widgets",
        "Widgets",
        "2026",
    )


def test_concepts_come_parents_first_with_their_hierarchy_designations_and_properties():
    rows = list(read_concepts(WIDGETS))
    assert rows == [
        ConceptRow("W1", "Widgets", selectable=False, path="concept[0]"),
        ConceptRow(
            "W1.1",
            "Blue widget, fitted",
            parent="W1",
            short_display="Blue widget",
            effective_from=date(2026, 1, 1),
            lay_terms=("gadget",),
            properties={"colour": ["blue"]},
            path="concept[0].concept[0]",
        ),
        ConceptRow(
            "W1.2",
            "Red widget",
            parent="W1",
            status="retired",
            retired_on=date(2026, 6, 30),
            path="concept[0].concept[1]",
        ),
        ConceptRow("W2", "Sprocket", parent="W1", path="concept[1]"),
    ]


@pytest.mark.parametrize(
    "concepts, message",
    [
        ([{"display": "no code"}], "concept[0].code: missing"),
        (
            [{"code": "A", "display": "A", "concept": [{"code": "B", "display": 7}]}],
            "concept[0].concept[0].display: must be a string",
        ),
        (
            [{"code": "A", "display": "A"}, {"code": "A", "display": "again"}],
            "concept[1].code: A is given twice (first at concept[0])",
        ),
        (
            [{"code": "A", "display": "A", "property": [{"code": "status", "valueCode": "x"}]}],
            "concept[0].property[0].valueCode: unknown status 'x'",
        ),
        (
            [{"code": "A", "display": "A", "property": [{"code": "notSelectable"}]}],
            "concept[0].property[0]: give exactly one value[x]",
        ),
    ],
)
def test_a_malformed_concept_stops_the_reading_with_its_json_path(concepts, message):
    with pytest.raises(MalformedCodeSystem) as refused:
        list(read_concepts(resource(*concepts)))
    assert str(refused.value) == message


def test_a_resource_that_is_not_a_code_system_is_refused():
    with pytest.raises(MalformedCodeSystem, match="resourceType: must be CodeSystem"):
        read_header({"resourceType": "ValueSet"})


def test_a_deep_hierarchy_does_not_exhaust_the_recursion_limit():
    concept = {"code": "D0", "display": "level 0"}
    top = concept
    for n in range(1, 3000):
        child = {"code": f"D{n}", "display": f"level {n}"}
        concept["concept"] = [child]
        concept = child
    rows = list(read_concepts(resource(top)))
    assert len(rows) == 3000
    assert rows[-1].parent == "D2998"
