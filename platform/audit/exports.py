"""Exports of a filtered change log as CSV or JSON Lines, streamed with constant memory.

Rows come in position order, read in keyset batches (never the whole result at once), and are
written to the response one batch at a time. Each row carries the event's position, id and
hashes; a JSON Lines row also carries the full event (stream, version, type, schema, data, meta,
recorded_at) so that anyone can recompute its hash: sha256(prev_hash + canonical JSON of the
event), see docs/audit.md.
"""

import csv
import io
import json
from collections.abc import Iterator

from django.db.models import QuerySet

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
_FETCH = (
    "pk",
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
    "event__event_id",
    "event__prev_hash",
    "event__hash",
)
_FETCH_FULL = (*_FETCH, "event__schema", "event__data", "event__meta")


def _batches(rows: QuerySet, fields: tuple[str, ...]) -> Iterator[list[tuple]]:
    rows = rows.order_by("pk")
    after = 0
    while True:
        batch = list(rows.filter(pk__gt=after).values_list(*fields)[:BATCH])
        if batch:
            yield batch
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
    for batch in _batches(rows, _FETCH):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(
            (
                position,
                canonical_time(recorded_at),
                type_,
                actor,
                system,
                code,
                _text(change_request),
                _text(release_id),
                summary,
                stream,
                version,
                str(event_id),
                prev_hash,
                hash_,
            )
            for (
                position,
                recorded_at,
                type_,
                actor,
                system,
                code,
                change_request,
                release_id,
                summary,
                stream,
                version,
                event_id,
                prev_hash,
                hash_,
            ) in batch
        )
        yield buffer.getvalue()


def jsonl_chunks(rows: QuerySet) -> Iterator[str]:
    dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
    for batch in _batches(rows, _FETCH_FULL):
        lines = []
        for (
            position,
            recorded_at,
            type_,
            actor,
            system,
            code,
            change_request,
            release_id,
            summary,
            stream,
            version,
            event_id,
            prev_hash,
            hash_,
            schema,
            data,
            meta,
        ) in batch:
            lines.append(
                dumps(
                    {
                        "position": position,
                        "summary": summary,
                        "actor": actor,
                        "system": system,
                        "code": code,
                        "change_request": _text(change_request) or None,
                        "release_id": _text(release_id) or None,
                        "event": {
                            "stream": stream,
                            "version": version,
                            "event_id": str(event_id),
                            "type": type_,
                            "schema": schema,
                            "data": data,
                            "meta": meta,
                            "recorded_at": canonical_time(recorded_at),
                        },
                        "prev_hash": prev_hash,
                        "hash": hash_,
                    }
                )
            )
        lines.append("")
        yield "\n".join(lines)


def chunks(rows: QuerySet, fmt: str) -> Iterator[str]:
    return csv_chunks(rows) if fmt == "csv" else jsonl_chunks(rows)
