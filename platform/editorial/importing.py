"""Loading a code set: the first import of a system registers every code, without review.

Each code becomes one `CodeRegistered` event by the system actor, with the source and release in
the event's meta. Event ids are derived from (source, release, code), so re-running an import is
a no-op by the event store's idempotence, and an import cut short resumes where it stopped.
"""

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError

from editorial.domain import CodeState, Invalid, _proposal
from editorial.events import CodeRegistered
from editorial.services import SYSTEM_ACTOR
from editorial.systems import code_stream, get_system
from events.models import Event
from events.store import NO_STREAM, NewEvent, StreamAppend, append_streams

IMPORT_NAMESPACE = uuid.UUID("5f1e8f8a-7c1b-4d0e-9a55-4c6f0b1d2e3a")
BATCH_SIZE = 500


class ImportRefused(ValueError):
    """The import cannot run (unknown source, a code set already loaded, bad data)."""


@dataclass
class ImportSummary:
    system: str
    source: str
    release: str
    codes: int = 0
    events_written: int = 0
    already_present: int = 0
    seconds: float = 0.0


def system_has_codes(system: str) -> bool:
    return Event.objects.filter(stream__startswith=f"code:{system}:").exists()


def registration(code, *, source: str, release: str, effective_from: date | None) -> NewEvent:
    """The event that registers one code, with an id that is the same on every run."""
    try:
        content = _proposal(code.content, CodeState(), is_new=True)
    except Invalid as error:
        raise ImportRefused(
            f"{code.system} {code.code}: {error.message} {error.details.get('errors', '')}"
        ) from None
    event = CodeRegistered(
        system=code.system,
        code=code.code,
        content=content,
        effective_from=effective_from.isoformat() if effective_from else None,
        proposer=SYSTEM_ACTOR.username,
    )
    event_id = uuid.uuid5(IMPORT_NAMESPACE, f"{source}|{release}|{code.system}|{code.code}")
    return NewEvent.of(event, event_id=event_id)


def _checked_stream(code, system: str, **registration_args) -> StreamAppend:
    if code.system != system:
        raise ImportRefused(f"{code.code} belongs to {code.system}, not {system}")
    try:
        display = get_system(system).display(code.code)
    except ValidationError as error:
        raise ImportRefused(f"{code.code}: {error.messages[0]}") from None
    event = registration(code, **registration_args)
    return StreamAppend(code_stream(system, display), [event], NO_STREAM)


def import_codes(
    codes: Callable[[], Iterable],
    *,
    system: str,
    source: str,
    release: str,
    effective_from: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Register every code of a first import, in atomic batches of BATCH_SIZE codes.

    `codes` is called twice: a first pass checks every code, so bad data is refused before
    anything is written; the second pass appends.
    """
    get_system(system)
    checks = {"source": source, "release": release, "effective_from": effective_from}
    for code in codes():
        _checked_stream(code, system, **checks)
    summary = ImportSummary(system=system, source=source, release=release)
    started = time.perf_counter()
    meta = {"actor": SYSTEM_ACTOR.username, "source": source, "release": release}
    batch: list[StreamAppend] = []

    def flush():
        result = append_streams(batch, meta=meta)
        if result.written:
            summary.events_written += len(batch)
        else:
            summary.already_present += len(batch)
        if progress:
            progress(len(batch))
        batch.clear()

    for code in codes():
        batch.append(_checked_stream(code, system, **checks))
        summary.codes += 1
        if len(batch) >= BATCH_SIZE:
            flush()
    if batch:
        flush()
    summary.seconds = time.perf_counter() - started
    return summary
