"""A code set's first import on SQLite, the embedded default: `load_new_streams` writes its rows
there without the ORM (events.store._load), and must store what the ORM would have stored.

Read back through the ORM, the loaded events have their data and meta as values, their ids as
UUIDs and their times as aware datetimes; the chain verifies; a load that meets a stream that
exists already raises Django's IntegrityError and leaves the log as it was.
"""

import json
import textwrap

import pytest

from tests.embedded import run_django

LOAD = """
import json, os, uuid, django
os.environ["DATABASE_URL"] = "sqlite:///{database}"
django.setup()
from django.db import IntegrityError
from events.integrity import verify_chain
from events.models import Event
from events.store import NO_STREAM, NewEvent, StreamAppend, append, load_new_streams

append("probe:first", [NewEvent("Probed", {{"n": 0}})], NO_STREAM)
text = "é \\u2014 \\"q\\""
loads = (
    StreamAppend(f"probe:{{n}}", [NewEvent("Probed", {{"n": n, "text": text}})], NO_STREAM)
    for n in range(1, 1201)
)
result = load_new_streams(loads, meta={{"actor": "loader"}})
try:
    load_new_streams(iter([StreamAppend("probe:7", [NewEvent("Probed", {{}})], NO_STREAM)]))
    duplicate = "no error"
except IntegrityError:
    duplicate = "IntegrityError"
seventh = Event.objects.get(stream="probe:7")
print(json.dumps({{
    "events": Event.objects.count(),
    "loaded": [result.streams, result.events],
    "data": seventh.data,
    "actor": seventh.meta["actor"],
    "id_is_uuid": isinstance(seventh.event_id, uuid.UUID),
    "time_is_aware": seventh.recorded_at.utcoffset() is not None,
    "chain": verify_chain().ok,
    "duplicate": duplicate,
}}))
"""


@pytest.mark.slow  # migrates a SQLite database in Django subprocesses
def test_a_load_on_sqlite_stores_what_the_orm_would_and_keeps_the_chain(tmp_path):
    database = tmp_path / "load.sqlite3"
    run_django(database, "migrate", "--noinput", "-v0")

    done = run_django(database, code=textwrap.dedent(LOAD.format(database=database)))

    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "events": 1201,  # the duplicate's load wrote nothing
        "loaded": [1200, 1200],
        "data": {"n": 7, "text": 'é — "q"'},
        "actor": "loader",
        "id_is_uuid": True,
        "time_is_aware": True,
        "chain": True,
        "duplicate": "IntegrityError",
    }
