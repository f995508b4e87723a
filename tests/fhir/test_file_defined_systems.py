"""A code system defined by an imported file (`codes_import --file`, issue #25) is served like a
packaged one: found by its own canonical URL, read whole as a CodeSystem resource, looked up,
expanded; and the resource it is served as imports back as the same codes."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from codes.models import CodeEntry
from tests.fhir.conftest import parameter, properties

pytestmark = pytest.mark.django_db(transaction=True)  # a live server reads committed rows

DATA = Path(__file__).parents[1] / "codesets" / "data"
URL = "https://example.org/fhir/CodeSystem/fixture-wound-care"  # custom_wound_care.json's


def import_file(path, system):
    call_command(
        "codes_import",
        "--file",
        str(path),
        "--system",
        system,
        "--format",
        "fhir",
        "--release",
        "R1",
        "--effective-from",
        "2026-01-01",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


@pytest.fixture
def wound_care(transactional_db):
    from codes.systems import SYSTEMS

    import_file(DATA / "custom_wound_care.json", "wound-care")
    yield
    # The process keeps the systems it read for a few seconds (codes.systems.REFRESH_SECONDS):
    # the next test, after the flush, must not still see these.
    SYSTEMS.forget()


def codes_of(system):
    return {
        row.code: (row.official_descriptor, row.parent, row.billable, row.status)
        for row in CodeEntry.objects.filter(system=system)
    }


def test_a_file_defined_system_is_found_by_its_url_and_read_whole(fhir_client, wound_care):
    bundle = fhir_client.execute("CodeSystem", "get", params={"url": URL})
    [entry] = bundle["entry"]
    resource = entry["resource"]
    assert entry["fullUrl"].endswith("/fhir/CodeSystem/wound-care")
    assert (resource["id"], resource["publisher"], resource["caseSensitive"]) == (
        "wound-care",
        "CodeLedger tests",
        True,
    )
    assert (resource["content"], resource["count"], resource["version"]) == ("complete", 5, "R1")
    parents = {
        concept["code"]: next(
            (p["valueCode"] for p in concept["property"] if p["code"] == "parent"), None
        )
        for concept in resource["concept"]
    }
    assert parents == {
        "WC": None,
        "WC-CHECK": "WC",
        "WC-DRESS": "WC",
        "WC-DRESS.1": "WC-DRESS",
        "WC-DRESS.2": "WC-DRESS",
    }


def test_a_file_defined_system_answers_lookup_and_expand(fhir_client, wound_care):
    looked_up = fhir_client.execute(
        "CodeSystem/$lookup", "get", params={"system": URL, "code": "WC", "property": "child"}
    )
    expanded = fhir_client.execute(
        "ValueSet/$expand", "get", params={"url": f"{URL}?fhir_vs=isa/WC-DRESS"}
    )
    assert parameter(looked_up, "name") == (
        "Invented wound-care activities (a CodeLedger test fixture)"
    )
    assert properties(looked_up) == [("child", "WC-CHECK"), ("child", "WC-DRESS")]
    assert [c["code"] for c in expanded["expansion"]["contains"]] == [
        "WC-DRESS",
        "WC-DRESS.1",
        "WC-DRESS.2",
    ]


def test_the_served_code_system_imports_back_as_the_same_codes(fhir_client, wound_care, tmp_path):
    served = fhir_client.execute("CodeSystem/wound-care", "get")
    path = tmp_path / "served.json"
    path.write_text(json.dumps({**served, "url": "https://example.org/fhir/CodeSystem/copy"}))
    import_file(path, "wound-care-copy")
    assert codes_of("wound-care-copy") == codes_of("wound-care")
