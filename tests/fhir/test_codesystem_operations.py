"""CodeSystem $lookup, $validate-code and $subsumes through fhirpy, on a few ICD-10-CM codes
(and one invented CPT-shaped code), as a FHIR consumer calls them."""

from datetime import timedelta

import pytest
from django.utils import timezone
from fhirpy.base.exceptions import AuthorizationError, OperationOutcome, ResourceNotFound

from codesets.actions import code_register
from events.testing import catch_up_each
from tests.fhir.conftest import (
    ASTHMA_NEW,
    ASTHMA_OLD,
    CPT,
    CPT_TEXT,
    ICD10CM,
    approve,
    designations,
    parameter,
    properties,
    refused,
)

pytestmark = pytest.mark.django_db(transaction=True)  # a live server reads committed rows

LOOKUP = "CodeSystem/$lookup"
VALIDATE = "CodeSystem/$validate-code"


def test_lookup_reads_the_display_in_force_before_and_after_a_change_approved_today(
    fhir_client, codes, people
):
    approve(people, "J45.909", {"official_descriptor": ASTHMA_NEW})
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    asked = {"system": ICD10CM, "code": "J45.909"}

    before = fhir_client.execute(LOOKUP, "get", params={**asked, "date": yesterday.isoformat()})
    after = fhir_client.execute(LOOKUP, "get", params={**asked, "date": today.isoformat()})
    current = fhir_client.execute(LOOKUP, "get", params=asked)

    assert parameter(before, "display") == ASTHMA_OLD
    assert parameter(after, "display") == ASTHMA_NEW
    assert parameter(current, "display") == ASTHMA_NEW
    assert ("content-from", today.isoformat()) in properties(after)
    assert ("content-from", "2025-10-01") in properties(before)


def test_lookup_gives_hierarchy_status_designations_and_inherited_notes(
    fhir_client, codes, people_with_cpt
):
    # An API key reads the metered sections (lay terms, notes), as in the REST API.
    client = fhir_client.with_key(people_with_cpt["other"])
    body = client.execute(LOOKUP, "get", params={"system": ICD10CM, "code": "j45909"})

    assert parameter(body, "name") == "ICD-10-CM"
    assert parameter(body, "display") == ASTHMA_OLD
    assert designations(body) == [
        ("short-descriptor", "Unsp asthma, uncomplicated"),
        ("lay-term", "asthma attack"),
    ]
    assert properties(body) == [
        ("parent", "J45.90"),
        ("notSelectable", False),
        ("status", "active"),
        ("inactive", False),
        ("in-force-from", "2025-10-01"),
        ("content-from", "2025-10-01"),
        ("excludes1", "wheezing NOS (R06.2)"),
    ]


def test_lookup_without_an_api_key_withholds_the_metered_lay_terms_and_notes(fhir_client, codes):
    body = fhir_client.execute(LOOKUP, "get", params={"system": ICD10CM, "code": "J45.909"})
    assert designations(body) == [("short-descriptor", "Unsp asthma, uncomplicated")]
    assert "excludes1" not in dict(properties(body))


def test_lookup_of_a_header_lists_its_children_and_is_not_selectable(fhir_client, codes):
    body = fhir_client.execute(
        LOOKUP,
        "post",
        data={
            "resourceType": "Parameters",
            "parameter": [
                {"name": "system", "valueUri": ICD10CM},
                {"name": "code", "valueCode": "E11"},
                {"name": "property", "valueCode": "child"},
                {"name": "property", "valueCode": "notSelectable"},
            ],
        },
    )
    assert properties(body) == [("child", "E11.8"), ("child", "E11.9"), ("notSelectable", True)]


def test_lookup_of_an_unknown_code_is_a_404_operation_outcome(fhir_client, exchange, codes):
    error = refused(
        lambda: fhir_client.execute(LOOKUP, "get", params={"system": ICD10CM, "code": "J45.999"})
    )
    assert isinstance(error, ResourceNotFound)
    assert exchange.status == 404
    assert exchange.body["issue"][0]["code"] == "not-found"
    assert exchange.body["issue"][0]["diagnostics"] == "no code J45.999 in ICD-10-CM"


def test_lookup_in_an_unknown_code_system_is_a_404(fhir_client, exchange, codes):
    refused(
        lambda: fhir_client.execute(
            LOOKUP, "get", params={"system": "http://snomed.info/sct", "code": "22298006"}
        )
    )
    assert exchange.status == 404


def test_a_licensed_system_without_the_licence_answers_not_found_for_every_code(
    fhir_client, exchange, codes, people_with_cpt
):
    client = fhir_client.with_key(people_with_cpt["other"])
    for code in ("99990", "99991"):  # registered, and not: the same answer
        error = refused(
            lambda c=code: client.execute(LOOKUP, "get", params={"system": CPT, "code": c})
        )
        assert isinstance(error, ResourceNotFound)
        assert exchange.status == 404
    assert exchange.bodies[-1] == exchange.bodies[-2]
    assert CPT_TEXT not in str(exchange.bodies)


def test_a_licensed_system_with_the_licence_answers_the_full_concept(
    fhir_client, codes, people_with_cpt
):
    client = fhir_client.with_key(people_with_cpt["holder"])
    body = client.execute(LOOKUP, "get", params={"system": CPT, "code": "99990"})
    assert parameter(body, "display") == CPT_TEXT
    assert ("notSelectable", False) in properties(body)


def test_a_bad_api_key_is_a_401_operation_outcome(fhir_client, exchange, codes):
    client = fhir_client.with_key("not.a-key")
    error = refused(
        lambda: client.execute(LOOKUP, "get", params={"system": ICD10CM, "code": "E11.9"})
    )
    assert isinstance(error, AuthorizationError)
    assert exchange.status == 401
    assert exchange.body["issue"][0]["code"] == "login"


@pytest.mark.parametrize(
    "params, named",
    [
        ({"system": ICD10CM, "code": "E11.9", "date": "last tuesday"}, "date"),
        ({"system": ICD10CM, "code": "E11.9", "dispaly": "x"}, "dispaly"),
        ({"system": ICD10CM}, "code"),
    ],
)
def test_bad_parameters_are_a_400_operation_outcome_naming_them(
    fhir_client, exchange, codes, params, named
):
    error = refused(lambda: fhir_client.execute(LOOKUP, "get", params=params))
    assert isinstance(error, OperationOutcome)
    assert exchange.status == 400
    assert exchange.body["issue"][0]["code"] == "invalid"
    assert exchange.body["issue"][0]["expression"] == [named]


def test_a_body_that_is_not_a_parameters_resource_is_a_400(fhir_client, exchange, codes):
    refused(lambda: fhir_client.execute(LOOKUP, "post", data={"resourceType": "Patient"}))
    assert exchange.status == 400


def validate(client, **params) -> dict:
    return client.execute(VALIDATE, "get", params={"url": ICD10CM, **params})


def test_validate_code_accepts_a_billable_code_in_force(fhir_client, codes):
    body = validate(
        fhir_client, code="E11.9", display="type 2 diabetes mellitus without complications"
    )
    assert parameter(body, "result") is True
    assert parameter(body, "display") == "Type 2 diabetes mellitus without complications"


def test_validate_code_of_a_header_says_not_selectable(fhir_client, codes):
    body = validate(fhir_client, code="E11")
    assert parameter(body, "result") is False
    assert parameter(body, "message") == (
        "E11 is a header, not selectable: code one of the codes below it"
    )


def test_validate_code_of_a_retired_code_on_a_later_date_says_not_in_force(
    fhir_client, codes, people
):
    in_a_month = timezone.localdate() + timedelta(days=30)
    approve(people, "E11.8", {"status": "retired"}, effective_from=in_a_month)

    today = validate(fhir_client, code="E11.8")
    later = validate(fhir_client, code="E11.8", date=in_a_month.isoformat())

    assert parameter(today, "result") is True
    assert parameter(later, "result") is False
    assert parameter(later, "message") == (
        f"E11.8 is retired: not in force on {in_a_month.isoformat()}"
    )


def test_validate_code_before_a_code_came_into_force_says_not_in_force(fhir_client, codes):
    body = validate(fhir_client, code="E11.9", date="2025-09-30")
    assert parameter(body, "result") is False
    assert parameter(body, "message") == "E11.9 is not in force on 2025-09-30"


def test_validate_code_of_an_unknown_code_says_unknown(fhir_client, codes):
    body = validate(fhir_client, code="E11.99")
    assert parameter(body, "result") is False
    assert parameter(body, "message") == "unknown code E11.99 in ICD-10-CM"


def test_validate_code_with_a_display_that_does_not_match_says_so(fhir_client, codes):
    body = validate(fhir_client, code="E11.9", display="Type 1 diabetes mellitus")
    assert parameter(body, "result") is False
    assert parameter(body, "message") == (
        "the display 'Type 1 diabetes mellitus' does not match E11.9: "
        "'Type 2 diabetes mellitus without complications'"
    )


@pytest.mark.parametrize(
    "a, b, outcome",
    [
        ("E11", "E11.9", "subsumes"),
        ("E11.9", "E11", "subsumed-by"),
        ("E11.9", "e119", "equivalent"),
        ("E11.9", "J45.909", "not-subsumed"),
        ("J45", "J45.909", "subsumes"),
    ],
)
def test_subsumes_follows_the_hierarchy(fhir_client, codes, a, b, outcome):
    body = fhir_client.execute(
        "CodeSystem/$subsumes", "get", params={"system": ICD10CM, "codeA": a, "codeB": b}
    )
    assert parameter(body, "outcome") == outcome


def test_lookup_on_a_date_reads_the_children_as_that_day_had_them(fhir_client, codes, people):
    today = timezone.localdate()
    # Today: E11.8 retired, E11.A added under E11, and I21.4 moved under it.
    approve(people, "E11.8", {"status": "retired"})
    approve(people, "I21.4", {"parent": "E11"})
    code_register(
        system="icd10cm",
        code="E11.A",
        content={
            "chapter": "Test chapter",
            "official_descriptor": "Type 2 diabetes mellitus without complications in remission",
            "parent": "E11",
            "billable": True,
        },
        effective_from=today,
        source="test",
        release="FY2026",
    )
    catch_up_each("codes", "review", "codesets")

    def children_on(day):
        params = {"system": ICD10CM, "code": "E11", "property": "child"}
        if day is not None:
            params["date"] = day.isoformat()
        body = fhir_client.execute(LOOKUP, "get", params=params)
        return [value for _name, value in properties(body)]

    assert children_on(today - timedelta(days=1)) == ["E11.8", "E11.9"]
    assert children_on(today) == ["E11.9", "E11.A", "I21.4"]
    assert children_on(None) == ["E11.9", "E11.A", "I21.4"]


def test_lookup_on_a_date_reads_the_parent_as_that_day_had_it(fhir_client, codes, people):
    approve(people, "I21.4", {"parent": "E11"})
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    asked = {"system": ICD10CM, "code": "I21.4", "property": "parent"}
    before = fhir_client.execute(LOOKUP, "get", params={**asked, "date": yesterday})
    after = fhir_client.execute(LOOKUP, "get", params=asked)
    assert properties(before) == []
    assert properties(after) == [("parent", "E11")]
