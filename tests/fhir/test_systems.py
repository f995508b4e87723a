"""How a code system is named in FHIR (fhir.systems.as_fhir): by its own `url`, `publisher` and
`case_sensitive` when it has them (every system in codes.systems does now), by the packaged
table when it does not, by a CodeLedger URN when neither names it. No database."""

from types import SimpleNamespace

from codes.systems import Attribution

OFFICIAL = Attribution("Invented fixture source", "Terms of its owner")


def as_fhir(**attributes):
    from fhir.systems import as_fhir  # imported late: the module reads the models

    return as_fhir(SimpleNamespace(official=OFFICIAL, **attributes))


def test_a_system_that_names_its_url_publisher_and_case_is_served_by_them():
    found = as_fhir(
        name="wound_care",
        url="https://example.org/fhir/CodeSystem/wound-care",
        publisher="Example Clinic",
        case_sensitive=True,
    )
    assert (found.id, found.url, found.publisher, found.case_sensitive) == (
        "wound-care",
        "https://example.org/fhir/CodeSystem/wound-care",
        "Example Clinic",
        True,
    )


def test_a_packaged_system_without_a_url_of_its_own_falls_back_to_the_table():
    found = as_fhir(name="icd10cm")
    assert (found.id, found.url, found.publisher, found.case_sensitive) == (
        "icd-10-cm",
        "http://hl7.org/fhir/sid/icd-10-cm",
        "Centers for Medicare & Medicaid Services (CMS) and NCHS",
        False,
    )


def test_a_system_named_nowhere_gets_a_codeledger_urn_and_its_source_as_publisher():
    found = as_fhir(name="local", url="", publisher="")
    assert (found.id, found.url, found.publisher, found.case_sensitive) == (
        "local",
        "urn:codeledger:code-system:local",
        "Invented fixture source",
        True,
    )
