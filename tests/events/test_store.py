"""Appending and reading: expected versions, atomic multi-stream appends, the global feed."""

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from events.canonical import GENESIS_HASH, chain_hash, event_content
from events.models import Event
from events.store import (
    ANY,
    NO_STREAM,
    STREAM_EXISTS,
    ConcurrencyError,
    NewEvent,
    StreamAppend,
    append,
    append_streams,
    head_position,
    iter_all,
    read_all,
    read_stream,
    stream_version,
)

pytestmark = pytest.mark.django_db


def deposit(account="a", amount=1, **kwargs):
    return NewEvent(type="test.Deposited", data={"account": account, "amount": amount}, **kwargs)


def test_append_numbers_versions_from_one_and_returns_positions():
    first = append("account:a", [deposit(), deposit()], NO_STREAM)
    second = append("account:a", [deposit()], 2)
    assert first.versions == {"account:a": 2}
    assert second.versions == {"account:a": 3}
    assert second.position > max(first.positions)
    assert [e.version for e in read_stream("account:a")] == [1, 2, 3]
    assert stream_version("account:a") == 3
    assert stream_version("account:none") == 0
    assert head_position() == second.position


@pytest.mark.parametrize(
    ("existing", "expected"),
    [(0, STREAM_EXISTS), (0, 1), (2, NO_STREAM), (2, 0), (2, 1), (2, 3)],
)
def test_expected_version_mismatch_raises_and_writes_nothing(existing, expected):
    if existing:
        append("account:a", [deposit() for _ in range(existing)])
    before = Event.objects.count()
    with pytest.raises(ConcurrencyError) as raised:
        append("account:a", [deposit()], expected)
    assert raised.value.actual == existing
    assert Event.objects.count() == before


@pytest.mark.parametrize("expected", [ANY, STREAM_EXISTS, 2])
def test_expected_version_match_appends(expected):
    append("account:a", [deposit(), deposit()])
    assert append("account:a", [deposit()], expected).versions == {"account:a": 3}


def test_multi_stream_append_is_all_or_nothing():
    append("account:b", [deposit("b")])
    with pytest.raises(ConcurrencyError):
        append_streams(
            [
                StreamAppend("account:a", [deposit()], NO_STREAM),
                StreamAppend("account:b", [deposit("b")], NO_STREAM),  # b exists: refused
            ]
        )
    assert stream_version("account:a") == 0
    assert stream_version("account:b") == 1

    result = append_streams(
        [
            StreamAppend("account:a", [deposit()], NO_STREAM),
            StreamAppend("account:b", [deposit("b")], 1),
        ]
    )
    assert result.versions == {"account:a": 1, "account:b": 2}


def test_read_stream_between_versions_and_global_feed_with_type_filter():
    append("account:a", [deposit(amount=n) for n in range(1, 6)])
    append("account:b", [NewEvent(type="test.Withdrawn", data={"account": "b", "amount": 7})])
    middle = read_stream("account:a", from_version=2, to_version=4)
    assert [e.data["amount"] for e in middle] == [2, 3, 4]

    everything = read_all()
    assert [e.position for e in everything] == sorted(e.position for e in everything)
    after_two = read_all(after=everything[1].position, limit=2)
    assert [e.position for e in after_two] == [e.position for e in everything[2:4]]
    withdrawals = read_all(types=["test.Withdrawn"])
    assert [(e.stream, e.data["amount"]) for e in withdrawals] == [("account:b", 7)]


def test_each_hash_covers_the_previous_hash_and_the_canonical_event():
    append("account:a", [deposit(), deposit(amount=2)], meta={"actor": "alice"})
    first, second = read_all(upcast=False)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    content = event_content(
        stream=second.stream,
        version=second.version,
        event_id=second.event_id,
        type=second.type,
        schema=second.schema,
        data=second.data,
        meta=second.meta,
        recorded_at=second.recorded_at,
    )
    assert chain_hash(first.hash, content) == second.hash
    assert second.meta["actor"] == "alice"
    assert second.meta["correlation_id"] == str(first.event_id)


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        ({"amount": 1.5}, TypeError, "floats are not allowed"),
        ({"note": "a\x00b"}, ValueError, "NUL characters"),
        ({"a\x00": 1}, ValueError, "NUL characters"),
    ],
)
def test_data_without_a_canonical_form_is_refused_before_anything_is_written(data, error, message):
    append("account:a", [deposit()])
    with pytest.raises(error, match=message):
        append("account:a", [deposit(), NewEvent(type="test.Deposited", data=data)])
    assert Event.objects.count() == 1


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events_event SET type = 'test.Forged'",
        "DELETE FROM events_event",
        "TRUNCATE events_event",
    ],
)
def test_database_refuses_to_rewrite_events(statement):
    append("account:a", [deposit()])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert read_all()[0].type == "test.Deposited"


def test_a_large_batch_is_stored_exactly_and_keeps_the_chain():
    from events.integrity import verify_chain

    events = [deposit(account=f"compte-é-{n}", amount=n) for n in range(120)]
    result = append("account:bulk", events, NO_STREAM)
    stored = read_stream("account:bulk")
    assert [e.position for e in stored] == result.positions
    assert [e.data for e in stored] == [e.data for e in events]
    assert verify_chain().ok


def test_the_fast_content_serialisation_equals_the_canonical_one():
    from datetime import UTC, datetime

    from events.canonical import canonical_json, canonical_time, content_json, dumps_plain

    fields = {
        "stream": "code:icd10cm:L28.0",
        "version": 7,
        "event_id": "5b0d1f0e-6c1c-4f55-9a4e-2a5d1c9b7e11",
        "type": "CodeRevised",
        "schema": 2,
        "recorded_at": datetime(2026, 11, 30, 12, 0, 1, 5, tzinfo=UTC),
    }
    data = {"title": 'Lichen simplex chronicus — Sézary "quoted"', "n": [1, {"b": None}]}
    meta = {"actor": "zoë", "source": "import"}
    fast = content_json(
        **{**fields, "recorded_at": canonical_time(fields["recorded_at"])},
        data_json=dumps_plain(data),
        meta_json=dumps_plain(meta),
    )
    assert fast == canonical_json(event_content(**fields, data=data, meta=meta))


def test_a_load_creates_every_stream_in_order_and_keeps_the_chain():
    from events.integrity import verify_chain
    from events.store import load_new_streams

    before = append("account:first", [deposit()], NO_STREAM)
    loads = (  # a generator, more than one progress chunk long
        StreamAppend(
            f"account:load-{n}", [deposit(f"load-{n}", n), deposit(f"load-{n}", 1)], NO_STREAM
        )
        for n in range(1200)
    )
    reported = []
    result = load_new_streams(loads, meta={"actor": "loader"}, progress=reported.append)
    assert (result.streams, result.events, sum(reported)) == (1200, 2400, 1200)
    stored = list(iter_all(after=before.position))
    assert result.last_position == stored[-1].position == head_position()
    assert [e.stream for e in stored[:3]] == ["account:load-0", "account:load-0", "account:load-1"]
    seventh = read_stream("account:load-7")
    assert [(e.version, e.data["amount"]) for e in seventh] == [(1, 7), (2, 1)]
    assert {e.meta["actor"] for e in stored} == {"loader"}
    assert len({e.meta["correlation_id"] for e in stored}) == 1
    assert stored[0].prev_hash == Event.objects.get(position=before.position).hash
    assert verify_chain().ok


def test_a_load_that_meets_an_existing_stream_or_bad_data_writes_nothing():
    from django.db import IntegrityError

    from events.store import load_new_streams

    append("account:taken", [deposit()], NO_STREAM)

    def appends(last):
        for name in ("account:new-1", "account:new-2", last):
            yield StreamAppend(name, [deposit()], NO_STREAM)

    with pytest.raises(IntegrityError):
        load_new_streams(appends("account:taken"))

    def bad_data():
        yield StreamAppend("account:new-1", [deposit()], NO_STREAM)
        raise ValueError("row 2 of the source is corrupt")

    with pytest.raises(ValueError, match="corrupt"):
        load_new_streams(bad_data())
    with pytest.raises(ValueError, match="only starts new streams"):
        load_new_streams(iter([StreamAppend("account:new-1", [deposit()], ANY)]))
    assert list(Event.objects.values_list("stream", flat=True)) == ["account:taken"]
