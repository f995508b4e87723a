"""Idempotent appends by event id, as EventStoreDB defines them."""

import uuid

import pytest

from events.models import Event
from events.store import ANY, NO_STREAM, IdempotencyError, NewEvent, append

pytestmark = pytest.mark.django_db


def deposits(count):
    return [
        NewEvent(type="test.Deposited", data={"account": "a", "amount": n}, event_id=uuid.uuid4())
        for n in range(count)
    ]


@pytest.mark.parametrize("retry_expected", [NO_STREAM, 0, ANY])
def test_resending_the_same_events_at_the_same_place_succeeds_and_writes_nothing(retry_expected):
    events = deposits(3)
    original = append("account:a", events, NO_STREAM)
    append("account:a", deposits(1))  # the stream moves on meanwhile

    retried = append("account:a", events, retry_expected)

    assert retried.written is False
    assert retried.positions == original.positions
    assert retried.versions == {"account:a": 3}
    assert Event.objects.count() == 4


def test_resending_with_the_exact_version_it_was_written_at_succeeds():
    append("account:a", deposits(2))
    events = deposits(2)
    original = append("account:a", events, 2)
    assert append("account:a", events, 2).positions == original.positions


def test_partial_overlap_is_an_error_and_writes_nothing():
    events = deposits(3)
    append("account:a", events[:2])
    with pytest.raises(IdempotencyError, match="some events"):
        append("account:a", events)
    assert Event.objects.count() == 2


def test_ids_reused_on_another_stream_are_an_error():
    events = deposits(2)
    append("account:a", events)
    with pytest.raises(IdempotencyError, match="already stored"):
        append("account:b", events)
    assert Event.objects.filter(stream="account:b").count() == 0


def test_ids_resent_at_another_version_of_the_same_stream_are_an_error():
    events = deposits(2)
    append("account:a", deposits(1))
    append("account:a", events, 1)
    with pytest.raises(IdempotencyError):
        append("account:a", events, 2)


def test_the_same_id_twice_in_one_append_is_refused():
    event = deposits(1)[0]
    with pytest.raises(IdempotencyError):
        append("account:a", [event, event])
    assert Event.objects.count() == 0
