"""Crafted dates, moments, positions and cursors on the audit API and screens: a 400 that says
what is wrong (a problem on the API, a message on the page), never a server error."""

import base64
from urllib.parse import urlencode

import pytest

from events.projections import catch_up

pytestmark = pytest.mark.django_db

LOG = "/api/v1/audit/log"
PROBLEM = "application/problem+json"


def assert_problem(response, status, field):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert field in body["errors"], body
    return body


def forged_cursor(position) -> str:
    """A cursor as DRF's CursorPagination writes them, with any position."""
    return base64.b64encode(urlencode({"p": position}).encode()).decode()


@pytest.fixture
def auditor(as_user):
    return as_user("audrey")


@pytest.fixture
def projected(nstemi):
    """I21.4 in the read models the code's audit page reads."""
    catch_up("codes")
    catch_up("review")


@pytest.fixture
def screens(client, people):
    client.force_login(people["audrey"])
    return client


@pytest.mark.parametrize("path", [LOG, f"{LOG}/export.csv", f"{LOG}/export.jsonl"])
def test_until_the_last_day_of_the_calendar_is_a_400_on_the_api(auditor, nstemi, path):
    body = assert_problem(auditor.get(path, {"until": "9999-12-31"}), 400, "until")
    assert "9999-12-30" in body["errors"]["until"][0]


def test_until_the_last_day_of_the_calendar_is_a_message_on_the_page(screens, nstemi):
    response = screens.get("/audit/", {"until": "9999-12-31"})
    assert response.status_code == 400
    assert "9999-12-30" in response.content.decode()


@pytest.mark.parametrize("position", ["9" * 30, "1e999", "-5", "abc", "١٢"])
def test_a_forged_log_cursor_is_a_400(auditor, nstemi, position):
    response = auditor.get(LOG, {"cursor": forged_cursor(position)})
    assert_problem(response, 400, "cursor")


def test_a_cursor_that_is_not_one_is_a_400(auditor, nstemi):
    assert_problem(auditor.get(LOG, {"cursor": "not a cursor"}), 400, "cursor")


@pytest.mark.parametrize("before", ["9" * 30, "²", "-1"])
def test_older_than_a_position_out_of_range_is_a_message_on_the_page(screens, nstemi, before):
    response = screens.get("/audit/", {"before": before})
    assert response.status_code == 400
    assert "must be a position" in response.content.decode()


@pytest.mark.parametrize("known_at", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"])
def test_known_at_beyond_the_calendar_is_a_message_on_the_code_page(screens, projected, known_at):
    response = screens.get("/audit/codes/icd10cm/I21.4", {"known_at": known_at})
    assert response.status_code == 400
    assert "Give a date and time between" in response.content.decode()


@pytest.mark.parametrize("known_at", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"])
def test_known_at_beyond_the_calendar_is_a_400_on_the_code_api(as_user, nstemi, known_at):
    response = as_user("anonymous").get("/api/v1/codes/icd10cm/I21.4", {"known_at": known_at})
    assert_problem(response, 400, "known_at")
