"""A forged search cursor is the caller's mistake (400), never an outage (503) or a 500."""

import base64

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db(transaction=True)


def raw_cursor(text: str) -> str:
    """A cursor as the API writes them, holding any JSON text."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


FORGED = [
    raw_cursor('[1e999, 10, true, "I21.4", "icd10cm"]'),  # infinity
    raw_cursor('[-1e999, 10, true, "I21.4", "icd10cm"]'),
    raw_cursor('[NaN, 10, true, "I21.4", "icd10cm"]'),
    raw_cursor(f'[1.5, {10**40}, true, "I21.4", "icd10cm"]'),  # beyond a long
    raw_cursor("[" * 300 + "]" * 300),  # nested, not a list of values
]


@pytest.mark.parametrize("cursor", FORGED)
def test_a_forged_cursor_is_a_400_on_the_api(indexed, cursor):
    response = APIClient().get("/api/v1/codes/search", {"q": "infarction", "cursor": cursor})
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert "cursor" in response.json()["errors"]


@pytest.mark.parametrize("cursor", [*FORGED, raw_cursor("[" * 5000 + "]" * 5000)])
def test_a_forged_cursor_is_a_message_on_the_page(indexed, client, cursor):
    response = client.get("/search", {"q": "infarction", "cursor": cursor})
    assert response.status_code == 400
    assert "That link to more results has expired" in response.content.decode()
