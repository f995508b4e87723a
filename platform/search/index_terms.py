"""The Alphabetic Index's terms for the search documents of a batch of codes.

Read from the `alphabetic_index` read model (IndexEntry of the release in force), in one query
per code system for a whole batch, never one per code: an entry counts for the code whose page
it leads to (`attached_code`: its own code, or the end of its see-chain, "Bedwetting" ->
"Enuresis" -> R32).
"""

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from alphabetic_index.models import IndexEntry, IndexRelease
from alphabetic_index.readers import BOOKS
from events.models import ProjectorState
from search.accents import strip_accents

INDEX_PROJECTOR = "alphabetic_index"


def entry_label(path: str, modifiers: str) -> str:
    """The entry as the index prints it: its path, then its non-essential modifiers."""
    return f"{path} {modifiers}".strip() if modifiers else path


@dataclass
class IndexTerms:
    """What the index says of one code: `terms`, the labels of every entry leading to it;
    `main`, those of them that are main terms; `named`, the names of those main terms (the
    code is their default); `heads`, the names of the main terms of every entry leading to it
    (it is the main term's code or one of its subterms')."""

    terms: list[str] = field(default_factory=list)
    main: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)
    heads: list[str] = field(default_factory=list)


# "Pneumothorax NOS", "Pneumopathy NEC": the abbreviation is no part of the name people type.
_QUALIFIER = re.compile(r"\s+(?:nos|nec)$")


def term_names(title: str) -> list[str]:
    """The names a main term goes by, folded and lowercased: its title, and each of the
    alternative forms its title lists ("Diabetes, diabetic": "diabetes", "diabetic"; "Hiccup,
    hiccough"). An alternative is a form of the first word (same first four letters): "Fracture,
    traumatic" is one name, not "traumatic" too."""
    folded = _QUALIFIER.sub("", " ".join(strip_accents(title).lower().split()))
    names = [folded]
    first, *others = folded.split(", ")
    if others and all(other[:4] == first[:4] for other in others):
        names += [first, *others]
    return list(dict.fromkeys(names))


def index_terms_for(codes: Iterable[tuple[str, str]]) -> dict[tuple[str, str], IndexTerms]:
    """(system, code) -> IndexTerms: the entries leading to the code, in the index's order."""
    by_system: dict[str, set[str]] = defaultdict(set)
    for system, code in codes:
        by_system[system].add(code)
    return _index_terms(by_system)


def all_index_terms() -> dict[tuple[str, str], IndexTerms]:
    """index_terms_for every code the index of each system names, in one pass per release: a
    rebuild asks once instead of per batch (a query naming 5,000 codes per batch of codes)."""
    systems = IndexRelease.objects.filter(status="in_force").values_list("system", flat=True)
    return _index_terms(dict.fromkeys(systems))


def _index_terms(by_system: dict) -> dict[tuple[str, str], IndexTerms]:
    """The terms of the codes of each system (`by_system[system]`; None: every code)."""
    found: dict[tuple[str, str], IndexTerms] = {}
    releases = IndexRelease.objects.filter(
        system__in=list(by_system), status="in_force"
    ).values_list("system", "release_id", "digest")
    for system, release_id, digest in releases:
        main_terms = _main_terms(release_id, digest)
        rows = IndexEntry.objects.filter(release_id=release_id)
        if by_system[system] is None:
            rows = rows.exclude(attached_code="")
        else:
            rows = rows.filter(attached_code__in=sorted(by_system[system]))
        rows = rows.order_by("n").values_list("attached_code", "n", "path", "modifiers")
        for code, n, path, modifiers in rows.iterator(chunk_size=5000):
            terms = found.setdefault((system, code), IndexTerms())
            label = entry_label(path, modifiers)
            terms.terms.append(label)
            head = main_terms.head(n)
            if main_terms.is_main(n):
                terms.main.append(label)
                terms.named.extend(name for name in head if name not in terms.named)
            terms.heads.extend(name for name in head if name not in terms.heads)
    return found


@dataclass
class _MainTerms:
    """The main terms of a release in document order: an entry belongs to the nearest one at
    or before it. In a later book of the index (the External Cause Index, the tables), the
    main terms are the book's own ("Wasp (sting)"), one level under the book's title."""

    numbers: list[int]
    names: list[list[str]]

    def is_main(self, n: int) -> bool:
        at = bisect.bisect_left(self.numbers, n)
        return at < len(self.numbers) and self.numbers[at] == n

    def head(self, n: int) -> list[str]:
        at = bisect.bisect_right(self.numbers, n) - 1
        return self.names[at] if at >= 0 else []


_MAIN_TERMS: dict = {}


def _main_terms(release_id, digest: str) -> _MainTerms:
    """Read once per release and process: a release's entries never change (a later year is
    another release). Keyed by the entries' digest too: a release's id is its system and name
    ("FY2025"), which another database (a restore, a test) may hold with other entries."""
    key = (release_id, digest)
    if key not in _MAIN_TERMS:
        rows = (
            IndexEntry.objects.filter(release_id=release_id, level__lte=1)
            .order_by("n")
            .values_list("n", "level", "title")
        )
        numbers, names, in_book = [], [], False
        for n, level, title in rows.iterator(chunk_size=5000):
            if level == 0:
                in_book = title in BOOKS
            if level == int(in_book):
                numbers.append(n)
                names.append(term_names(title))
        _MAIN_TERMS[key] = _MainTerms(numbers, names)
    return _MAIN_TERMS[key]


def codes_named(events) -> set[tuple[str, str]]:
    """The codes whose index terms these index events change: the codes an imported release's
    entries lead to, and, for a decision (approved, superseded, rejected), every code of that
    release (its terms come or go with it)."""
    named: set[tuple[str, str]] = set()
    decided: set[str] = set()
    for recorded in events:
        event = recorded.event
        entries = getattr(event, "entries", None)
        if entries is not None:
            system = _release_system(event.release_id)
            named.update((system, e["attached_code"]) for e in entries if e.get("attached_code"))
        else:
            decided.add(event.release_id)
    if decided:
        systems = dict(
            IndexRelease.objects.filter(release_id__in=decided).values_list("release_id", "system")
        )
        rows = (
            IndexEntry.objects.filter(release_id__in=decided)
            .exclude(attached_code="")
            .values_list("release_id", "attached_code")
            .distinct()
        )
        named.update((systems[release_id], code) for release_id, code in rows)
    return {(system, code) for system, code in named if system}


_SYSTEMS: dict[str, str] = {}


def _release_system(release_id: str) -> str | None:
    if release_id not in _SYSTEMS:
        system = (
            IndexRelease.objects.filter(release_id=release_id)
            .values_list("system", flat=True)
            .first()
        )
        if system is None:
            return None
        _SYSTEMS[release_id] = system
    return _SYSTEMS[release_id]


def index_projected_to() -> int:
    """The event position the Alphabetic Index read model has reached."""
    state = ProjectorState.objects.filter(name=INDEX_PROJECTOR).values_list("checkpoint", flat=True)
    return state.first() or 0
