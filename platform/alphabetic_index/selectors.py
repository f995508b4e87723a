"""Reads of the Alphabetic Index: releases, letters, main terms, subterms, term search, and the
entries that lead to a code (for the code page and for search).

Every read is about one release: the one in force unless a release is named (reviewers look
at a proposed one before deciding).
"""

from django.db.models import Case, Count, IntegerField, Q, When

from alphabetic_index.models import IndexEntry, IndexRelease
from alphabetic_index.projector import search_text
from alphabetic_index.resolution import STATED_FIELDS, compare
from codeledger.domain import NotFound

MAX_TERM_WORDS = 8


def index_releases(*, system: str | None = None):
    """Index releases, newest first."""
    rows = IndexRelease.objects.order_by("-imported_position")
    return rows.filter(system=system) if system else rows


def index_release(*, release_id=None, system: str = "icd10cm") -> IndexRelease:
    """A named release, or the system's release in force; NotFound when there is none."""
    if release_id is not None:
        release = IndexRelease.objects.filter(release_id=release_id).first()
        if release is None:
            raise NotFound(f"no index release {release_id}")
        return release
    release = IndexRelease.objects.filter(system=system, status="in_force").first()
    if release is None:
        raise NotFound("no Alphabetic Index has been imported yet (manage.py index_import)")
    return release


def _entries(release: IndexRelease):
    return IndexEntry.objects.filter(release_id=release.release_id)


def index_letters(*, release: IndexRelease) -> list[tuple[str, int]]:
    """(letter, number of main terms) in alphabetical order."""
    rows = _entries(release).filter(level=0).values_list("letter").annotate(n=Count("id"))
    return sorted(rows.order_by())


def index_main_terms(*, release: IndexRelease, letter: str):
    """The main terms of a letter, in the index's order."""
    return _entries(release).filter(level=0, letter=letter.upper()).order_by("n")


def index_entry(*, release: IndexRelease, n: int) -> IndexEntry:
    entry = _entries(release).filter(n=n).first()
    if entry is None:
        raise NotFound(f"no entry {n} in the {release.release} index")
    return entry


def index_subterms(*, release: IndexRelease, n: int):
    """An entry's subterms (one level down), in the index's order."""
    return _entries(release).filter(parent=n).order_by("n")


def index_trail(*, release: IndexRelease, entry: IndexEntry) -> list[IndexEntry]:
    """The entry's main term and subterms down to its parent, main term first."""
    trail, parent = [], entry.parent
    while parent is not None:
        above = index_entry(release=release, n=parent)
        trail.append(above)
        parent = above.parent
    return trail[::-1]


def index_targets(*, release: IndexRelease, entries) -> dict[int, IndexEntry]:
    """The terms that the see and see-also references of `entries` lead to, by number."""
    numbers = {
        n for entry in entries for n in (entry.see_target, entry.see_also_target) if n is not None
    }
    return {row.n: row for row in _entries(release).filter(n__in=numbers)}


def index_search(*, release: IndexRelease, term: str, limit: int = 25) -> list[IndexEntry]:
    """Main terms and subterms whose path or modifiers hold every word of `term` (without case
    or accents): a main term titled so first, then main terms starting so, then entries whose
    path holds the words (not only their modifiers), each from the shallowest, in the index's
    order."""
    words = search_text(term).replace(",", " ").split()[:MAX_TERM_WORDS]
    if not words:
        return []
    matching, in_path = Q(), Q()
    for word in words:
        matching &= Q(search_text__contains=word)
        in_path &= Q(path__icontains=word)
    rows = (
        _entries(release)
        .filter(matching)
        .annotate(
            exact=Case(
                When(level=0, path__iexact=" ".join(term.split()), then=0),
                When(level=0, search_text__startswith=" ".join(words), then=1),
                When(in_path, then=2),  # not only in the non-essential modifiers
                default=3,
                output_field=IntegerField(),
            )
        )
        .order_by("exact", "level", "n")
    )
    return list(rows[:limit])


def index_entries_leading_to(*, system: str, code: str, limit: int = 50) -> list[IndexEntry]:
    """Entries of the index in force that lead to this code's page (their own code, or through
    references; incomplete codes lead to their category), shallowest first."""
    try:
        release = index_release(system=system)
    except NotFound:
        return []
    rows = _entries(release).filter(attached_code=code).order_by("level", "n")
    return list(rows[:limit])


def entries_for_code(system: str, code: str) -> list[str]:
    """The paths of the index entries that lead to a code ("Pneumonia, aspiration"), for
    search to match on."""
    return [entry.path for entry in index_entries_leading_to(system=system, code=code, limit=500)]


def index_release_changes(*, release_id, kind: str | None = None) -> list[dict]:
    """What a proposed release adds, removes and changes against the release it was compared
    with (`kind`: added, removed or changed), by path, computed from the two releases' rows."""
    release = index_release(release_id=release_id)
    if release.base_release_id is None:
        return []
    fields = ["path", *STATED_FIELDS]
    old = IndexEntry.objects.filter(release_id=release.base_release_id).order_by("n")
    new = _entries(release).order_by("n")
    changes = compare(old.values(*fields), new.values(*fields))
    return [change for change in changes if kind in (None, change["kind"])]
