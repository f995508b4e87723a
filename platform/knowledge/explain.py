"""The plain-language explanation of a code: its facts gathered from the read models (or from
its stream on a date), composed by `knowledge.explanation.compose`.

Nothing is stored: the text is a function of the code's content at a version, the notes that
apply, the index in force and the approved glossary, so it is rendered on demand (and cached
until the log moves on).
"""

import string
from datetime import date, datetime

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone

from alphabetic_index.selectors import index_entries_leading_to
from codeledger.domain import NotFound
from codes.models import CodeEntry
from codes.selectors import applicable_notes, code_as_of, code_current
from codes.systems import get_system
from events.store import head_position
from knowledge.explanation import Facts, compose
from knowledge.models import GlossaryTerm

_CHARACTERS = string.digits + string.ascii_uppercase
CACHE_SECONDS = 24 * 3600


def approved_glossary() -> dict[str, str]:
    """Approved glossary terms -> their plain equivalent (pending proposals are not used)."""
    return dict(GlossaryTerm.objects.exclude(plain="").values_list("term", "plain"))


def _one_character_away(code: str) -> list[str]:
    """Codes of the same length and category that differ from `code` in one character."""
    found = []
    for i in range(4, len(code)):  # after "S72.": the category is the same
        found.extend(code[:i] + c + code[i + 1 :] for c in _CHARACTERS if c != code[i])
    return found


def _one_character_more(code: str) -> list[str]:
    """Where the codes right below `code` can be: one more character (a dot after three)."""
    stem = f"{code}." if len(code) == 3 else code
    return [stem + c for c in _CHARACTERS]


def _descriptors(system: str, codes: list[str], dated: dict) -> list[tuple[str, str]]:
    """(code, official descriptor) of those `codes` that exist: from the read model today, or
    each from its stream on the date asked for."""
    rows = list(
        CodeEntry.objects.filter(system=system, code__in=codes, in_force=True)
        .order_by("code")
        .values_list("code", "official_descriptor")
    )
    if not dated:
        return rows
    found = []
    for code, _ in rows:
        try:
            view = code_as_of(system=system, code=code, **dated)
        except NotFound:
            continue
        found.append((code, view.state.content.get("official_descriptor", "")))
    return found


def gather_facts(
    system: str, code: str, *, as_of: date | None = None, known_at: datetime | None = None
) -> Facts | None:
    """What the content says about a code; None when the code is unknown or not in force
    then."""
    dated = {k: v for k, v in (("as_of", as_of), ("known_at", known_at)) if v is not None}
    try:
        if dated:
            view = code_as_of(system=system, code=code, **dated)
            display, content = view.state.code, view.state.content
        else:
            entry = code_current(system=system, code=code)
            display, content = entry.code, entry.content
    except (NotFound, ValidationError):
        return None
    return Facts(
        system=system,
        code=display,
        descriptor=content.get("official_descriptor", ""),
        chapter=content.get("chapter", ""),
        block=content.get("block", ""),
        billable=bool(content.get("billable")),
        notes=tuple(applicable_notes(system=system, code=display, **dated)),
        index_paths=tuple(
            entry.path for entry in index_entries_leading_to(system=system, code=display)
        ),
        neighbours=tuple(_descriptors(system, _one_character_away(display), dated)),
        children=tuple(_descriptors(system, _one_character_more(display), dated)),
        glossary=approved_glossary(),
    )


def explain(
    system: str, code: str, *, as_of: date | None = None, known_at: datetime | None = None
) -> dict | None:
    """The plain-language explanation of a code, today or on `as_of` as known at `known_at`:
    {"text", "generated": True, "attribution", "sentences": [{"text", "sources"}]}; None when
    the code is unknown (or not in force then). Every sentence names the content fields it was
    made from (knowledge.explanation.compose)."""
    try:
        display = get_system(system).display(code)
    except (KeyError, ValidationError):
        return None
    facts = gather_facts(system, display, as_of=as_of, known_at=known_at)
    return None if facts is None else compose(facts)


def explain_cached(system: str, code: str) -> dict | None:
    """`explain` for today, cached under the log's head position and the day: any appended
    event (a parent's note, a sibling, an approved glossary term, a new index) or a new day
    (a scheduled change in force) makes a new key, so nothing needs invalidating."""
    try:
        display = get_system(system).display(code)
    except (KeyError, ValidationError):
        return None
    key = f"explanation:{system}:{display}:{head_position()}:{timezone.localdate().isoformat()}"
    found = cache.get(key)
    if found is None:
        found = explain(system, display)
        cache.set(key, found, CACHE_SECONDS)
    return found
