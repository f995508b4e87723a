"""The OpenAPI schema tells the truth about the API: paginated lists are pages, every error
status an operation can answer is documented as a problem detail, public reads need no
credentials, and a method no operation has is a 405."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method, path, operation


def resolve(schema, node):
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


@pytest.mark.parametrize(
    "path", ["/api/v1/audit/log", "/api/v1/change-requests", "/api/v1/releases"]
)
def test_a_paginated_list_is_documented_as_a_page(schema, path):
    body = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    page = resolve(schema, body["schema"])
    assert page["type"] == "object"
    assert {"next", "previous", "results"} <= set(page["properties"])
    assert page["properties"]["results"]["type"] == "array"


def test_every_operation_documents_401_as_a_problem(schema):
    undocumented = [
        f"{method.upper()} {path}"
        for method, path, operation in operations(schema)
        if PROBLEM not in operation["responses"].get("401", {}).get("content", {})
    ]
    assert undocumented == []


def test_the_problem_schema_has_the_rfc_9457_members(schema):
    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    assert "errors" in problem["properties"]


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("post", "/api/v1/change-requests", {"400", "401", "403", "409", "413", "415", "422"}),
        ("get", "/api/v1/change-requests/{change_id}", {"401", "403", "404"}),
        ("get", "/api/v1/codes/search", {"400", "401", "429", "503"}),
        ("get", "/api/v1/codes/{system}/{code}", {"400", "401", "404"}),
        ("post", "/api/v1/audit/integrity/verifications", {"400", "401", "403"}),
    ],
)
def test_the_error_statuses_an_operation_answers_are_documented(schema, method, path, statuses):
    documented = set(schema["paths"][path][method]["responses"])
    assert statuses <= documented, statuses - documented


@pytest.mark.parametrize(
    "path", ["/api/v1/codes/search", "/api/v1/codes/suggest", "/api/v1/codes/{system}/{code}"]
)
def test_a_public_read_needs_no_credentials(schema, path):
    security = schema["paths"][path]["get"]["security"]
    assert {} in security
    assert {"ApiKeyAuth": []} in security


def test_a_workflow_operation_needs_credentials(schema):
    assert {} not in schema["paths"]["/api/v1/change-requests"]["get"]["security"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/change-requests", "/api/v1/audit/log"])
def test_trace_is_a_405_problem_before_authentication(path):
    response = APIClient().generic("TRACE", path)
    assert response.status_code == 405, response.content
    assert response["Content-Type"] == PROBLEM
    assert "GET" in response["Allow"]
