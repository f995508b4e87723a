"""Code systems as data (issue #25): the packaged systems' canonical URLs, the definition rules
a file's metadata go through (pure, no database), and `SYSTEMS` answering for a system another
process defined (its read model row)."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from codes.events import CodeSystemDefined, CodeSystemRevised
from codes.models import CodeSystemEntry
from codes.system_definitions import checked_definition, decide_definition
from codes.systems import PACKAGED_SYSTEMS, SYSTEMS, defined_system, get_system

WOUND_CARE = {
    "name": "wound-care",
    "label": "Wound care (fixture)",
    "url": "https://example.org/wound-care",
    "publisher": "Fixture Clinic",
}


def test_every_packaged_system_names_its_canonical_url_and_publisher():
    assert {name: system.url for name, system in PACKAGED_SYSTEMS.items()} == {
        "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
        "icd10pcs": "http://www.cms.gov/Medicare/Coding/ICD10",
        "hcpcs": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
        "cpt": "http://www.ama-assn.org/go/cpt",
        "custom": "urn:codeledger:code-system:custom",
    }
    assert all(system.publisher for system in PACKAGED_SYSTEMS.values())


def test_a_new_system_is_defined_with_the_permissive_default_pattern():
    [event] = decide_definition(None, WOUND_CARE, given=frozenset(), source="csv-file", release="1")
    assert isinstance(event, CodeSystemDefined)
    system = defined_system(checked_definition(WOUND_CARE))
    assert system.display("WC-DRESS.1") == "WC-DRESS.1"
    assert system.display("wc-dress.1") == "wc-dress.1"  # case-sensitive, as FHIR codes are
    with pytest.raises(ValidationError, match="not a valid Wound care"):
        system.display("W" * 21)


def test_the_same_metadata_again_define_nothing_and_other_metadata_revise_what_differs():
    current = checked_definition(WOUND_CARE)
    again = decide_definition(
        current, dict(current), given=frozenset(current), source="csv-file", release="2"
    )
    assert again == []
    proposed = {**current, "publisher": "Fixture Clinic, 2nd ed.", "label": "Not given"}
    [event] = decide_definition(
        current, proposed, given=frozenset({"publisher"}), source="csv-file", release="2"
    )
    assert isinstance(event, CodeSystemRevised)
    assert event.changes == {
        "publisher": {"from": "Fixture Clinic", "to": "Fixture Clinic, 2nd ed."}
    }


@pytest.mark.parametrize(
    "definition, message",
    [
        ({**WOUND_CARE, "name": "cpt"}, "cpt is a packaged system"),
        ({**WOUND_CARE, "name": "Wound Care"}, "system name 'Wound Care'"),
        ({**WOUND_CARE, "name": "wound:care"}, "system name 'wound:care'"),
        ({**WOUND_CARE, "code_pattern": "[A-"}, "code pattern '[A-'"),
        ({**WOUND_CARE, "label": ""}, "the system's label is missing"),
        (
            {**WOUND_CARE, "url": "http://www.ama-assn.org/go/cpt"},
            "http://www.ama-assn.org/go/cpt is cpt's canonical URL: import the file with "
            "--system cpt",
        ),
    ],
)
def test_a_definition_that_cannot_stand_is_refused(definition, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        checked_definition(definition)


def test_without_a_database_systems_holds_the_packaged_ones():
    """The fast tier, argparse and forms built while modules load: no database to read."""
    SYSTEMS.forget()
    assert list(SYSTEMS) == list(PACKAGED_SYSTEMS)
    assert "wound-care" not in SYSTEMS
    with pytest.raises(ValidationError, match="unknown code system 'wound-care'"):
        get_system("wound-care")


@pytest.mark.django_db
def test_systems_answers_for_a_system_defined_in_the_read_model_without_waiting():
    SYSTEMS.forget()
    assert list(SYSTEMS) == list(PACKAGED_SYSTEMS)  # read once: no file-defined system yet
    now = timezone.now()
    CodeSystemEntry.objects.create(  # as another process's import would leave it
        **checked_definition({**WOUND_CARE, "licensed": True}),
        stream_version=1,
        defined_at=now,
        revised_at=now,
        position=1,
    )
    try:
        system = get_system("wound-care")  # a name it does not know is read at once
        assert (system.label, system.licensed, system.packaged) == (
            "Wound care (fixture)",
            True,
            False,
        )
        assert list(SYSTEMS) == [*PACKAGED_SYSTEMS, "wound-care"]
        assert "unknown-one" not in SYSTEMS
    finally:
        SYSTEMS.forget()
