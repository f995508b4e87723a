"""Event store throughput on PostgreSQL, measured against the aims of the event store issue.

Measures, in one run on a throwaway PostgreSQL cluster:
- single-event appends (`events.store.append`) by 1, 4 and 16 concurrent writers, each writer
  on its own thread, database connection and stream;
- batch appends of 1,000 events per `append` call;
- a raw COPY of rows of the same size into a table built like events_event (same columns and
  indexes), the floor that batch appends are compared with;
- catch-up of the `streams` projector into its PostgreSQL read model, from checkpoint 0 over
  everything appended above.

The cluster comes from deploy/local/localservices.py and, like the test cluster, runs with
fsync and synchronous_commit off: the numbers are CPU and lock costs, not disk flushes.

Run from the repository root:
    .venv/bin/python bench/events.py
"""

import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# In front of bench/ (the script's own folder): `events` must be the app, not this file.
sys.path[:0] = [str(REPO / "deploy" / "local"), str(REPO / "platform")]

from localservices import PostgresServer  # noqa: E402

EVENT_TYPE = "bench.Happened"
SINGLE_APPENDS_PER_RUN = 2_000
WRITER_COUNTS = (1, 4, 16)
BATCH_SIZE = 1_000
BATCH_CALLS = 20
COPY_COLUMNS = (
    "stream",
    "version",
    "event_id",
    "type",
    "schema",
    "data",
    "meta",
    "recorded_at",
    "prev_hash",
    "hash",
)


@dataclass
class Measurement:
    name: str
    events: int
    seconds: float
    aim: str = ""
    met: bool | None = None
    ratio: float | None = None

    @property
    def per_second(self) -> float:
        return self.events / self.seconds


def configure_django(database_url: str) -> None:
    """Point Django at the throwaway cluster and migrate it.

    Production settings (DEBUG off) so Django does not log every query, which it does with DEBUG
    on and which would be measured along with the store.
    """
    os.environ.update(
        DJANGO_SETTINGS_MODULE="codeledger.settings",
        DATABASE_URL=database_url,
        EVENTS_CATCH_UP_AFTER_COMMIT="false",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        EVENT_SEAL_KEYS=f"bench:{secrets.token_urlsafe(32)}",
        ALLOWED_HOSTS="localhost",
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def sample_data(n: int) -> dict:
    """Event data the size of a typical editorial event (a code and its title)."""
    return {
        "system": "icd10cm",
        "code": f"I21.{n % 10}",
        "title": "ST elevation (STEMI) myocardial infarction involving other coronary artery "
        "of inferior wall",
        "effective": "2025-10-01",
        "n": n,
    }


def new_event(n: int):
    from events.store import NewEvent

    return NewEvent(type=EVENT_TYPE, data=sample_data(n))


# --- single appends ------------------------------------------------------------------------


def write_singles(stream: str, count: int, start: threading.Barrier) -> None:
    """One writer: its own connection, `count` one-event appends to its own stream."""
    from django.db import connection

    from events.store import ANY, append

    try:
        connection.ensure_connection()  # connecting is not part of the measurement
        start.wait()
        for n in range(count):
            append(stream, [new_event(n)], ANY)
    except BaseException:
        start.abort()  # release the others rather than leave them waiting at the barrier
        raise
    finally:
        connection.close()


def measure_single_appends(writers: int) -> Measurement:
    count = SINGLE_APPENDS_PER_RUN // writers
    start = threading.Barrier(writers + 1)
    with ThreadPoolExecutor(max_workers=writers) as pool:
        futures = [
            pool.submit(write_singles, f"bench:single:{writers}:{index}", count, start)
            for index in range(writers)
        ]
        try:
            start.wait()
        except threading.BrokenBarrierError:
            for future in futures:
                future.result()  # raises the writer's own error
            raise
        began = time.perf_counter()
        for future in futures:
            future.result()
        seconds = time.perf_counter() - began
    noun = "writer" if writers == 1 else "writers"
    measurement = Measurement(f"single appends, {writers} {noun}", count * writers, seconds)
    if writers == 4:
        measurement.aim = ">= 300/s"
        measurement.met = measurement.per_second >= 300
    return measurement


# --- batch appends and the COPY floor ------------------------------------------------------


def measure_batch_appends() -> Measurement:
    from events.store import ANY, append

    batches = [[new_event(n) for n in range(BATCH_SIZE)] for _ in range(BATCH_CALLS)]
    began = time.perf_counter()
    for index, events in enumerate(batches):
        append(f"bench:batch:{index}", events, ANY)
    seconds = time.perf_counter() - began
    return Measurement(f"batch appends, {BATCH_SIZE:,} per call", BATCH_SIZE * BATCH_CALLS, seconds)


def copy_rows(stream: str) -> list[tuple]:
    """One batch of rows exactly as `append` would store them: same content, meta and hashes."""
    from psycopg.types.json import Jsonb

    from events.canonical import GENESIS_HASH, chain_hash, event_content, plain_json

    ids = [uuid.uuid4() for _ in range(BATCH_SIZE)]
    meta = {"correlation_id": str(ids[0])}
    recorded_at = datetime.now(UTC)
    prev_hash, rows = GENESIS_HASH, []
    for version, event_id in enumerate(ids, start=1):
        fields = {
            "stream": stream,
            "version": version,
            "event_id": event_id,
            "type": EVENT_TYPE,
            "schema": 1,
            "data": plain_json(sample_data(version - 1)),
            "meta": meta,
            "recorded_at": recorded_at,
        }
        digest = chain_hash(prev_hash, event_content(**fields))
        rows.append(
            (
                *(fields[column] for column in COPY_COLUMNS[:5]),
                Jsonb(fields["data"]),
                Jsonb(fields["meta"]),
                recorded_at,
                prev_hash,
                digest,
            )
        )
        prev_hash = digest
    return rows


def measure_copy() -> Measurement:
    """COPY the batches' rows, one transaction per batch like the appends.

    The scratch table is an ordinary (WAL-logged) table with events_event's columns and indexes,
    so the comparison is append machinery against the bare cost of storing the same rows.
    """
    from django.db import connection, transaction

    batches = [copy_rows(f"bench:copy:{index}") for index in range(BATCH_CALLS)]
    statement = f"COPY bench_copy_scratch ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_copy_scratch (LIKE events_event INCLUDING ALL)")
    try:
        began = time.perf_counter()
        for rows in batches:
            with (
                transaction.atomic(),
                connection.cursor() as cursor,
                cursor.copy(statement) as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        seconds = time.perf_counter() - began
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_copy_scratch")
    return Measurement("raw COPY, same rows (floor)", BATCH_SIZE * BATCH_CALLS, seconds)


def compare_with_copy(batch: Measurement, copy: Measurement) -> None:
    batch.ratio = batch.per_second / copy.per_second
    batch.aim = ">= 0.5x COPY"
    batch.met = batch.ratio >= 0.5


# --- projector catch-up --------------------------------------------------------------------


def measure_catch_up() -> Measurement:
    """Replay the whole log into the `streams` read model from checkpoint 0."""
    from events.models import ProjectorState, StreamSummary
    from events.projections import catch_up

    ProjectorState.objects.filter(name="streams").delete()
    StreamSummary.objects.all().delete()
    began = time.perf_counter()
    result = catch_up("streams", force=True)
    seconds = time.perf_counter() - began
    if result.status != "caught_up":
        raise RuntimeError(f"the streams projector did not catch up: {result}")
    measurement = Measurement("projector catch-up (streams)", result.applied, seconds)
    measurement.aim = ">= 5,000/s"
    measurement.met = measurement.per_second >= 5_000
    return measurement


# --- report --------------------------------------------------------------------------------


def machine_facts() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    return (
        f"nproc {len(os.sched_getaffinity(0))}, PostgreSQL {version} "
        "(throwaway cluster: fsync=off, synchronous_commit=off), "
        f"Python {sys.version.split()[0]}"
    )


def print_table(measurements: list[Measurement], facts: str) -> None:
    header = ("measurement", "events", "seconds", "events/s", "vs COPY", "aim", "result")
    rows = [
        (
            m.name,
            f"{m.events:,}",
            f"{m.seconds:.2f}",
            f"{m.per_second:,.0f}",
            "" if m.ratio is None else f"{m.ratio:.2f}x",
            m.aim,
            {True: "met", False: "MISSED", None: ""}[m.met],
        )
        for m in measurements
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    left_aligned = {0, 5, 6}

    def line(cells) -> str:
        return "  ".join(
            cell.ljust(width) if i in left_aligned else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    print()
    print(facts)
    print(line(header))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))


def run() -> None:
    from events.store import ANY, append

    # Warm up imports, the connection and query plans; these events are replayed too.
    for n in range(20):
        append("bench:warmup", [new_event(n)], ANY)
    measurements = [measure_single_appends(writers) for writers in WRITER_COUNTS]
    batch, copy = measure_batch_appends(), measure_copy()
    compare_with_copy(batch, copy)
    measurements += [batch, copy, measure_catch_up()]
    print_table(measurements, machine_facts())


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="codeledger-bench-"))
    server = PostgresServer(base=base / "postgres")
    try:
        server.start()
        configure_django(server.url)
        from django.db import connections

        try:
            run()
        finally:
            connections.close_all()  # before the server goes away
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
