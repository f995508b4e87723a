"""The global change log: domain words, filters, cursor pages, and exports that match it."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import LogEntry
from codeledger.domain import actor_for
from events.canonical import chain_hash
from events.models import Event
from events.testing import assert_projection_matches_rebuild
from review.actions import change_request_approve, change_request_reject, change_request_submit

pytestmark = pytest.mark.django_db

LOG = "/api/v1/audit/log"


@pytest.fixture
def decisions(people, nstemi):
    """Alice's change approved by bob; eve's change rejected by carol."""
    alice, eve = actor_for(people["alice"]), actor_for(people["eve"])
    bob, carol = actor_for(people["bob"]), actor_for(people["carol"])
    approved = change_request_submit(
        actor=alice,
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"short_descriptor": "NSTEMI"},
        rationale="CMS short form",
    ).change_request.change_id
    change_request_approve(actor=bob, change_id=approved, expected_version=1)
    rejected = change_request_submit(
        actor=eve,
        system="icd10cm",
        code="I21.4",
        base_version=2,
        changes={"common_description": "A heart attack."},
        rationale="shorter",
    ).change_request.change_id
    change_request_reject(actor=carol, change_id=rejected, expected_version=1, reason="too vague")
    return {"approved": approved, "rejected": rejected}


def entries(client, **params):
    response = client.get(LOG, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_every_event_is_told_in_domain_words_newest_first(as_user, decisions):
    rows = entries(as_user("audrey"))
    assert len(rows) == Event.objects.count() == 6
    assert [r["position"] for r in rows] == sorted((r["position"] for r in rows), reverse=True)
    summaries = [r["summary"] for r in rows]
    short = decisions["rejected"][:8]
    assert summaries[0] == f"carol rejected change request {short} (ICD-10-CM I21.4): “too vague”"
    assert summaries[1] == (
        f"eve proposed a change to ICD-10-CM I21.4 (common-language description) in change "
        f"request {short}: “shorter”"
    )
    assert any(
        s.startswith("ICD-10-CM I21.4 v2 revised: short descriptor (change request")
        and "proposed by alice, approved by bob" in s
        for s in summaries
    )
    assert summaries[-1].startswith("ICD-10-CM I21.4 registered (v1) (release FY2025")
    assert_projection_matches_rebuild("changelog")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"actor": "carol"}, ["ChangeRequestRejected"]),
        (
            {"role": "reviewer"},
            ["ChangeRequestRejected", "CodeRevised", "ChangeRequestApproved"],
        ),
        ({"role": "system"}, ["CodeRegistered"]),
        ({"request_state": "rejected"}, ["ChangeRequestRejected", "ChangeRequestSubmitted"]),
        ({"type": "ChangeRequestApproved,CodeRevised"}, ["CodeRevised", "ChangeRequestApproved"]),
        ({"system": "icd10cm", "code": "i214", "actor": "eve"}, ["ChangeRequestSubmitted"]),
        ({"system": "icd10pcs"}, []),
    ],
)
@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_filters_narrow_the_log(as_user, decisions, params, expected):
    assert [r["type"] for r in entries(as_user("audrey"), **params)] == expected


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_a_date_range_and_cursor_pages_cover_the_log_once(as_user, decisions):
    auditor = as_user("audrey")
    today = timezone.localdate()
    assert entries(auditor, until=(today - timedelta(days=1)).isoformat()) == []
    everything = [r["position"] for r in entries(auditor, since=today.isoformat())]
    assert len(everything) == 6
    seen, url = [], f"{LOG}?size=3"
    while url:
        page = auditor.get(url).json()
        seen += [r["position"] for r in page["results"]]
        url = page["next"]
    assert seen == everything


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"role": "boss"}, "role"),
        ({"since": "2026-12-02", "until": "2026-12-01"}, "until"),
        ({"since": "yesterday"}, "since"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(as_user, decisions, params, field):
    response = as_user("audrey").get(LOG, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_exports_match_the_filtered_log_row_for_row(as_user, decisions):
    auditor = as_user("audrey")
    listed = list(reversed(entries(auditor, role="reviewer")))  # exports are oldest first

    response = auditor.get(f"{LOG}/export.csv", {"role": "reviewer"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [int(r["position"]) for r in rows] == [e["position"] for e in listed]
    assert [r["summary"] for r in rows] == [e["summary"] for e in listed]
    stored = {
        e.position: e for e in Event.objects.filter(position__in=[r["position"] for r in rows])
    }
    for row in rows:
        event = stored[int(row["position"])]
        assert (row["hash"], row["prev_hash"], row["event_id"]) == (
            event.hash,
            event.prev_hash,
            str(event.event_id),
        )

    response = auditor.get(f"{LOG}/export.jsonl", {"role": "reviewer"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [json.loads(line)["position"] for line in lines] == [e["position"] for e in listed]
    for line in lines:
        row = json.loads(line)
        # Anyone can check each row: its hash is SHA-256 of prev_hash + the canonical event.
        assert chain_hash(row["prev_hash"], row["event"]) == row["hash"]


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_the_log_screen_filters_pages_and_links_its_exports(client, people, decisions, monkeypatch):
    client.force_login(people["audrey"])
    page = client.get("/audit/", {"actor": "carol"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "carol rejected change request" in html and "eve proposed" not in html
    assert "/api/v1/audit/log/export.csv?actor=carol" in html

    monkeypatch.setattr("audit.views.PAGE_SIZE", 4)
    first = client.get("/audit/").content.decode()
    assert "Older entries" in first
    oldest = LogEntry.objects.order_by("pk").first()
    newest_four = list(LogEntry.objects.order_by("-pk")[:4])
    older = client.get("/audit/", {"before": newest_four[-1].pk}).content.decode()
    assert oldest.summary.split(" (")[0] in older
    assert newest_four[0].summary.split(":")[0] not in older

    bad = client.get("/audit/", {"since": "31/12/2026"})
    assert bad.status_code == 400 and "Date has wrong format" in bad.content.decode()


def test_people_without_an_editorial_role_cannot_read_the_log(as_user, client, people, decisions):
    assert as_user("anonymous").get(LOG).status_code == 401
    assert as_user("nobody").get(LOG).status_code == 403
    client.force_login(people["nobody"])
    assert client.get("/audit/").status_code == 403


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_the_database_and_python_renderers_give_the_same_rows(decisions):
    """PostgreSQL renders exports with COPY; the embedded SQLite default renders them in
    Python: both must write the same rows."""
    from audit import exports
    from audit.selectors import LogFilters, change_log

    rows = change_log(LogFilters())

    def text(chunks):
        return "".join(c.decode() if isinstance(c, bytes) else c for c in chunks)

    by_database = text(exports.chunks(rows, "csv"))
    assert list(csv.reader(io.StringIO(by_database))) == list(
        csv.reader(io.StringIO(text(exports.csv_chunks(rows))))
    )
    by_database = [json.loads(line) for line in text(exports.chunks(rows, "jsonl")).splitlines()]
    in_python = [json.loads(line) for line in text(exports.jsonl_chunks(rows)).splitlines()]
    assert by_database == in_python
    assert len(in_python) == Event.objects.count()
