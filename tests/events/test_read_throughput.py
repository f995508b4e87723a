"""The log as read for projections (events.store.read_all / read_streams decode rows themselves,
not through the ORM, for speed): every field exactly what the ORM gives, on PostgreSQL and on
the embedded SQLite."""

import json
import textwrap
import uuid
from datetime import UTC

import pytest

from events.models import Event
from events.store import NewEvent, append, read_all, read_streams
from tests.embedded import run_django

pytestmark = pytest.mark.django_db

DATA = {"text": "Sézary's \u2019 \U0001f600", "big": 2**70, "nested": {"list": [1, "2.5", None]}}


def _as_orm_gives(position: int) -> tuple:
    row = Event.objects.get(position=position)
    return (
        row.position,
        row.stream,
        row.version,
        row.event_id,
        row.type,
        row.schema,
        row.data,
        row.meta,
        row.recorded_at,
        row.prev_hash,
        row.hash,
    )


def _fields(recorded) -> tuple:
    return (
        recorded.position,
        recorded.stream,
        recorded.version,
        recorded.event_id,
        recorded.type,
        recorded.schema,
        recorded.data,
        recorded.meta,
        recorded.recorded_at,
        recorded.prev_hash,
        recorded.hash,
    )


def test_read_all_gives_every_field_as_the_orm_does():
    first = append("probe-1", [NewEvent("Probe", DATA)]).position
    second = append("probe-2", [NewEvent("Probe", {"n": 1}, meta={"actor": "ed"})]).position

    read = read_all(after=first - 1, upcast=False)

    assert [_fields(recorded) for recorded in read] == [
        _as_orm_gives(first),
        _as_orm_gives(second),
    ]
    assert read[0].recorded_at.tzinfo is not None
    assert read[0].recorded_at.utcoffset() == UTC.utcoffset(None)
    assert isinstance(read[0].event_id, uuid.UUID)


def test_read_all_filters_by_type_and_upto_and_limits():
    positions = [
        append(
            f"probe-{n}", [NewEvent("test.Deposited" if n % 2 else "test.Withdrawn", {"n": n})]
        ).position
        for n in range(6)
    ]
    start = positions[0] - 1

    assert [e.data["n"] for e in read_all(after=start, types=["test.Deposited"])] == [1, 3, 5]
    assert [e.data["n"] for e in read_all(after=start, upto=positions[2])] == [0, 1, 2]
    assert [e.data["n"] for e in read_all(after=start, limit=2)] == [0, 1]
    assert read_all(after=start, types=[]) == []


def test_read_streams_gives_each_stream_in_version_order_and_empty_for_unknown():
    append("probe-a", [NewEvent("test.Deposited", {"n": 1}), NewEvent("test.Deposited", {"n": 2})])
    append("probe-b", [NewEvent("test.Deposited", {"n": 3})])

    found = read_streams(["probe-b", "probe-a", "probe-none"])

    assert {stream: [e.data["n"] for e in events] for stream, events in found.items()} == {
        "probe-b": [3],
        "probe-a": [1, 2],
        "probe-none": [],
    }


@pytest.mark.slow
def test_on_sqlite_read_all_and_read_streams_give_what_the_orm_gives(tmp_path):
    database = tmp_path / "read.sqlite3"
    run_django(database, "migrate", "--noinput", "-v0")
    code = textwrap.dedent(
        f"""
        import json, os, django
        os.environ["DATABASE_URL"] = "sqlite:///{database}"
        django.setup()
        from events.models import Event
        from events.store import NewEvent, append, read_all, read_streams
        # A registered type: read_streams upcasts (the data need not fit it for that).
        append("probe-1", [NewEvent("CodeRetired", {DATA!r})])
        append("probe-1", [NewEvent("CodeRetired", {{"n": 2}})])
        orm = [
            (e.position, e.stream, e.version, e.event_id, e.type, e.schema, e.data, e.meta,
             e.recorded_at, e.prev_hash, e.hash)
            for e in Event.objects.order_by("position")
        ]
        fields = lambda e: (e.position, e.stream, e.version, e.event_id, e.type, e.schema,
                            e.data, e.meta, e.recorded_at, e.prev_hash, e.hash)
        print(json.dumps([
            [fields(e) for e in read_all(upcast=False)] == orm,
            [fields(e) for e in read_streams(["probe-1"])["probe-1"]] == orm,
            read_all()[0].recorded_at.utcoffset() is not None,
        ]))
        """
    )
    done = run_django(database, code=code)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [True, True, True]
