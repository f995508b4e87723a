"""Chain verification, digests, and export/import of the log as JSON Lines with hashes."""

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from events.canonical import GENESIS_HASH, canonical_time, chain_hash, event_content, plain_json
from events.models import Event
from events.store import (
    RecordedEvent,
    announce_on_commit,
    head_hash,
    iter_all,
    lock_appends,
)


@dataclass(frozen=True)
class Digest:
    """A saved head of the log: later logs must still contain this event at this position."""

    position: int
    hash: str
    taken_at: str = ""

    @classmethod
    def parse(cls, text: str) -> "Digest":
        try:
            raw = json.loads(text)
            return cls(
                position=int(raw["position"]),
                hash=str(raw["hash"]),
                taken_at=str(raw.get("taken_at", "")),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f"not a digest ({error}): expected JSON with position and hash"
            ) from None

    def to_json(self) -> str:
        return json.dumps(
            {"position": self.position, "hash": self.hash, "taken_at": self.taken_at}, indent=2
        )


@dataclass(frozen=True)
class Problem:
    position: int
    kind: str  # content_altered | event_missing | order_changed | digest_mismatch
    detail: str

    def __str__(self):
        return f"position {self.position}: {self.kind.replace('_', ' ')}: {self.detail}"


@dataclass(frozen=True)
class Verification:
    count: int
    head_position: int
    head_hash: str
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def digest(self) -> Digest:
        return Digest(self.head_position, self.head_hash, canonical_time(timezone.now()))


def content_of(event: RecordedEvent) -> dict:
    return event_content(
        stream=event.stream,
        version=event.version,
        event_id=event.event_id,
        type=event.type,
        schema=event.schema,
        data=event.data,
        meta=event.meta,
        recorded_at=event.recorded_at,
    )


def verify_chain(
    *, digest: Digest | None = None, progress: Callable[[int], None] | None = None
) -> Verification:
    """Walk the chain in position order; name the first event that does not fit."""
    prev_hash, prev_position, count, digest_found = GENESIS_HASH, 0, 0, False

    def failed(problem: Problem) -> Verification:
        return Verification(count, prev_position, prev_hash, problem)

    for event in iter_all():
        if chain_hash(event.prev_hash, content_of(event)) != event.hash:
            return failed(
                Problem(
                    event.position,
                    "content_altered",
                    f"{event.stream}@{event.version} ({event.type}) does not match "
                    f"its stored hash {event.hash[:16]}…",
                )
            )
        if event.prev_hash != prev_hash:
            linked = Event.objects.filter(hash=event.prev_hash).values_list("position", flat=True)
            if linked.first() is not None:
                return failed(
                    Problem(
                        event.position,
                        "order_changed",
                        f"this event was written after position {linked.first()}, "
                        f"but follows position {prev_position}",
                    )
                )
            return failed(
                Problem(
                    event.position,
                    "event_missing",
                    f"the event written before it (after position {prev_position}) is missing",
                )
            )
        if digest and event.hash == digest.hash:
            # Found by its hash, not its position: an imported copy of the log may number
            # its events differently and still extend the digest.
            digest_found = True
        prev_hash, prev_position, count = event.hash, event.position, count + 1
        if progress:
            progress(1)
    if digest and not digest_found:
        return failed(
            Problem(
                digest.position,
                "digest_mismatch",
                "the digest's event is not in the log (history was cut or rewritten)",
            )
        )
    return Verification(count, prev_position, prev_hash)


# --- export / import --------------------------------------------------------------------


def export_lines(events: Iterable[RecordedEvent] | None = None) -> Iterator[str]:
    """One JSON object per event, with its position and hashes (JSON Lines, streamed)."""
    for event in iter_all() if events is None else events:
        row = {
            **content_of(event),
            "position": event.position,
            "prev_hash": event.prev_hash,
            "hash": event.hash,
        }
        yield json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n"


class ImportRefused(ValueError):
    """The input is not a valid continuation of this log; nothing was imported."""


@dataclass(frozen=True)
class ImportResult:
    read: int
    written: int
    skipped: int


def import_lines(
    lines: Iterable[str], *, batch_size: int = 1000, progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Import exported events, keeping their ids, times, meta and hashes.

    Every line is checked against its hash and its predecessor; events already stored (same id
    and hash) are skipped, so importing twice changes nothing. New events must continue this
    log's chain. All or nothing: one transaction.
    """
    read = written = skipped = 0
    with transaction.atomic():
        lock_appends()
        expected_prev = None  # the hash the next new event must link to
        prev_line_hash = GENESIS_HASH
        pending: list[Event] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            read += 1
            try:
                raw = json.loads(line)
                fields = {
                    "stream": raw["stream"],
                    "version": int(raw["version"]),
                    "event_id": raw["event_id"],
                    "type": raw["type"],
                    "schema": int(raw["schema"]),
                    "data": plain_json(raw["data"]),
                    "meta": plain_json(raw["meta"]),
                    "recorded_at": datetime.fromisoformat(raw["recorded_at"]),
                }
                prev_hash, digest = raw["prev_hash"], raw["hash"]
            except (ValueError, KeyError, TypeError) as error:
                raise ImportRefused(f"line {number}: not an exported event ({error})") from None
            if chain_hash(prev_hash, event_content(**fields)) != digest:
                raise ImportRefused(
                    f"line {number} (position {raw.get('position')}): content "
                    "does not match its hash: the input was altered"
                )
            if prev_hash != prev_line_hash:
                raise ImportRefused(
                    f"line {number} (position {raw.get('position')}): does not "
                    "follow the line before it: an event is missing or moved"
                )
            prev_line_hash = digest
            existing = (
                Event.objects.filter(event_id=fields["event_id"])
                .values_list("hash", flat=True)
                .first()
            )
            if existing is not None:
                if existing != digest:
                    raise ImportRefused(
                        f"line {number}: event {fields['event_id']} is stored "
                        "here with different content"
                    )
                skipped += 1
                continue
            if expected_prev is None:
                expected_prev = head_hash()
            if prev_hash != expected_prev:
                raise ImportRefused(
                    f"line {number} (position {raw.get('position')}): does not "
                    "continue this log's chain (its head differs)"
                )
            pending.append(Event(**fields, prev_hash=prev_hash, hash=digest))
            expected_prev = digest
            if len(pending) >= batch_size:
                Event.objects.bulk_create(pending)
                written += len(pending)
                pending = []
            if progress:
                progress(1)
        Event.objects.bulk_create(pending)
        written += len(pending)
        if written:
            announce_on_commit()
    return ImportResult(read=read, written=written, skipped=skipped)
