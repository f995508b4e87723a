"""Importing one year's Alphabetic Index as official content, through the event log.

The file's entries are built into the index a coder reads (paths, resolved references: see
alphabetic_index.resolution) and their codes checked against the tabular list in force
(alphabetic_index.tabular); then the release is recorded on its own stream `index:<id>`:
`IndexReleaseImported` and the entries in chunks of 500 (`IndexEntriesListed`), in one atomic
append. Its id derives from (system, release label), and each event id from the release id and
its place, so importing the same release again writes nothing; the same label with different
content is refused. The first index of a system is in force at once; a later release is
compared with the one in force and proposed for review (alphabetic_index.actions), or, when it
states nothing different, nothing is recorded.
"""

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from alphabetic_index.domain import IndexHistory, evolve_history
from alphabetic_index.events import (
    INDEX_DECISION_TYPES,
    IndexEntriesListed,
    IndexReleaseImported,
)
from alphabetic_index.readers import SourceEntry
from alphabetic_index.resolution import (
    build_entries,
    change_counts,
    check_codes,
    compare,
    content_digest,
    index_counts,
)
from alphabetic_index.tabular import code_checker, codes_in_force
from codeledger.domain import SYSTEM_ACTOR
from codes.streams import INDEX, index_stream
from codes.systems import get_system
from events.decider import fold
from events.models import Event
from events.registry import decode
from events.store import (
    NO_STREAM,
    NewEvent,
    StreamAppend,
    append_streams,
    lock_appends,
    read_stream,
)

INDEX_NAMESPACE = uuid.UUID("0b7c3e52-3f0e-4b55-9d8e-51a2f0c7d1a4")
ENTRIES_PER_EVENT = 500


class IndexImportRefused(ValueError):
    """The index cannot be imported (a release label reused for different content)."""


@dataclass
class IndexImportSummary:
    release_id: str
    system: str
    source: str
    release: str
    status: str  # in_force | proposed | already_imported | no_differences
    counts: dict = field(default_factory=dict)
    changes: dict | None = None
    events_written: int = 0
    seconds: float = 0.0


def release_id_for(*, system: str, release: str) -> str:
    """The same release of a system's index always has the same id (re-imports are no-ops)."""
    return str(uuid.uuid5(INDEX_NAMESPACE, f"index|{system}|{release}"))


def index_history() -> IndexHistory:
    """Every index release and its status, folded from the event log itself (not from the
    read model, which may lag behind)."""
    rows = (
        Event.objects.filter(stream__startswith=f"{INDEX}:", type__in=sorted(INDEX_DECISION_TYPES))
        .order_by("position")
        .values_list("type", "schema", "data")
    )
    return fold(evolve_history, IndexHistory(), (decode(*row) for row in rows))


def release_entries(release_id: str) -> list[dict]:
    """A recorded release's entries, in document order, from its stream."""
    return [
        entry
        for recorded in read_stream(index_stream(release_id))
        if isinstance(recorded.event, IndexEntriesListed)
        for entry in recorded.event.entries
    ]


def _events(release_id: str, imported: IndexReleaseImported, entries: list[dict]) -> list[NewEvent]:
    chunks = [
        IndexEntriesListed(release_id, entries[start : start + ENTRIES_PER_EVENT])
        for start in range(0, len(entries), ENTRIES_PER_EVENT)
    ]
    namespace = uuid.UUID(release_id)
    return [
        NewEvent.of(event, event_id=uuid.uuid5(namespace, str(number)))
        for number, event in enumerate([imported, *chunks])
    ]


def index_import(
    entries: Iterable[SourceEntry],
    *,
    system: str = "icd10cm",
    release: str,
    source: str,
    effective_from: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> IndexImportSummary:
    """Record one release of a system's index (see the module docstring); `progress(step)`
    names each step as it starts."""
    get_system(system)
    started = time.perf_counter()
    step = progress or (lambda name: None)
    entries = list(entries)
    release_id = release_id_for(system=system, release=release)
    summary = IndexImportSummary(release_id, system, source, release, "already_imported")
    digest = content_digest(entries)
    recorded = read_stream(index_stream(release_id), to_version=1)
    if recorded:
        first = recorded[0].event
        if first.digest != digest:
            raise IndexImportRefused(
                f"release {release} of the {system} index was imported before from "
                f"{first.source} with different content: import this file under another "
                "release label (--release)"
            )
        summary.counts, summary.changes = first.counts, first.changes
        summary.seconds = time.perf_counter() - started
        return summary

    step("resolving references")
    built = build_entries(entries)
    step("checking codes against the tabular list")
    check_codes(built, code_checker(system, codes_in_force(system)))
    summary.counts = index_counts(built)
    step("recording")
    meta = {"actor": SYSTEM_ACTOR.username, "source": source, "release": release}
    with transaction.atomic():
        lock_appends()  # which release is in force cannot change until this one is recorded
        base = index_history().in_force(system)
        if base is not None:
            summary.changes = change_counts(compare(release_entries(base.release_id), built))
            if not any(summary.changes.values()):
                summary.status = "no_differences"
                summary.seconds = time.perf_counter() - started
                return summary
        imported = IndexReleaseImported(
            release_id=release_id,
            system=system,
            source=source,
            release=release,
            proposer=SYSTEM_ACTOR.username,
            digest=digest,
            counts=summary.counts,
            in_force=base is None,
            base_release_id=base.release_id if base else None,
            changes=summary.changes,
            effective_from=effective_from.isoformat() if effective_from else None,
        )
        events = _events(release_id, imported, built)
        result = append_streams(
            [StreamAppend(index_stream(release_id), events, NO_STREAM)], meta=meta
        )
    if result.written:  # else a concurrent import of the same release recorded it first
        summary.status = "in_force" if base is None else "proposed"
        summary.events_written = len(events)
    summary.seconds = time.perf_counter() - started
    return summary
