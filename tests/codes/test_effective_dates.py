"""Scheduled changes, as_of and known_at, across a later revert."""

from datetime import timedelta

import pytest
from django.utils import timezone

from codeledger.domain import actor_for
from codes import projector, selectors
from codes.tasks import publish_due_changes
from events.projections import catch_up
from events.testing import assert_projection_matches_rebuild, catch_up_each
from review.actions import change_request_approve, change_request_revert, change_request_submit

pytestmark = pytest.mark.django_db

OLD = "Non-ST elevation (NSTEMI) myocardial infarction"
NEW = "NSTEMI myocardial infarction, initial episode"


def approve_change(people, changes, effective_from=None, base_version=1):
    alice, bob = actor_for(people["alice"]), actor_for(people["bob"])
    written = change_request_submit(
        actor=alice,
        system="icd10cm",
        code="I21.4",
        base_version=base_version,
        changes=changes,
        rationale="FY2027 wording",
        effective_from=effective_from,
    )
    return change_request_approve(
        actor=bob, change_id=written.change_request.change_id, expected_version=1
    )


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_a_scheduled_change_waits_for_its_date_and_known_at_remembers(client, people, nstemi):
    today = timezone.localdate()
    in_a_month = today + timedelta(days=30)
    approve_change(people, {"official_descriptor": NEW}, effective_from=in_a_month)
    after_schedule = timezone.now()

    current = client.get("/api/v1/codes/icd10cm/I21.4").json()
    assert current["content"]["official_descriptor"] == OLD
    assert (current["version"], current["in_force_version"]) == (2, 1)
    assert [(s["version"], s["effective_from"]) for s in current["scheduled"]] == [
        (2, in_a_month.isoformat())
    ]
    future = client.get("/api/v1/codes/icd10cm/I21.4", {"as_of": in_a_month.isoformat()}).json()
    assert future["content"]["official_descriptor"] == NEW

    # A reviewer reverts the scheduled revision; the revert is in force at once.
    bob = actor_for(people["bob"])
    revert = change_request_revert(
        actor=bob,
        system="icd10cm",
        code="I21.4",
        version=2,
        rationale="the FY2027 wording was withdrawn",
    )
    assert revert.change_request.changes == {"official_descriptor": OLD}
    change_request_approve(
        actor=actor_for(people["carol"]),
        change_id=revert.change_request.change_id,
        expected_version=1,
    )

    def descriptor(**params):
        response = client.get("/api/v1/codes/icd10cm/I21.4", params)
        assert response.status_code == 200, response.content
        return response.json()["content"]["official_descriptor"]

    assert descriptor() == OLD
    assert descriptor(as_of=in_a_month.isoformat()) == OLD  # the revert outranks it
    # What the platform said right after scheduling, about next month: the new wording.
    assert descriptor(as_of=in_a_month.isoformat(), known_at=after_schedule.isoformat()) == NEW
    assert descriptor(known_at=after_schedule.isoformat()) == OLD
    before_registration = (timezone.now() - timedelta(days=400)).date().isoformat()
    assert (
        client.get("/api/v1/codes/icd10cm/I21.4", {"as_of": before_registration}).status_code == 404
    )
    assert_projection_matches_rebuild("codes", "review", "codesets")


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_the_current_view_switches_on_the_effective_date(people, nstemi, monkeypatch):
    tomorrow = timezone.localdate() + timedelta(days=1)
    approve_change(people, {"short_descriptor": "NSTEMI"}, effective_from=tomorrow)
    assert selectors.code_current(system="icd10cm", code="I21.4").content["short_descriptor"] == OLD

    monkeypatch.setattr(projector.timezone, "localdate", lambda: tomorrow)
    monkeypatch.setattr(selectors.timezone, "localdate", lambda: tomorrow)
    entry = selectors.code_current(system="icd10cm", code="I21.4")
    assert entry.content["short_descriptor"] == "NSTEMI"
    assert (entry.version, entry.scheduled, entry.next_change_on) == (2, [], None)


def test_the_beat_task_publishes_changes_that_came_into_force(people, nstemi, monkeypatch):
    tomorrow = timezone.localdate() + timedelta(days=1)
    approve_change(people, {"short_descriptor": "NSTEMI"}, effective_from=tomorrow)
    catch_up_each("codes", "review", "codesets")
    assert publish_due_changes() == 0

    monkeypatch.setattr(projector.timezone, "localdate", lambda: tomorrow)
    from codes import tasks

    monkeypatch.setattr(tasks.timezone, "localdate", lambda: tomorrow)
    assert publish_due_changes() == 1
    from codes.models import CodeEntry

    assert CodeEntry.objects.get(code="I21.4").short_descriptor == "NSTEMI"


@pytest.mark.elasticsearch
@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_a_code_registered_for_a_future_date_appears_on_that_day(people, monkeypatch, client):
    from codeledger.elastic import elasticsearch_client
    from codesets.importing import import_codes
    from codesets.sources import SourceCode
    from search import projector as search_projector
    from search import tasks as search_tasks
    from search.documents import alias

    tomorrow = timezone.localdate() + timedelta(days=1)
    new = SourceCode(
        "icd10cm", "U09.9", {"official_descriptor": "Post COVID-19 condition", "billable": True}
    )
    import_codes(
        lambda: iter([new]), system="icd10cm", source="t", release="FY", effective_from=tomorrow
    )
    catch_up("search")
    elasticsearch_client().indices.refresh(index=alias())

    response = client.get("/api/v1/codes/icd10cm/U09.9")
    assert response.status_code == 404
    assert "comes into force on" in response.json()["detail"]
    assert client.get("/api/v1/codes/search", {"q": "post covid"}).json()["hits"] == []
    lookup = client.get("/api/v1/codes/lookup", {"system": "icd10cm", "code": "U09.9"}).json()
    assert lookup["results"][0]["found"] is False

    for module in (projector, selectors, search_tasks, search_projector):
        monkeypatch.setattr(module.timezone, "localdate", lambda: tomorrow)
    from codes import tasks as code_tasks

    monkeypatch.setattr(code_tasks.timezone, "localdate", lambda: tomorrow)
    assert code_tasks.publish_due_changes() == 1
    assert search_tasks.reindex_due_codes() == 1
    elasticsearch_client().indices.refresh(index=alias())
    assert client.get("/api/v1/codes/icd10cm/U09.9").json()["in_force_version"] == 1
    hits = client.get("/api/v1/codes/search", {"q": "post covid"}).json()["hits"]
    assert [hit["code"] for hit in hits] == ["U09.9"]
