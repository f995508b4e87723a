"""Idempotency-Key on the API's POSTs (codeledger/idempotency.py): a retried write answers the
first answer again and writes nothing; the same key with another body is a 422; concurrent
duplicates make one write."""

import threading

import pytest
from rest_framework.test import APIClient

from codeledger.models import IdempotentRequest
from events.models import Event

URL = "/api/v1/change-requests"
PROPOSAL = {
    "system": "icd10cm",
    "code": "I21.4",
    "base_version": 1,
    "changes": {"short_descriptor": "NSTEMI"},
    "rationale": "CMS short form",
}


def submitted() -> int:
    return Event.objects.filter(type="ChangeRequestSubmitted").count()


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)  # a session, as a person using the API from the browser has
    return client


@pytest.mark.django_db
def test_a_retried_proposal_answers_the_first_answer_and_writes_nothing(people, nstemi):
    alice = signed_in(people["alice"])
    first = alice.post(URL, PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == 201
    events = Event.objects.count()
    again = alice.post(URL, PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert (again.status_code, again.content) == (201, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert Event.objects.count() == events
    assert submitted() == 1


@pytest.mark.django_db
def test_a_retried_comment_without_expected_version_is_one_comment(people, nstemi):
    alice, bob = signed_in(people["alice"]), signed_in(people["bob"])
    change_id = alice.post(URL, PROPOSAL, format="json").json()["change_id"]
    for _ in range(2):
        answer = bob.post(
            f"{URL}/{change_id}/comments",
            {"text": "Source?"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="comment-7",
        )
        assert answer.status_code == 200
    assert Event.objects.filter(type="ChangeRequestCommented").count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_422_and_writes_nothing(people, nstemi):
    alice = signed_in(people["alice"])
    alice.post(URL, PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    events = Event.objects.count()
    other = alice.post(
        URL, {**PROPOSAL, "rationale": "another"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert "different request" in other.json()["detail"]
    assert Event.objects.count() == events


@pytest.mark.django_db
def test_keys_belong_to_their_caller(people, nstemi):
    """Two people may choose the same key: each gets their own write."""
    signed_in(people["alice"]).post(URL, PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="same")
    eve = signed_in(people["eve"]).post(URL, PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert eve.status_code == 201 and "Idempotent-Replayed" not in eve
    assert submitted() == 2


@pytest.mark.django_db
def test_a_malformed_key_is_a_400_problem(people, nstemi):
    answer = signed_in(people["alice"]).post(
        URL, PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="x" * 256
    )
    assert answer.status_code == 400
    assert answer.json()["type"] == "/problems/invalid-idempotency-key"
    assert submitted() == 0


@pytest.mark.django_db
def test_an_expired_key_runs_again(people, nstemi, settings):
    settings.IDEMPOTENCY_KEY_SECONDS = 0
    alice = signed_in(people["alice"])
    alice.post(URL, PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="old")
    again = alice.post(URL, PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert submitted() == 2


@pytest.mark.django_db(transaction=True)
def test_five_concurrent_duplicates_make_one_change_request(people, nstemi):
    """Sent at once: one runs; the others get its answer or a 409 to retry, never a write."""
    barrier, answers = threading.Barrier(5), []

    def send():
        client = signed_in(people["alice"])
        barrier.wait()
        answers.append(client.post(URL, PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="burst"))

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert submitted() == 1
    assert sorted({a.status_code for a in answers}) in ([201], [201, 409])
    assert sum(a.status_code == 201 and "Idempotent-Replayed" not in a for a in answers) == 1
    assert IdempotentRequest.objects.get(key="burst").status == 201
