"""Loading a code set: the first import of a system registers every code, without review;
a later release becomes one release change set for review.

Each code becomes one `CodeRegistered` event by the system actor, with the source and release in
the event's meta, in force from the release's effective date (the day of the import is when
CodeLedger learnt it: the event's `recorded_at`, what `known_at` reads). The chapters and blocks
the codes lie in become `SectionRecorded` events (codes.sections) in the same transaction. A
first import is one transaction: a failure leaves nothing to clean up. Event ids are derived
from (source, release, code or section), so re-running a finished import is a no-op.
"""

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import chain

from django.core.exceptions import ValidationError
from django.db import transaction

from codeledger.domain import SYSTEM_ACTOR, Invalid
from codes.content import clean_proposal, empty_content
from codes.events import CodeRegistered, CodeRetired
from codes.sections import SectionState, evolve_section
from codes.state import CodeState, evolve_code
from codes.streams import (
    release_stream,
    section_stream,
    section_streams_prefix,
    system_streams_prefix,
)
from codes.systems import CodeSystem, get_system
from codesets.domain import (
    item_counts,
    listing_events,
    release_items,
    section_events,
    section_recorded,
    sections_of,
)
from codesets.events import ReleaseProposed
from codesets.sources import SourceCode
from events.bulk import cyclic_gc_paused
from events.models import Event
from events.store import (
    NO_STREAM,
    NewEvent,
    StreamAppend,
    append_streams,
    iter_stream_family,
    load_new_streams,
    lock_appends,
    read_stream,
)

IMPORT_NAMESPACE = uuid.UUID("5f1e8f8a-7c1b-4d0e-9a55-4c6f0b1d2e3a")


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
    sections: int = 0  # chapters and blocks recorded by this run


def system_has_codes(system: str) -> bool:
    return Event.objects.filter(stream__startswith=system_streams_prefix(system)).exists()


def first_import_of(system: str, *, source: str, release: str) -> bool:
    """Whether this source and release registered the system's codes (a first import, which
    re-running completes, after an `--only` slice, or leaves as it is)."""
    return Event.objects.filter(
        stream__startswith=system_streams_prefix(system),
        type=CodeRegistered.event_type,
        meta__source=source,
        meta__release=release,
        version=1,
    ).exists()


def registration(code, *, source: str, release: str, effective_from: date | None) -> NewEvent:
    """The event that registers one code, with an id that is the same on every run."""
    try:
        content = clean_proposal(code.content, CodeState().content, is_new=True)
    except Invalid as error:
        raise ImportRefused(
            f"{code.system} {code.code}: {error.message} {error.details.get('errors', '')}"
        ) from None
    # A code's own day (a code-set file's `effective_from`, codesets.files) before the release's.
    effective_from = getattr(code, "effective_from", None) or effective_from
    event = CodeRegistered(
        system=code.system,
        code=code.code,
        content=content,
        effective_from=effective_from.isoformat() if effective_from else None,
        proposer=SYSTEM_ACTOR.username,
    )
    event_id = uuid.uuid5(IMPORT_NAMESPACE, f"{source}|{release}|{code.system}|{code.code}")
    return NewEvent.of(event, event_id=event_id)


def scheduled_retirement(code, *, source: str, release: str) -> NewEvent | None:
    """The retirement a code-set file gives a code of its first release (`retired_on`), as
    the code's second event: in force from that day, scheduled while it is to come."""
    retired_on = getattr(code, "retired_on", None)
    if retired_on is None:
        return None
    event = CodeRetired(
        system=code.system,
        code=code.code,
        effective_from=retired_on.isoformat(),
        proposer=SYSTEM_ACTOR.username,
    )
    key = f"{source}|{release}|{code.system}|{code.code}|retired"
    return NewEvent.of(event, event_id=uuid.uuid5(IMPORT_NAMESPACE, key))


def _checked_stream(code, code_system: CodeSystem, **registration_args) -> StreamAppend:
    """The code's stream and first events. `code_system` is resolved once by the caller: this
    runs inside the event store's COPY (events.store.load_new_streams), where the connection
    can take no other query, so nothing here may read the database (as get_system may)."""
    system = code_system.name
    if code.system != system:
        raise ImportRefused(f"{code.code} belongs to {code.system}, not {system}")
    try:
        display = code_system.display(code.code)
    except ValidationError as error:
        raise ImportRefused(f"{code.code}: {error.messages[0]}") from None
    events = [registration(code, **registration_args)]
    retirement = scheduled_retirement(
        code, source=registration_args["source"], release=registration_args["release"]
    )
    if retirement is not None:
        events.append(retirement)
    # code_stream(system, display), without its get_system.
    return StreamAppend(system_streams_prefix(system) + display, events, NO_STREAM)


def _checked_content(code, code_system: CodeSystem, **registration_args) -> tuple[str, dict]:
    """A release's code checked like a first import's: its display form and cleaned content."""
    append = _checked_stream(code, code_system, **registration_args)
    return append.stream.split(":", 2)[2], {**empty_content(), **append.events[0].data["content"]}


def registered_codes(system: str) -> dict[str, uuid.UUID]:
    """Each code stream of the system -> the id of the event that registered it."""
    rows = Event.objects.filter(stream__startswith=system_streams_prefix(system), version=1)
    return dict(rows.values_list("stream", "event_id"))


def _new_sections(
    sections: list, *, system: str, source: str, release: str, effective_from: date | None
) -> list[StreamAppend]:
    """The first events of the sections not recorded yet (a section recorded before, by this
    import or another, is left as it is: a later edition's changes come with its release)."""
    recorded = set(
        Event.objects.filter(
            stream__startswith=section_streams_prefix(system), version=1
        ).values_list("stream", flat=True)
    )
    appends = []
    for section in sections:
        stream = section_stream(system, section.section)
        if stream in recorded:
            continue
        try:
            event = section_recorded(
                section, effective_from=effective_from.isoformat() if effective_from else None
            )
        except ValidationError as error:
            raise ImportRefused(f"section {section.section}: {error.messages[0]}") from None
        event_id = uuid.uuid5(IMPORT_NAMESPACE, f"{source}|{release}|section|{stream}")
        appends.append(StreamAppend(stream, [NewEvent.of(event, event_id=event_id)], NO_STREAM))
    return appends


def import_codes(
    codes: Callable[[], Iterable],
    *,
    system: str,
    source: str,
    release: str,
    effective_from: date | None = None,
    progress: Callable[[int], None] | None = None,
    sections: Callable[[], Iterable] | None = None,
) -> ImportSummary:
    """Register every code of a first import in one transaction: all of them or none, with
    the chapters and blocks (`sections`: codesets.sources.SourceSection) they lie in.

    A packaged source's codes are read first (its `sections` are found from them all); then,
    holding the append lock, each is checked and its event built as the event store writes the
    one before (events.store.load_new_streams), so checking and storing overlap. Without
    `sections` (a code-set file, read in bounded memory: codesets.files) the codes are read as
    they are written, and none is kept. A bad code anywhere rolls the whole import back. Codes
    that this source and release registered before are left as they are, so a re-run is a
    no-op; a code that was registered otherwise refuses the import (a later edition is
    imported as a release).
    """
    code_system = get_system(system)
    checks = {"source": source, "release": release, "effective_from": effective_from}
    source_codes, wanted_sections = codes(), []
    if sections:
        source_codes = list(source_codes)  # read the package before taking the append lock
        wanted_sections = sections_of(source_codes, sections())
    summary = ImportSummary(system=system, source=source, release=release)
    started = time.perf_counter()
    meta = {"actor": SYSTEM_ACTOR.username, "source": source, "release": release}
    with cyclic_gc_paused(), transaction.atomic():
        lock_appends()
        registered = registered_codes(system)

        def new_codes() -> Iterator[StreamAppend]:
            for code in source_codes:
                summary.codes += 1
                append = _checked_stream(code, code_system, **checks)
                registered_by = registered.get(append.stream)
                if registered_by is None:
                    yield append
                    continue
                if registered_by != append.events[0].event_id:
                    raise ImportRefused(
                        f"{append.stream.split(':', 2)[2]} is registered already, not by "
                        f"{source} {release}: import this code set as a later release"
                    )
                summary.already_present += 1
                if progress:
                    progress(1)

        section_appends = _new_sections(
            wanted_sections,
            system=system,
            source=source,
            release=release,
            effective_from=effective_from,
        )
        summary.sections = len(section_appends)
        # Sections first: the progress bar counts codes, and load_new_streams counts streams.
        result = load_new_streams(
            chain(section_appends, new_codes()),
            meta=meta,
            progress=_skipping(len(section_appends), progress) if progress else None,
        )
    summary.events_written = result.events
    summary.seconds = time.perf_counter() - started
    return summary


def _skipping(count: int, progress: Callable[[int], None]) -> Callable[[int], None]:
    """`progress`, told nothing of the first `count` streams."""
    left = count

    def advance(n: int) -> None:
        nonlocal left
        skipped = min(left, n)
        left -= skipped
        if n > skipped:
            progress(n - skipped)

    return advance


# --- later releases: one change set to review ------------------------------------------------


def release_id_for(*, system: str, source: str, release: str) -> str:
    """The same release of the same source always has the same id (re-imports are no-ops)."""
    return str(uuid.uuid5(IMPORT_NAMESPACE, f"release|{source}|{release}|{system}"))


@dataclass
class ReleaseSummary:
    release_id: str
    system: str
    source: str
    release: str
    status: str  # proposed | already_proposed | no_differences
    counts: dict
    codes: int = 0
    events_written: int = 0
    seconds: float = 0.0
    sections: int = 0  # chapters and blocks the release adds or revises


def current_codes(system: str, progress: Callable[[int], None] | None = None) -> dict:
    """Every code of a system as approved so far (scheduled changes included): code -> state,
    folded from the event log itself, so a lagging read model cannot skew a release's diff."""
    states: dict[str, CodeState] = {}
    for recorded in iter_stream_family(system_streams_prefix(system)):
        code = recorded.stream.split(":", 2)[2]
        states[code] = evolve_code(states.get(code, CodeState()), recorded.event)
        if progress:
            progress(1)
    return states


def current_sections(system: str) -> dict[str, SectionState]:
    """Every chapter and block of a system as recorded so far: section -> state."""
    states: dict[str, SectionState] = {}
    for recorded in iter_stream_family(section_streams_prefix(system)):
        name = recorded.stream.split(":", 2)[2]
        states[name] = evolve_section(states.get(name, SectionState()), recorded.event)
    return states


def propose_release(
    codes: Callable[[], Iterable],
    *,
    system: str,
    source: str,
    release: str,
    provides: Iterable[str],
    effective_from: date | None = None,
    progress: Callable[[int], None] | None = None,
    sections: Callable[[], Iterable] | None = None,
    item_dates: dict[str, dict[str, str]] | None = None,
) -> ReleaseSummary:
    """Diff a later release of a code set against the current state and record it as one
    release change set (a `release:<id>` stream) for review. Nothing touches the codes yet.

    The chapters and blocks (`sections`) the release adds or whose title or notes differ are
    recorded in the same append, in their own streams, with the release's id and effective
    date: official text that no code item carries and no one edits, so they are not items to
    review (docs/code-sets.md).

    `item_dates` (code -> {"added" | "retired": ISO day}) puts an added or retired code's item
    in force from the code's own day, not the release's (a code-set file's dates)."""
    code_system = get_system(system)
    started = time.perf_counter()
    release_id = release_id_for(system=system, source=source, release=release)
    stream = release_stream(release_id)
    existing = read_stream(stream, to_version=1)
    if existing:
        return ReleaseSummary(
            release_id, system, source, release, "already_proposed", existing[0].event.counts or {}
        )
    checks = {"source": source, "release": release, "effective_from": effective_from}
    cleaned = []
    for code in codes():
        cleaned.append(SourceCode(system, *_checked_content(code, code_system, **checks)))
        if progress:
            progress(1)
    items = release_items(current_codes(system), cleaned, provides=provides)
    for item in items:
        day = (item_dates or {}).get(item["code"], {}).get(item["kind"])
        if day:
            item["effective_from"] = day
    counts = item_counts(items)
    try:
        changed_sections = section_events(
            current_sections(system),
            sections_of(cleaned, sections()) if sections else [],
            release_id=release_id,
            effective_from=effective_from.isoformat() if effective_from else None,
        )
    except ValidationError as error:  # a section's notes break the content rules
        raise ImportRefused(f"a chapter or block: {error.messages[0]}") from None
    summary = ReleaseSummary(
        release_id,
        system,
        source,
        release,
        "no_differences",
        counts,
        codes=len(cleaned),
        sections=len(changed_sections),
    )
    if items or changed_sections:
        proposed = ReleaseProposed(
            release_id=release_id,
            system=system,
            source=source,
            release=release,
            proposer=SYSTEM_ACTOR.username,
            effective_from=effective_from.isoformat() if effective_from else None,
            counts=counts,
        )
        events = [proposed, *listing_events(release_id, items)]
        append_streams(
            [
                StreamAppend(
                    stream,
                    [
                        NewEvent.of(event, event_id=uuid.uuid5(uuid.UUID(release_id), str(n)))
                        for n, event in enumerate(events)
                    ],
                    NO_STREAM,
                ),
                *(
                    StreamAppend(
                        section_stream(system, section),
                        [
                            NewEvent.of(
                                event,
                                event_id=uuid.uuid5(uuid.UUID(release_id), f"section|{section}"),
                            )
                        ],
                        version or NO_STREAM,
                    )
                    for section, event, version in changed_sections
                ),
            ],
            meta={"actor": SYSTEM_ACTOR.username, "source": source, "release": release},
        )
        summary.status = "proposed"
        summary.events_written = len(events) + len(changed_sections)
    summary.seconds = time.perf_counter() - started
    return summary
