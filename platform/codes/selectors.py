"""Reads of codes: the read models for today, one stream for any other date or version.

Readers never write: a scheduled change whose day has come is shown from the code's stream
until the periodic task (codes.tasks) brings the row up to date.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from codeledger.domain import NotFound
from codes.content import NOTE_KINDS
from codes.models import CodeEntry, CodeVersion, SectionEntry
from codes.projector import entry_values
from codes.references import named_codes
from codes.sections import SectionState, block_of, block_range, contains, section_view
from codes.state import CodeState, evolve_code
from codes.streams import code_stream, section_stream
from codes.systems import get_system
from codes.timeline import CodeView, code_view
from events.decider import fold
from events.store import read_stream


def load_code(system: str, code: str) -> CodeState:
    """The code's latest state, scheduled changes included: what a proposal is written against
    and what a decision is checked on."""
    return fold(evolve_code, CodeState(), [e.event for e in read_stream(code_stream(system, code))])


def code_current(*, system: str, code: str) -> CodeEntry:
    """The code as in force today. A row whose scheduled change has come into force is
    recomputed from the stream (the same values the projector writes), not saved."""
    display = get_system(system).display(code)
    today = timezone.localdate()
    entry = CodeEntry.objects.filter(system=system, code=display).first()
    if entry is not None and entry.is_due(today):
        values = entry_values(system, display, read_stream(code_stream(system, display)), today)
        entry = CodeEntry(pk=entry.pk, system=system, code=display, **values)
    if entry is None:
        raise NotFound(f"no code {display} in {get_system(system).label}")
    if not entry.in_force:
        raise NotFound(f"{display} comes into force on {entry.next_change_on.isoformat()}")
    return entry


def code_as_of(
    *, system: str, code: str, as_of: date | None = None, known_at: datetime | None = None
) -> CodeView:
    """The content in force on `as_of`, as the platform knew it at `known_at` (one stream)."""
    display = get_system(system).display(code)
    if as_of is None:
        as_of = (known_at or timezone.now()).astimezone(timezone.get_current_timezone()).date()
    view = code_view(read_stream(code_stream(system, display)), as_of=as_of, known_at=known_at)
    if view is None:
        when = f"on {as_of.isoformat()}" + (
            f" as known at {known_at.isoformat()}" if known_at else ""
        )
        raise NotFound(f"{display} was not in force {when}")
    return view


def code_versions(*, system: str, code: str) -> list[CodeVersion]:
    """Every version of a code, oldest first (review.selectors.code_history adds the why)."""
    display = get_system(system).display(code)
    versions = list(CodeVersion.objects.filter(system=system, code=display).order_by("version"))
    if not versions:
        raise NotFound(f"no code {display} in {get_system(system).label}")
    return versions


def code_at_version(*, system: str, code: str, version: int) -> CodeState:
    display = get_system(system).display(code)
    events = read_stream(code_stream(system, display), to_version=version)
    if len(events) < version or version < 1:
        raise NotFound(f"{display} has no version {version}")
    return fold(evolve_code, CodeState(), [e.event for e in events])


# How far up `parent` is followed: ICD-10-CM has at most 6 levels under a category; a longer
# chain is a cycle in edited data.
MAX_ANCESTORS = 10


def code_lineage(
    *, system: str, code: str, as_of: date | None = None, known_at: datetime | None = None
) -> list[tuple[str, dict]]:
    """(code, content) of the code and of each parent code up to its category, nearest first:
    as in force today, or on `as_of` as known at `known_at`. A parent that is not registered
    (or not in force then) ends the chain; chapters and blocks are labels, not codes."""
    dated = as_of is not None or known_at is not None

    def read(display: str) -> tuple[str, dict]:
        if dated:
            view = code_as_of(system=system, code=display, as_of=as_of, known_at=known_at)
            return view.state.code, view.state.content
        entry = code_current(system=system, code=display)
        return entry.code, entry.content

    lineage = [read(code)]
    seen = {lineage[0][0]}
    while len(lineage) <= MAX_ANCESTORS:
        parent = (lineage[-1][1].get("parent") or "").strip()
        try:
            parent_code, content = read(parent) if parent else (None, None)
        except (NotFound, ValidationError):
            break
        if parent_code is None or parent_code in seen:
            break
        seen.add(parent_code)
        lineage.append((parent_code, content))
    return lineage


def section_current(*, system: str, section: str) -> SectionState | None:
    """A chapter or block as in force today, or None. A row whose scheduled event has come into
    force is recomputed from the stream (as codes are), not saved."""
    row = SectionEntry.objects.filter(system=system, section=section).first()
    if row is None:
        return None
    if row.next_change_on is not None and row.next_change_on <= timezone.localdate():
        return section_as_of(system=system, section=section, as_of=timezone.localdate())
    if not row.in_force:
        return None
    return SectionState(system, section, row.level, row.title, row.notes, row.chapter, row.version)


def section_as_of(
    *, system: str, section: str, as_of: date, known_at: datetime | None = None
) -> SectionState | None:
    """A chapter or block as in force on `as_of`, as known at `known_at` (one stream), or None."""
    view = section_view(
        read_stream(section_stream(system, section)), as_of=as_of, known_at=known_at
    )
    return view.state if view else None


def code_sections(
    *,
    system: str,
    content: dict,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> list[SectionState]:
    """The block and the chapter a code's content places it in, nearest first (those that
    are recorded and in force then): the block named in `content["block"]`, the blocks that
    span it (codes.sections.contains), and its chapter."""

    def read(section: str) -> SectionState | None:
        if as_of is None and known_at is None:
            return section_current(system=system, section=section)
        day = (
            as_of or (known_at or timezone.now()).astimezone(timezone.get_current_timezone()).date()
        )
        return section_as_of(system=system, section=section, as_of=day, known_at=known_at)

    block_name = block_of(content.get("block", ""))
    block = read(block_name) if block_name else None
    if block is None:
        return []
    # The blocks that span it, the narrowest first (their names from today's rows: a name
    # never changes, and read() answers None for one not in force then).
    spanning = sorted(
        (
            name
            for name in SectionEntry.objects.filter(
                system=system, level="block", chapter=block.chapter
            ).values_list("section", flat=True)
            if contains(name, block.section)
        ),
        key=lambda name: (block_range(name)[1], [-ord(c) for c in block_range(name)[0]]),
    )
    found = [block, *(read(name) for name in spanning)]
    found.append(read(block.chapter) if block.chapter else None)
    return [section for section in found if section is not None]


def applicable_notes(
    *, system: str, code: str, as_of: date | None = None, known_at: datetime | None = None
) -> list[dict]:
    """Every instructional note that applies to a code: its own, those its parent codes carry
    up to the category, then those of its block and its chapter (ICD-10-CM notes apply to
    everything below them), in the order coders read them: kinds in NOTE_KINDS order, within a
    kind the nearest first (the code, its parents, the block, the blocks that span it, the
    chapter).

    Each note is {"kind", "text", "from", "level", "codes"}: `from` is where it is written (the
    code "S72", the block "S70-S79" or "Chapter 19"), `level` is "code", "block" or "chapter",
    and `codes` lists the codes, ranges and families its text names. A note repeated lower down
    is listed once, from the nearest place. The caller withholds them wherever it withholds
    `notes`."""
    lineage = code_lineage(system=system, code=code, as_of=as_of, known_at=known_at)
    origins = [(written_on, "code", content.get("notes") or {}) for written_on, content in lineage]
    origins += [
        (section.label, section.level, section.notes)
        for section in code_sections(
            system=system, content=lineage[0][1], as_of=as_of, known_at=known_at
        )
    ]
    found, seen = [], set()
    for kind in NOTE_KINDS:
        for written_on, level, notes in origins:
            for text in notes.get(kind, []):
                if (kind, text) in seen:
                    continue
                seen.add((kind, text))
                found.append(
                    {
                        "kind": kind,
                        "text": text,
                        "from": written_on,
                        "level": level,
                        "codes": named_codes(system, text),
                    }
                )
    return found
