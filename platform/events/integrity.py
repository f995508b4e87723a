"""Chain verification, digests, and export/import of the log as JSON Lines with hashes."""

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from events.canonical import GENESIS_HASH, canonical_time, chain_hash, event_content, plain_json
from events.models import Event, Seal
from events.sealing import UnknownKey, current_key_id, matches, seal_head
from events.sealing import mac as seal_mac
from events.store import (
    RecordedEvent,
    announce_on_commit,
    head_hash,
    head_position,
    iter_all,
    lock_appends,
)


@dataclass(frozen=True)
class Digest:
    """A saved head of the log: later logs must still contain this event at this position.

    `mac` (under seal key `key_id`, events.sealing) proves that this instance issued it, so a
    digest forged to match a cut or rewritten log is refused; digests saved before digests
    carried one are still accepted for what they prove (the event is in the log)."""

    position: int
    hash: str
    taken_at: str = ""
    key_id: str = ""
    mac: str = ""

    @classmethod
    def parse(cls, text: str) -> "Digest":
        try:
            raw = json.loads(text)
            return cls(
                position=int(raw["position"]),
                hash=str(raw["hash"]),
                taken_at=str(raw.get("taken_at", "")),
                key_id=str(raw.get("key_id", "")),
                mac=str(raw.get("mac", "")),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f"not a digest ({error}): expected JSON with position and hash"
            ) from None

    @classmethod
    def issued(cls, position: int, hash: str, taken_at: str) -> "Digest":
        """A digest of this head, with this instance's MAC under the current seal key."""
        key_id = current_key_id()
        return cls(
            position,
            hash,
            taken_at,
            key_id,
            seal_mac("digest", position, hash, taken_at, key_id=key_id),
        )

    def authentic(self) -> bool | None:
        """True or False when the digest carries a MAC, None when it carries none."""
        if not self.mac:
            return None
        try:
            return matches(
                "digest",
                self.position,
                self.hash,
                self.taken_at,
                key_id=self.key_id,
                given=self.mac,
            )
        except UnknownKey:
            return False

    def to_json(self) -> str:
        return json.dumps(
            {
                "position": self.position,
                "hash": self.hash,
                "taken_at": self.taken_at,
                "key_id": self.key_id,
                "mac": self.mac,
            },
            indent=2,
        )


@dataclass(frozen=True)
class Problem:
    position: int
    # content_altered | event_missing | order_changed | digest_mismatch | digest_forged |
    # unsealed | seal_mismatch | seal_forged | seal_orphaned
    kind: str
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
        return Digest.issued(self.head_position, self.head_hash, canonical_time(timezone.now()))


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
    """Walk the chain in position order, with the seals beside it; name the first event that
    does not fit, or the first seal that does not (events.sealing)."""
    prev_hash, prev_position, count, digest_found = GENESIS_HASH, 0, 0, False
    sealed_to = 0  # the position of the last seal verified

    def failed(problem: Problem) -> Verification:
        return Verification(count, prev_position, prev_hash, problem)

    if digest and digest.authentic() is False:
        return failed(
            Problem(
                digest.position,
                "digest_forged",
                f"the digest's MAC does not match (key {digest.key_id or 'none'}): this instance "
                "did not issue it",
            )
        )
    seals = Seal.objects.order_by("position").values_list("position", "hash", "key_id", "mac")
    seals = iter(seals.iterator(chunk_size=2000))
    seal = next(seals, None)
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
        if seal is not None and seal[0] < event.position:  # a seal with no event there
            return failed(_orphaned(seal))
        if seal is not None and seal[0] == event.position:
            if problem := _seal_problem(seal, event.hash):
                return failed(problem)
            seal = next(seals, None)
            sealed_to = event.position
        if digest and event.hash == digest.hash:
            # Found by its hash, not its position: an imported copy of the log may number
            # its events differently and still extend the digest.
            digest_found = True
        prev_hash, prev_position, count = event.hash, event.position, count + 1
        if progress:
            progress(1)
    if seal is not None:
        return failed(_orphaned(seal))
    if count and sealed_to != prev_position:
        after = f"after position {sealed_to}" if sealed_to else "anywhere"
        return failed(
            Problem(
                prev_position,
                "unsealed",
                f"the log's head carries no seal (none {after}): events were appended without "
                "the seal key",
            )
        )
    if digest and not digest_found:
        return failed(
            Problem(
                digest.position,
                "digest_mismatch",
                "the digest's event is not in the log (history was cut or rewritten)",
            )
        )
    return Verification(count, prev_position, prev_hash)


def _seal_problem(seal: tuple, event_hash: str) -> Problem | None:
    position, sealed_hash, key_id, given = seal
    if sealed_hash != event_hash:
        return Problem(
            position,
            "seal_mismatch",
            "the event here is not the one that was sealed: the log was rewritten and re-hashed",
        )
    try:
        authentic = matches("seal", position, sealed_hash, key_id=key_id, given=given)
    except UnknownKey:
        return Problem(
            position,
            "seal_forged",
            f"sealed with key {key_id!r}, which is not in EVENT_SEAL_KEYS (an old key must stay "
            "listed to verify what it sealed)",
        )
    if not authentic:
        return Problem(position, "seal_forged", f"the seal's MAC does not match key {key_id!r}")
    return None


def _orphaned(seal: tuple) -> Problem:
    return Problem(
        seal[0],
        "seal_orphaned",
        "a seal names an event that is not in the log (history was cut)",
    )


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
            seal_head(head_position(), expected_prev)
            announce_on_commit()
    return ImportResult(read=read, written=written, skipped=skipped)
