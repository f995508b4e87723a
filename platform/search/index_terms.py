"""The Alphabetic Index's terms for the search documents of a batch of codes.

Read from the `alphabetic_index` read model (IndexEntry of the release in force), in one query
per code system for a whole batch, never one per code: an entry counts for the code whose page
it leads to (`attached_code`: its own code, or the end of its see-chain, "Bedwetting" ->
"Enuresis" -> R32).
"""

from collections import defaultdict
from collections.abc import Iterable

from alphabetic_index.models import IndexEntry, IndexRelease
from events.models import ProjectorState

INDEX_PROJECTOR = "alphabetic_index"


def entry_label(path: str, modifiers: str) -> str:
    """The entry as the index prints it: its path, then its non-essential modifiers."""
    return f"{path} {modifiers}".strip() if modifiers else path


def index_terms_for(codes: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[list, list]]:
    """(system, code) -> (index_terms, index_main): the labels of every entry leading to the
    code, and of the main terms (level 0) among them, in the index's order."""
    by_system: dict[str, set[str]] = defaultdict(set)
    for system, code in codes:
        by_system[system].add(code)
    found: dict[tuple[str, str], tuple[list, list]] = {}
    releases = dict(
        IndexRelease.objects.filter(system__in=list(by_system), status="in_force").values_list(
            "system", "release_id"
        )
    )
    for system, release_id in releases.items():
        rows = (
            IndexEntry.objects.filter(
                release_id=release_id, attached_code__in=sorted(by_system[system])
            )
            .order_by("n")
            .values_list("attached_code", "level", "path", "modifiers")
        )
        for code, level, path, modifiers in rows.iterator(chunk_size=5000):
            terms, main = found.setdefault((system, code), ([], []))
            label = entry_label(path, modifiers)
            terms.append(label)
            if level == 0:
                main.append(label)
    return found


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
