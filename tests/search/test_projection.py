"""The search projection: idempotent replays, newest content wins, rebuilds lose nothing."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from codeledger.domain import actor_for
from codeledger.elastic import elasticsearch_client
from codes.selectors import load_code
from events.projections import catch_up, get_projector, rebuild
from events.store import read_all
from review.actions import change_request_approve, change_request_submit
from search.documents import alias
from search.projector import write_documents

from .conftest import CODES, refresh, register_codes

pytestmark = pytest.mark.django_db(transaction=True)


def documents():
    refresh()
    return get_projector("search").snapshot()


def revise_j40(people, title):
    alice, bob = actor_for(people["alice"]), actor_for(people["bob"])
    current = load_code("icd10cm", "J40")
    change = change_request_submit(
        actor=alice,
        system="icd10cm",
        code="J40",
        base_version=current.version,
        changes={"official_descriptor": title},
        rationale="wording",
    )
    return change_request_approve(
        actor=bob, change_id=change.change_request.change_id, expected_version=1
    )


def test_replaying_the_whole_log_twice_changes_nothing(indexed, people):
    revise_j40(people, "Bronchitis, unqualified")
    catch_up("search")
    before = documents()
    events = read_all(limit=10_000, types=sorted(get_projector("search").handles))
    write_documents(events)
    write_documents(events)
    assert documents() == before


def test_events_delivered_out_of_order_leave_the_newest_content(indexed, people):
    revise_j40(people, "Bronchitis, second wording")
    revise_j40(people, "Bronchitis, third wording")
    catch_up("search")
    code_events = [e for e in read_all(limit=10_000) if e.stream == "code:icd10cm:J40"]
    write_documents(list(reversed(code_events)))
    for event in code_events:  # one at a time, oldest last
        write_documents([event])
    source = elasticsearch_client().get(index=alias(), id="icd10cm:J40")
    assert source["_source"]["display_title"] == "Bronchitis, third wording"
    assert source["_version"] == 3


def test_rebuild_swaps_the_alias_while_searches_and_writes_go_on(indexed, people, settings):
    # About the swap, not the throttle: a rebuild that takes over a minute let the searcher
    # pass the anonymous 120 a minute (429s).
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "search_anon": "1000000/min"},
    }
    client = elasticsearch_client()
    old_index = list(client.indices.get_alias(name=alias()))
    stop, failures, totals = threading.Event(), [], []

    def keep_searching():
        api = APIClient()
        try:
            while not stop.is_set():
                response = api.get("/api/v1/codes/search", {"q": "myocardial infarction"})
                if response.status_code != 200:
                    failures.append((response.status_code, response.content[:300]))
                else:
                    totals.append(response.json()["total"])
        finally:
            connection.close()

    def keep_writing():
        try:
            extra = {f"Z{n:02d}.0": (f"Test condition number {n}", True, []) for n in range(15)}
            register_codes(extra)
        finally:
            connection.close()

    searcher, writer = (
        threading.Thread(target=keep_searching),
        threading.Thread(target=keep_writing),
    )
    searcher.start()
    writer.start()
    try:
        result = rebuild("search")
    finally:
        writer.join(timeout=60)
        stop.set()
        searcher.join(timeout=60)

    assert failures == []
    assert totals and min(totals) >= 5  # the five infarction codes were always found
    catch_up("search")
    refresh()
    new_index = list(client.indices.get_alias(name=alias()))
    assert new_index != old_index and not client.indices.exists(index=old_index[0])
    # Built with refresh off, then back to the default (unset, so search-idle applies).
    settings = client.indices.get_settings(index=new_index[0])[new_index[0]]["settings"]
    assert "refresh_interval" not in settings["index"]
    ids = {doc_id for doc_id, _, _ in documents()}
    assert ids == {f"icd10cm:{code}" for code in CODES} | {f"icd10cm:Z{n:02d}.0" for n in range(15)}
    assert result.applied >= len(CODES)


def test_a_scheduled_change_reaches_the_index_on_its_day(indexed, people, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from search import projector, tasks

    tomorrow = timezone.localdate() + timedelta(days=1)
    alice, bob = actor_for(people["alice"]), actor_for(people["bob"])
    change = change_request_submit(
        actor=alice,
        system="icd10cm",
        code="J40",
        base_version=1,
        changes={"official_descriptor": "Bronchitis, NOS"},
        rationale="FY2027",
        effective_from=tomorrow,
    )
    change_request_approve(actor=bob, change_id=change.change_request.change_id, expected_version=1)
    catch_up("search")
    refresh()
    assert tasks.reindex_due_codes() == 0
    doc = elasticsearch_client().get(index=alias(), id="icd10cm:J40")["_source"]
    assert doc["display_title"].startswith("Bronchitis, not specified")
    assert doc["next_change_on"] == tomorrow.isoformat()

    monkeypatch.setattr(tasks.timezone, "localdate", lambda: tomorrow)
    monkeypatch.setattr(projector.timezone, "localdate", lambda: tomorrow)
    assert tasks.reindex_due_codes() == 1
    doc = elasticsearch_client().get(index=alias(), id="icd10cm:J40")["_source"]
    assert (doc["display_title"], doc["next_change_on"]) == ("Bronchitis, NOS", None)
