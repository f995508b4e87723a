"""The event store: append-only, ordered, idempotent, hash-chained (docs/events.md).

Appends are serialised: on PostgreSQL by a transaction-level advisory lock taken before any
position is drawn, on SQLite by IMMEDIATE transactions. So positions are drawn in commit order
and a reader that has seen position N never later finds a committed event below N; positions of
rolled-back appends stay as gaps that nobody waits for.
"""

import enum
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property

import orjson
from django.db import connection, transaction
from django.utils import timezone

from events import registry
from events.bulk import insert_prepared, preparers
from events.canonical import (
    GENESIS_HASH,
    canonical_dumps,
    canonical_time,
    content_json,
    hash_of,
)
from events.context import current_meta
from events.models import Event
from events.sealing import seal_head
from events.signals import events_committed

log = logging.getLogger(__name__)

# Any constant works; it names "the append lock" among the database's advisory locks.
APPEND_LOCK_KEY = 0x436F64654C656467  # "CodeLedg"
MAX_STREAM_LENGTH = 200


class ExpectedVersion(enum.Enum):
    ANY = "any"
    NO_STREAM = "no_stream"
    STREAM_EXISTS = "stream_exists"


ANY = ExpectedVersion.ANY
NO_STREAM = ExpectedVersion.NO_STREAM
STREAM_EXISTS = ExpectedVersion.STREAM_EXISTS


class ConcurrencyError(Exception):
    """The stream is not at the version the writer expected; nothing was written."""

    def __init__(self, stream: str, expected, actual: int):
        self.stream, self.expected, self.actual = stream, expected, actual
        shown = expected.value if isinstance(expected, ExpectedVersion) else expected
        super().__init__(f"stream {stream!r} is at version {actual}, expected {shown}")


class IdempotencyError(Exception):
    """Some of the events were stored before, but not exactly at this place; nothing written."""


@dataclass(frozen=True)
class NewEvent:
    """An event to append: type, JSON data, schema, and optionally its id and extra meta."""

    type: str
    data: dict
    schema: int = 1
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    meta: dict = field(default_factory=dict)

    @classmethod
    def of(cls, event, *, event_id: uuid.UUID | None = None, meta: dict | None = None):
        """A NewEvent from a registered event dataclass instance."""
        name, schema, data = registry.encode(event)
        return cls(
            type=name, data=data, schema=schema, event_id=event_id or uuid.uuid4(), meta=meta or {}
        )


@dataclass(frozen=True)
class StreamAppend:
    stream: str
    events: Sequence
    expected_version: ExpectedVersion | int = ANY


@dataclass(frozen=True)
class RecordedEvent:
    position: int
    stream: str
    version: int
    event_id: uuid.UUID
    type: str
    schema: int
    data: dict
    meta: dict
    recorded_at: datetime
    prev_hash: str
    hash: str

    @cached_property
    def event(self):
        """The event as its registered dataclass (data upcast to the current schema); decoded
        once per record, however often projectors look at it."""
        return registry.decode(self.type, self.schema, self.data)

    def upcast(self) -> "RecordedEvent":
        schema, data = registry.upcast(self.type, self.schema, self.data)
        return self if schema == self.schema else replace(self, schema=schema, data=data)


@dataclass(frozen=True)
class AppendResult:
    positions: list[int]
    versions: dict[str, int]
    written: bool = True

    @property
    def position(self) -> int:
        """The last position of this append (what a reader waits for to read its own write)."""
        return max(self.positions)


RECORD_FIELDS = (
    "position",
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


def _record(row: tuple, *, upcast: bool) -> RecordedEvent:
    recorded = RecordedEvent(*row)
    return recorded.upcast() if upcast else recorded


def _as_new_event(event) -> NewEvent:
    return event if isinstance(event, NewEvent) else NewEvent.of(event)


def lock_appends() -> None:
    """Serialise appends until the end of the current transaction (PostgreSQL; see module doc)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK_KEY])


# The append hot path talks SQL directly on PostgreSQL: one round trip for what it must know
# under the lock, and INSERT ... RETURNING (or COPY for large batches) to write. The ORM path
# below does the same on SQLite. bench/events.py measures the difference. Stream versions are
# read one index probe per stream (a subquery per unnest row): `stream = ANY(...)` let the
# planner pick a sequential scan while a first import fills a table it has no statistics for
# yet (60 ms instead of 3 ms per 500-stream batch).
_PG_STATE_SQL = """
    SELECT 'version', s.stream,
           (SELECT MAX(version) FROM events_event AS e WHERE e.stream = s.stream),
           NULL::text, NULL::bigint
      FROM unnest(%s::varchar[]) AS s(stream)
    UNION ALL
    (SELECT 'head', NULL, NULL, hash::text, NULL FROM events_event ORDER BY position DESC LIMIT 1)
    UNION ALL
    SELECT 'stored', stream, version, event_id::text, position FROM events_event
     WHERE event_id = ANY(%s::uuid[])
"""
_COLUMNS = "stream, version, event_id, type, schema, data, meta, recorded_at, prev_hash, hash"
COPY_THRESHOLD = 50


def _state_under_lock(streams: list[str], ids: list[uuid.UUID]):
    """(current version per stream, head hash, {event_id: stored row}) as committed now."""
    if connection.vendor != "postgresql":
        stored = {
            row["event_id"]: row
            for row in Event.objects.filter(event_id__in=ids).values(
                "event_id", "stream", "version", "position"
            )
        }
        return {s: stream_version(s) for s in streams}, head_hash(), stored
    versions, head, stored = dict.fromkeys(streams, 0), GENESIS_HASH, {}
    with connection.cursor() as cursor:
        # The ids as one array literal: psycopg would adapt a list of UUIDs one by one.
        id_array = "{" + ",".join(i.hex if isinstance(i, uuid.UUID) else str(i) for i in ids) + "}"
        cursor.execute(_PG_STATE_SQL, [streams, id_array])
        for kind, stream, version, text, position in cursor.fetchall():
            if kind == "version":
                versions[stream] = version or 0
            elif kind == "head":
                head = text
            else:
                stored[uuid.UUID(text)] = {
                    "stream": stream,
                    "version": version,
                    "position": position,
                }
    return versions, head, stored


def _insert(rows: list[tuple]) -> list[int]:
    """Write event rows (in _COLUMNS order, data and meta as JSON text); their positions."""
    if connection.vendor != "postgresql":
        objects = _as_objects(rows)
        Event.objects.bulk_create(objects)
        return [event.position for event in objects]
    with connection.cursor() as cursor:
        if len(rows) < COPY_THRESHOLD:
            values = ", ".join(
                ["(%s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s, %s)"] * len(rows)
            )
            cursor.execute(
                f"INSERT INTO events_event ({_COLUMNS}) VALUES {values} RETURNING position",
                [value for row in rows for value in row],
            )
            return [position for (position,) in cursor.fetchall()]
        # Large batches: draw the positions (we hold the append lock, so they are ours, in
        # order), then COPY the rows with them.
        cursor.execute(
            "SELECT setval(seq, nextval(seq) + %s - 1) "
            "FROM pg_get_serial_sequence('events_event', 'position') AS seq",
            [len(rows)],
        )
        (last,) = cursor.fetchone()
        positions = list(range(last - len(rows) + 1, last + 1))
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY events_event (position, {_COLUMNS}) FROM STDIN") as copy,
        ):
            for position, row in zip(positions, rows, strict=True):
                copy.write_row((position, *row))
        return positions


def stream_version(stream: str) -> int:
    """The stream's current version, 0 when it has no events."""
    version = (
        Event.objects.filter(stream=stream)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return version or 0


def head_position() -> int:
    return Event.objects.order_by("-position").values_list("position", flat=True).first() or 0


def head_hash() -> str:
    return (
        Event.objects.order_by("-position").values_list("hash", flat=True).first() or GENESIS_HASH
    )


def _check_expected(stream: str, expected, current: int) -> None:
    if expected is ANY:
        return
    if expected is NO_STREAM or expected == 0:
        ok = current == 0
    elif expected is STREAM_EXISTS:
        ok = current > 0
    elif isinstance(expected, int) and not isinstance(expected, bool) and expected >= 0:
        ok = current == expected
    else:
        raise ValueError(
            f"expected_version must be ANY, NO_STREAM, STREAM_EXISTS or an int >= 0, "
            f"not {expected!r}"
        )
    if not ok:
        raise ConcurrencyError(stream, expected, current)


def _retry_result(batches, stored: dict) -> AppendResult | None:
    """EventStoreDB's idempotence: the very same events at the very same place are a no-op.

    Returns the original result when every event was stored before exactly where this append
    would put it; None when none was; raises IdempotencyError for anything in between.
    """
    if not stored:
        return None
    positions, versions = [], {}
    for stream, events, expected in batches:
        found = [stored.get(event.event_id) for event in events]
        if not all(found):
            raise IdempotencyError(
                f"some events for {stream!r} were stored before and some were not: "
                "a retry must resend exactly the events of the original append"
            )
        first = found[0]["version"]
        in_place = all(
            row["stream"] == stream and row["version"] == first + index
            for index, row in enumerate(found)
        )
        expected_first = {ANY: first, STREAM_EXISTS: first, NO_STREAM: 1}.get(expected)
        if expected_first is None:
            expected_first = expected + 1
        if not in_place or first != expected_first:
            where = ", ".join(f"{row['stream']}@{row['version']}" for row in found)
            raise IdempotencyError(
                f"event ids already stored at {where}: they cannot be stored again at "
                f"{stream!r} (expected version {getattr(expected, 'value', expected)})"
            )
        positions += [row["position"] for row in found]
        versions[stream] = found[-1]["version"]
    return AppendResult(positions=positions, versions=versions, written=False)


def _check_stream_name(stream: str) -> None:
    if not stream or len(stream) > MAX_STREAM_LENGTH:
        raise ValueError(f"stream names are 1 to {MAX_STREAM_LENGTH} characters: {stream!r}")


def _chained_row(stream, version, event, data_json, meta_json, now, now_text, prev_hash) -> tuple:
    """An event's row in _COLUMNS order, its hash chained to `prev_hash` (the row's last item)."""
    content = content_json(
        stream=stream,
        version=version,
        event_id=event.event_id,
        type=event.type,
        schema=event.schema,
        data_json=data_json,
        meta_json=meta_json,
        recorded_at=now_text,
    )
    digest = hash_of(prev_hash, content)
    return (
        stream,
        version,
        event.event_id,
        event.type,
        event.schema,
        data_json,
        meta_json,
        now,
        prev_hash,
        digest,
    )


def append_streams(appends: Sequence[StreamAppend], *, meta: dict | None = None) -> AppendResult:
    """Append to several streams atomically, each checked against its expected version.

    Raises ConcurrencyError (a stream moved) or IdempotencyError (ids reused elsewhere); in
    either case nothing is written.
    """
    batches = [
        (a.stream, [_as_new_event(e) for e in a.events], a.expected_version) for a in appends
    ]
    streams = [stream for stream, _, _ in batches]
    if not batches or any(not events for _, events, _ in batches):
        raise ValueError("an append needs at least one event for each stream")
    if len(set(streams)) != len(streams):
        raise ValueError("each stream may appear only once in an append")
    for stream in streams:
        _check_stream_name(stream)
    ids = [event.event_id for _, events, _ in batches for event in events]
    if len(set(ids)) != len(ids):
        raise IdempotencyError("an append cannot carry the same event id twice")
    base_meta = {**current_meta(), **(meta or {})}
    base_meta.setdefault("correlation_id", str(ids[0]))
    # Clean and serialise before taking the lock: the lock is held only for what needs it.
    base_meta_json = canonical_dumps(base_meta)
    serialised = [
        [
            (
                event,
                canonical_dumps(event.data),
                canonical_dumps({**base_meta, **event.meta}) if event.meta else base_meta_json,
            )
            for event in events
        ]
        for _, events, _ in batches
    ]

    with transaction.atomic():
        lock_appends()
        current, prev_hash, stored = _state_under_lock(streams, ids)
        retried = _retry_result(batches, stored)
        if retried is not None:
            return retried
        # Versions are checked before any position is drawn (the insert draws them).
        for stream, _, expected in batches:
            _check_expected(stream, expected, current[stream])

        now, rows = timezone.now(), []
        now_text = canonical_time(now)
        for (stream, _, _), events in zip(batches, serialised, strict=True):
            for event, data_json, meta_json in events:
                current[stream] += 1
                row = _chained_row(
                    stream, current[stream], event, data_json, meta_json, now, now_text, prev_hash
                )
                rows.append(row)
                prev_hash = row[-1]
        positions = _insert(rows)
        seal_head(positions[-1], prev_hash)
        announce_on_commit()
    return AppendResult(positions=positions, versions=current)


def append(stream: str, events: Sequence, expected_version=ANY, *, meta: dict | None = None):
    """Append events to one stream if it is at `expected_version` (ANY, NO_STREAM,
    STREAM_EXISTS or an exact version)."""
    return append_streams([StreamAppend(stream, events, expected_version)], meta=meta)


@dataclass(frozen=True)
class LoadResult:
    streams: int
    events: int
    last_position: int


LOAD_CHUNK = 500  # rows per bulk_create (SQLite) and per progress report


def load_new_streams(
    appends: Iterable[StreamAppend],
    *,
    meta: dict | None = None,
    progress: Callable[[int], None] | None = None,
) -> LoadResult:
    """Create many new streams in one transaction, all or nothing: a code set's first import.

    Every append starts a new stream (its expected version must be NO_STREAM). `appends` is
    consumed lazily: each event is serialised, chained and written (one COPY on PostgreSQL) as
    it comes, so building rows here and storing them in PostgreSQL run side by side. Anything
    raised while iterating `appends` (bad data) rolls the whole load back, and so does a stream
    or event id that exists already (IntegrityError from the unique constraints).

    The append lock is held to the end (seconds for a large code set, not milliseconds): other
    writers wait, and after lock_timeout get "busy, retry" (docs/events.md, "Bulk loads").
    """
    base_meta = {**current_meta(), **(meta or {})}
    streams = events = 0
    with transaction.atomic():
        lock_appends()
        prev_hash, now = head_hash(), timezone.now()
        now_text = canonical_time(now)

        def rows() -> Iterator[tuple]:
            nonlocal prev_hash, streams, events
            base_meta_json = None
            for append in appends:
                if append.expected_version is not NO_STREAM:
                    raise ValueError(f"a load only starts new streams: {append.stream!r}")
                _check_stream_name(append.stream)
                for version, event in enumerate(map(_as_new_event, append.events), start=1):
                    if base_meta_json is None:  # the load's correlation id: its first event
                        base_meta.setdefault("correlation_id", str(event.event_id))
                        base_meta_json = canonical_dumps(base_meta)
                    meta_json = (
                        canonical_dumps({**base_meta, **event.meta})
                        if event.meta
                        else base_meta_json
                    )
                    row = _chained_row(
                        append.stream,
                        version,
                        event,
                        canonical_dumps(event.data),
                        meta_json,
                        now,
                        now_text,
                        prev_hash,
                    )
                    prev_hash = row[-1]
                    events += 1
                    yield row
                streams += 1
                if progress and streams % LOAD_CHUNK == 0:
                    progress(LOAD_CHUNK)

        _load(rows())
        if progress and streams % LOAD_CHUNK:
            progress(streams % LOAD_CHUNK)
        last_position = head_position()
        if events:
            seal_head(last_position, prev_hash)
            announce_on_commit()
        return LoadResult(streams=streams, events=events, last_position=last_position)


def _load(rows: Iterator[tuple]) -> None:
    """Write rows (in _COLUMNS order, data and meta as JSON text) as they come; the positions
    are drawn by the column's identity default, in order (the caller holds the append lock)."""
    if connection.vendor == "postgresql":
        with (
            connection.wrap_database_errors,  # Django's IntegrityError, as the ORM path raises
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY events_event ({_COLUMNS}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    # SQLite: the rows as they are, data and meta as the JSON text they are (a JSON column's
    # text), the other values prepared as the ORM prepares them; through the ORM (an Event
    # per row, its JSON parsed and written again) this was half of a code set's first import.
    fields = [Event._meta.get_field(name) for name in _COLUMNS.split(", ")]
    preps = [
        (lambda text: text) if field.name in ("data", "meta") else prep
        for field, prep in zip(fields, preparers(fields), strict=True)
    ]
    with connection.wrap_database_errors:
        insert_prepared(Event, fields, preps, rows)


def _as_objects(rows: list[tuple]) -> list[Event]:
    """Unsaved Event instances for rows in _COLUMNS order (the ORM path, for SQLite)."""
    names, objects = _COLUMNS.split(", "), []
    for row in rows:
        fields = dict(zip(names, row, strict=True))
        fields["data"], fields["meta"] = json.loads(fields["data"]), json.loads(fields["meta"])
        objects.append(Event(**fields))
    return objects


def announce_on_commit() -> None:
    """Once the current transaction commits, send `events_committed` (events.signals): the
    store knows nothing of who listens (events/apps.py connects the projection runner)."""
    transaction.on_commit(_announce, robust=True)


def _announce() -> None:
    events_committed.send(sender=Event)


def read_stream(
    stream: str, *, from_version: int = 1, to_version: int | None = None, upcast: bool = True
) -> list[RecordedEvent]:
    """A stream's events in version order, from `from_version` to `to_version` inclusive."""
    rows = Event.objects.filter(stream=stream, version__gte=from_version).order_by("version")
    if to_version is not None:
        rows = rows.filter(version__lte=to_version)
    return [_record(row, upcast=upcast) for row in rows.values_list(*RECORD_FIELDS)]


def read_all(
    *,
    after: int = 0,
    limit: int = 1000,
    types: Sequence[str] | None = None,
    upto: int | None = None,
    upcast: bool = True,
) -> list[RecordedEvent]:
    """The global feed: events after a position, in position order."""
    where, params = ["position > %s"], [after]
    if types is not None:
        if not types:
            return []
        where.append(f"type IN ({', '.join(['%s'] * len(types))})")
        params += list(types)
    if upto is not None:
        where.append("position <= %s")
        params.append(upto)
    return _select(
        f"WHERE {' AND '.join(where)} ORDER BY position LIMIT %s", [*params, limit], upcast
    )


def _select(clauses: str, params: list, upcast: bool) -> list[RecordedEvent]:
    """Events read with one SQL statement, their columns decoded here rather than by the ORM.

    Reading the log is most of a rebuild's reading time, and the ORM's per-value converters
    were most of that: json.loads through the JSONField (a decoder object per value) and
    psycopg's Python parser of timestamps. Here data and meta go straight to orjson, and the
    time comes as microseconds since the epoch (PostgreSQL) or ISO text (SQLite), both turned
    into the same aware UTC datetimes the ORM gives.
    """
    if connection.vendor == "postgresql":
        recorded_at = "(EXTRACT(EPOCH FROM recorded_at) * 1000000)::bigint"
    else:
        recorded_at = "recorded_at"
    columns = ", ".join(recorded_at if name == "recorded_at" else name for name in RECORD_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM events_event {clauses}", params)
        rows = cursor.fetchall()
    records = []
    for position, stream, version, event_id, type_, schema, data, meta, at, prev, digest in rows:
        recorded = RecordedEvent(
            position,
            stream,
            version,
            event_id if isinstance(event_id, uuid.UUID) else uuid.UUID(event_id),
            type_,
            schema,
            _json(data),
            _json(meta),
            _EPOCH + timedelta(microseconds=at) if isinstance(at, int) else _aware(at),
            prev,
            digest,
        )
        records.append(recorded.upcast() if upcast else recorded)
    return records


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _json(value):
    """JSON text (as stored) decoded like events.models.EventJSONDecoder does."""
    if not isinstance(value, str | bytes):
        return value  # a driver that decodes JSON itself
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:  # integers beyond 64 bits: the json module reads them
        return json.loads(value)


def _aware(value) -> datetime:
    """SQLite's stored text ('2026-01-02 03:04:05.678901', UTC) as an aware datetime."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iter_all(*, after: int = 0, chunk_size: int = 2000) -> Iterator[RecordedEvent]:
    """Every stored event as it is stored (no upcasting), streamed with constant memory."""
    while True:
        batch = read_all(after=after, limit=chunk_size, upcast=False)
        yield from batch
        if len(batch) < chunk_size:
            return
        after = batch[-1].position


def read_streams(streams: Sequence[str]) -> dict[str, list[RecordedEvent]]:
    """Several streams at once (one query): stream -> its events in version order."""
    found: dict[str, list[RecordedEvent]] = {stream: [] for stream in streams}
    streams = list(found)
    for start in range(0, len(streams), STREAMS_PER_QUERY):
        some = streams[start : start + STREAMS_PER_QUERY]
        clauses = f"WHERE stream IN ({', '.join(['%s'] * len(some))}) ORDER BY stream, version"
        for recorded in _select(clauses, some, upcast=True):
            found[recorded.stream].append(recorded)
    return found


# SQLite allows 32,766 parameters per statement (since 3.32); batches stay well under.
STREAMS_PER_QUERY = 10000


def iter_stream_family(prefix: str, *, chunk_size: int = 5000) -> Iterator[RecordedEvent]:
    """Every event of the streams whose names start with `prefix`, in position order, streamed
    in chunks (e.g. all code streams of one code system)."""
    after = 0
    while True:
        rows = (
            Event.objects.filter(stream__startswith=prefix, position__gt=after)
            .order_by("position")
            .values_list(*RECORD_FIELDS)[:chunk_size]
        )
        batch = [_record(row, upcast=True) for row in rows]
        yield from batch
        if len(batch) < chunk_size:
            return
        after = batch[-1].position
