"""/metrics: who may scrape it, and what it reports (in-process; the multi-process case with a
real worker is in test_prod_stack.py)."""

import re

import pytest

from codesets.actions import code_register

pytestmark = pytest.mark.django_db


def scrape(client, **headers):
    return client.get("/metrics", **headers)


def metric(text: str, name: str, **labels) -> float | None:
    """The value of one sample of the exposition text, or None when it is absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name and ",".join(sorted((match[2] or "").split(","))) == wanted:
            return float(match[3])
    return None


def test_loopback_may_scrape_without_a_token_and_others_may_not(client):
    assert scrape(client).status_code == 200  # the test client comes from 127.0.0.1
    refused = scrape(client, REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 403
    assert b"METRICS_TOKEN" in refused.content


def test_only_reads_are_answered(client):
    assert client.post("/metrics").status_code == 405


def test_with_a_token_only_its_bearer_may_scrape(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert scrape(client).status_code == 403  # loopback alone is not enough any more
    assert scrape(client, HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    answer = scrape(client, HTTP_AUTHORIZATION="Bearer s3cret-token", REMOTE_ADDR="203.0.113.7")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/plain")


def test_reports_events_appended_and_projector_lag(client, settings):
    settings.EVENTS_CATCH_UP_AFTER_COMMIT = False  # leave the projectors behind on purpose
    before = scrape(client).content.decode()
    assert metric(before, "codeledger_events_total", type="CodeRegistered") is None
    code_register(
        system="custom",
        code="M-1",
        content={"official_descriptor": "Metric test code"},
        source="test",
        release="1",
    )
    text = scrape(client).content.decode()
    assert metric(text, "codeledger_events_total", type="CodeRegistered") == 1
    assert metric(text, "codeledger_projector_lag_events", projector="codes") == 1
    assert metric(text, "codeledger_projector_checkpoint", projector="codes") == 0
    assert metric(text, "codeledger_projector_halted", projector="codes") == 0


def test_reports_request_latency_by_view_and_search_latency(client):
    def count(text, name, **labels):
        return metric(text, name, **labels) or 0

    before = scrape(client).content.decode()
    assert client.get("/api/v1/codes/search", {"q": "anything"}).status_code in (200, 503)
    assert client.get("/healthz").status_code in (200, 503)
    after = scrape(client).content.decode()
    by_view = "django_http_requests_latency_seconds_by_view_method_count"
    assert count(after, by_view, method="GET", view="healthz") == 1 + count(
        before, by_view, method="GET", view="healthz"
    )
    search = "codeledger_search_latency_seconds_count"
    assert count(after, search, endpoint="api_search") == 1 + count(
        before, search, endpoint="api_search"
    )
