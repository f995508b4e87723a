"""Odd input is a 4xx OperationOutcome, never a 500 (Django's test client: no live server, no
search index: a text filter then finds Elasticsearch out of reach, a 503)."""

import pytest
from django.test import Client

from fhir.wire import MEDIA_TYPE
from tests.fhir.conftest import ICD10CM, validated

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path, params, status",
    [
        ("CodeSystem/$lookup", {"system": ICD10CM, "code": "E11\x009"}, 400),
        ("CodeSystem/$lookup", {"system": ICD10CM, "code": "E" * 2000}, 400),
        ("CodeSystem/$lookup", {"system": ICD10CM, "code": "not a code!"}, 404),
        ("CodeSystem/$lookup", {"system": ICD10CM, "code": "E11.9", "date": "2026-02-30"}, 400),
        ("CodeSystem/$lookup", {"system": ICD10CM, "code": "E11.9", "version": "FY1900"}, 404),
        ("CodeSystem/$validate-code", {"url": ICD10CM}, 400),
        ("CodeSystem/$subsumes", {"system": ICD10CM, "codeA": "E11"}, 400),
        ("ValueSet/$expand", {}, 400),
        ("ValueSet/$expand", {"url": "http://["}, 404),
        ("ValueSet/$expand", {"url": f"{ICD10CM}?fhir_vs=isa/"}, 400),
        ("ValueSet/$expand", {"url": f"{ICD10CM}?fhir_vs", "offset": "99999999999"}, 400),
        ("ValueSet/$expand", {"url": f"{ICD10CM}?fhir_vs", "filter": "asthma"}, 503),
        ("ValueSet/$validate-code", {"url": f"{ICD10CM}?fhir_vs"}, 400),
        ("metadata", {"mode": "everything"}, 400),
    ],
)
def test_odd_parameters_get_a_clear_status(path, params, status):
    response = Client().get(f"/fhir/{path}", params)
    assert response.status_code == status
    assert response["Content-Type"].startswith(MEDIA_TYPE)
    assert validated(response.json()).issue[0].diagnostics


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        ("{not json", MEDIA_TYPE, 400),
        ('{"resourceType": "Parameters", "parameter": {"name": "code"}}', MEDIA_TYPE, 400),
        ('{"resourceType": "Parameters", "parameter": [{"name": "code"}]}', MEDIA_TYPE, 400),
        ('{"resourceType": "Parameters", "parameter": [{"valueCode": "E11"}]}', MEDIA_TYPE, 400),
        (
            '{"resourceType": "Parameters", "parameter": [{"name": "code", "valueQuantity": {}}]}',
            MEDIA_TYPE,
            400,
        ),
        ("[1, 2]", "application/json", 400),
        ("code=E11", "text/plain", 415),
    ],
)
def test_odd_bodies_get_a_4xx(body, content_type, status):
    response = Client().post("/fhir/CodeSystem/$lookup", body, content_type=content_type)
    assert response.status_code == status
    assert validated(response.json()).issue[0].diagnostics
