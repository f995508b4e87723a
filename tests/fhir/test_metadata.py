"""What the service says about itself: the CapabilityStatement, TerminologyCapabilities and the
CodeSystem resources; and how it refuses what it does not serve."""

import pytest
import requests
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from tests.fhir.conftest import CPT, CPT_TEXT, ICD10CM, refused, validated

pytestmark = pytest.mark.django_db(transaction=True)  # a live server reads committed rows


def test_the_capability_statement_lists_the_terminology_operations(fhir_client):
    body = fhir_client.execute("metadata", "get")
    statement = validated(body)
    assert statement.kind == "instance"
    assert body["fhirVersion"] == "4.0.1"
    operations = {
        resource["type"]: [operation["name"] for operation in resource["operation"]]
        for resource in body["rest"][0]["resource"]
    }
    assert operations == {
        "CodeSystem": ["lookup", "validate-code", "subsumes"],
        "ValueSet": ["expand", "validate-code"],
    }


def test_terminology_capabilities_list_the_code_systems_and_their_releases(fhir_client, codes):
    body = fhir_client.execute("metadata", "get", params={"mode": "terminology"})
    assert body["resourceType"] == "TerminologyCapabilities"
    systems = {entry["uri"]: entry.get("version") for entry in body["codeSystem"]}
    assert systems[ICD10CM] == [{"code": "FY2026"}]
    # Every system codes.systems defines; one without a canonical URL of its own gets a URN.
    assert set(systems) == {
        ICD10CM,
        "http://www.cms.gov/Medicare/Coding/ICD10",
        "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
        CPT,
        "urn:codeledger:code-system:custom",
    }


def test_a_small_code_system_is_read_with_every_concept_flat_with_parent_properties(
    fhir_client, codes
):
    body = fhir_client.execute("CodeSystem/icd-10-cm", "get")
    assert body["url"] == ICD10CM
    assert body["version"] == "FY2026"
    assert body["content"] == "complete"
    assert body["count"] == 8
    assert [c["code"] for c in body["concept"]] == [
        "E11", "E11.8", "E11.9", "I21.4", "J45", "J45.9", "J45.90", "J45.909"
    ]  # fmt: skip
    asthma = body["concept"][-1]
    assert asthma == {
        "code": "J45.909",
        "display": "Unspecified asthma, uncomplicated",
        "designation": [
            {
                "language": "en",
                "use": {
                    "system": "urn:codeledger:fhir:designation-use",
                    "code": "short-descriptor",
                },
                "value": "Unsp asthma, uncomplicated",
            }
        ],
        "property": [
            {"code": "parent", "valueCode": "J45.90"},
            {"code": "notSelectable", "valueBoolean": False},
            {"code": "status", "valueCode": "active"},
        ],
    }


def test_a_code_system_above_the_threshold_is_read_without_its_concepts(
    fhir_client, codes, monkeypatch
):
    monkeypatch.setattr("fhir.capabilities.COMPLETE_UP_TO", 7)
    body = fhir_client.execute("CodeSystem/icd-10-cm", "get")
    assert body["content"] == "not-present"
    assert body["count"] == 8
    assert "concept" not in body


def test_summary_true_leaves_out_the_concepts_and_marks_the_resource_subsetted(fhir_client, codes):
    body = fhir_client.execute("CodeSystem/icd-10-cm", "get", params={"_summary": "true"})
    assert body["content"] == "complete"
    assert body["count"] == 8
    assert "concept" not in body
    assert "copyright" not in body  # not a summary element
    assert body["meta"]["tag"][0]["code"] == "SUBSETTED"


def test_elements_keeps_the_named_and_mandatory_elements_only(fhir_client, codes):
    body = fhir_client.execute("CodeSystem/icd-10-cm", "get", params={"_elements": "url,count"})
    assert sorted(body) == ["content", "count", "id", "meta", "resourceType", "status", "url"]


@pytest.mark.parametrize(
    "params, named",
    [
        ({"_summary": "maybe"}, "_summary"),
        ({"_elements": "url,colour"}, "_elements"),
        ({"_summary": "true", "_elements": "url"}, "_elements"),
        ({"url": ICD10CM}, "url"),
    ],
)
def test_a_bad_read_parameter_is_a_400_naming_it(fhir_client, exchange, codes, params, named):
    error = refused(lambda: fhir_client.execute("CodeSystem/icd-10-cm", "get", params=params))
    assert isinstance(error, OperationOutcome)
    assert exchange.status == 400
    assert exchange.body["issue"][0]["expression"] == [named]


def test_code_systems_are_searched_by_url_and_version(fhir_client, codes):
    found = fhir_client.execute("CodeSystem", "get", params={"url": ICD10CM})
    assert found["type"] == "searchset"
    assert [e["resource"]["id"] for e in found["entry"]] == ["icd-10-cm"]
    none = fhir_client.execute("CodeSystem", "get", params={"url": ICD10CM, "version": "FY1999"})
    assert none["total"] == 0


def test_a_licensed_code_system_without_the_licence_is_a_404_as_lookup_is(
    fhir_client, exchange, codes, people_with_cpt
):
    client = fhir_client.with_key(people_with_cpt["other"])
    error = refused(lambda: client.execute("CodeSystem/cpt", "get"))
    assert isinstance(error, ResourceNotFound)
    assert exchange.status == 404
    assert exchange.body["issue"][0]["diagnostics"].startswith("CPT content is licensed")
    assert CPT_TEXT not in str(exchange.body)


def test_a_licensed_code_system_with_the_licence_is_read_with_its_concepts(
    fhir_client, codes, people_with_cpt
):
    body = fhir_client.with_key(people_with_cpt["holder"]).execute("CodeSystem/cpt", "get")
    assert body["count"] == 1
    assert [(c["code"], c["display"]) for c in body["concept"]] == [("99990", CPT_TEXT)]


def test_a_search_lists_a_licensed_system_only_to_licence_holders(
    fhir_client, codes, people_with_cpt
):
    found = {}
    for who in ("other", "holder"):
        bundle = fhir_client.with_key(people_with_cpt[who]).execute("CodeSystem", "get")
        found[who] = [entry["resource"]["id"] for entry in bundle["entry"]]
    assert found == {
        "other": ["icd-10-cm", "icd-10-pcs", "hcpcs", "custom"],
        "holder": ["icd-10-cm", "icd-10-pcs", "hcpcs", "cpt", "custom"],
    }


def test_an_unknown_code_system_is_a_404(fhir_client, exchange):
    error = refused(lambda: fhir_client.execute("CodeSystem/snomed", "get"))
    assert isinstance(error, ResourceNotFound)
    assert exchange.status == 404


def test_an_unknown_search_parameter_is_a_400(fhir_client, exchange):
    error = refused(lambda: fhir_client.execute("CodeSystem", "get", params={"name": "x"}))
    assert isinstance(error, OperationOutcome)
    assert exchange.status == 400


def test_a_path_the_service_does_not_have_is_a_404_operation_outcome(fhir_client, exchange):
    refused(lambda: fhir_client.execute("Patient/1", "get"))
    assert exchange.status == 404
    assert exchange.body["resourceType"] == "OperationOutcome"


def test_a_caller_over_the_rate_limit_gets_a_429_with_retry_after(live_server, settings, codes):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "search_anon": "2/min"},
    }
    url = f"{live_server.url}/fhir/CodeSystem/$lookup"
    params = {"system": ICD10CM, "code": "E11.9"}
    statuses = [requests.get(url, params=params, timeout=10).status_code for _ in range(2)]
    third = requests.get(url, params=params, timeout=10)
    assert statuses == [200, 200]
    assert third.status_code == 429
    assert int(third.headers["Retry-After"]) >= 1
    assert validated(third.json()).issue[0].code == "throttled"
