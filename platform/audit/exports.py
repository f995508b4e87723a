"""Exports of a filtered change log as CSV or JSON Lines, streamed with constant memory.

Rows come in position order. Each row carries the event's position, id and hashes; a JSON Lines
row also carries the full event (stream, version, type, schema, data, meta, recorded_at) so that
anyone can recompute its hash: sha256(prev_hash + canonical JSON of the event), docs/audit.md.

On PostgreSQL the database renders the rows and streams them with COPY ... TO STDOUT; Python
only relays the bytes (five times the rate of rendering rows in Python, bench/audit.py).
Elsewhere (the embedded SQLite default) rows are read in keyset batches and rendered here.
Either way the export never holds more than one batch.
"""

import csv
import io
import json
from collections.abc import Iterator

from django.db import connection
from django.db.models import F, Func, QuerySet, TextField, Value

from events.canonical import canonical_time

BATCH = 2000
FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}

CSV_COLUMNS = (
    "position",
    "recorded_at",
    "type",
    "actor",
    "system",
    "code",
    "change_request",
    "release_id",
    "summary",
    "stream",
    "version",
    "event_id",
    "prev_hash",
    "hash",
)
# Where each column comes from (LogEntry's own fields, or its event's).
_SOURCES = {
    "position": "pk",
    "event_id": "event__event_id",
    "prev_hash": "event__prev_hash",
    "hash": "event__hash",
    "schema": "event__schema",
    "data": "event__data",
    "meta": "event__meta",
}


# --- anywhere: rows read in keyset batches and rendered here ------------------------------


def _records(rows: QuerySet, columns: tuple[str, ...]) -> Iterator[list[dict]]:
    """The rows as {column: value}, a batch at a time, in position order."""
    fields = [_SOURCES.get(name, name) for name in ("position", *columns)]
    rows = rows.order_by("pk").values_list(*fields)
    after = 0
    while True:
        batch = list(rows.filter(pk__gt=after)[:BATCH])
        if batch:
            yield [dict(zip(("after", *columns), row, strict=True)) for row in batch]
        if len(batch) < BATCH:
            return
        after = batch[-1][0]


def _text(value) -> str:
    return "" if value is None else str(value)


def csv_chunks(rows: QuerySet) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    for batch in _records(rows, CSV_COLUMNS):
        buffer.seek(0)
        buffer.truncate()
        for row in batch:
            row["recorded_at"] = canonical_time(row["recorded_at"])
            writer.writerow([_text(row[name]) for name in CSV_COLUMNS])
        yield buffer.getvalue()


_EVENT = ("stream", "version", "event_id", "type", "schema", "data", "meta", "recorded_at")
_DOMAIN = ("position", "summary", "actor", "system", "code", "change_request", "release_id")


def jsonl_chunks(rows: QuerySet) -> Iterator[str]:
    dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
    for batch in _records(rows, (*_DOMAIN, *_EVENT, "prev_hash", "hash")):
        lines = []
        for row in batch:
            row["recorded_at"] = canonical_time(row["recorded_at"])
            for name in ("event_id", "change_request", "release_id"):
                row[name] = _text(row[name]) or None
            line = {name: row[name] for name in (*_DOMAIN, "prev_hash", "hash")}
            line["event"] = {name: row[name] for name in _EVENT}
            lines.append(dumps(line))
        lines.append("")
        yield "\n".join(lines)


# --- PostgreSQL: rows rendered by the database, streamed by COPY ---------------------------


def _canonical_time(field: str) -> Func:
    """events.canonical.canonical_time, in SQL: 2026-12-01T09:30:00.123456Z."""
    return Func(
        F(field),
        template="to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
        output_field=TextField(),
    )


def _csv_rows(rows: QuerySet) -> QuerySet:
    return rows.order_by("pk").values_list(
        *(
            _canonical_time("recorded_at") if name == "recorded_at" else _SOURCES.get(name, name)
            for name in CSV_COLUMNS
        )
    )


def _json_text(**fields) -> Func:
    """json_build_object(...) as text: PostgreSQL writes JSON text as it goes, without
    building a jsonb value first (Django's JSONObject does; three times slower here)."""
    arguments = [part for key, value in fields.items() for part in (Value(key), value)]
    return Func(*arguments, function="json_build_object", output_field=TextField())


def _jsonl_rows(rows: QuerySet) -> QuerySet:
    line = _json_text(
        position=F("pk"),
        summary=F("summary"),
        actor=F("actor"),
        system=F("system"),
        code=F("code"),
        change_request=F("change_request"),
        release_id=F("release_id"),
        event=_json_text(
            stream=F("event__stream"),
            version=F("event__version"),
            event_id=F("event__event_id"),
            type=F("event__type"),
            schema=F("event__schema"),
            data=F("event__data"),
            meta=F("event__meta"),
            recorded_at=_canonical_time("event__recorded_at"),
        ),
        prev_hash=F("event__prev_hash"),
        hash=F("event__hash"),
    )
    return rows.order_by("pk").values_list(line)


# CSV format with separator and quote characters that JSON text never contains raw (it escapes
# every control character): each line leaves COPY exactly as PostgreSQL wrote it.
_VERBATIM = "(FORMAT csv, DELIMITER E'\\x1f', QUOTE E'\\x1e')"


def _copy_chunks(query: QuerySet, options: str, first: str = "") -> Iterator[bytes]:
    sql, params = query.query.sql_with_params()
    if first:
        yield first.encode()
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY ({sql}) TO STDOUT {options}", params) as copy,
    ):
        for block in copy:
            yield bytes(block)


def chunks(rows: QuerySet, fmt: str) -> Iterator[str | bytes]:
    if connection.vendor == "postgresql":
        if fmt == "csv":
            header = ",".join(CSV_COLUMNS) + "\n"
            return _copy_chunks(_csv_rows(rows), "(FORMAT csv)", header)
        return _copy_chunks(_jsonl_rows(rows), _VERBATIM)
    return csv_chunks(rows) if fmt == "csv" else jsonl_chunks(rows)
