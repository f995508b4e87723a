"""The public reference: a code as a coding reference shows it.

The code, its official descriptor and hierarchy are public; the rest is metered (accounts.meter)
and licensed text is withheld from readers whose organisation holds no licence.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_safe

from accounts import meter
from accounts.licensing import licensed_systems
from accounts.meter import meter_page_view
from alphabetic_index.selectors import index_entries_leading_to
from codeledger.domain import NotFound
from codeledger.screens import Roles, not_found
from codes.redaction import attribution, redact, withheld_fields
from codes.selectors import applicable_notes, code_current
from codes.systems import SYSTEMS, get_system
from knowledge.explain import explain_cached
from review.selectors import code_history


def _code_link(system: str, code: str) -> str | None:
    """A related code's page; a range such as "F17.-" links to its category (F17)."""
    target = code.rstrip("-").rstrip(".") if code.endswith("-") else code
    try:
        target = get_system(system).display(target)
    except ValidationError:
        return None
    return reverse("reference:code", args=[system, target])


def _notes_by_kind(entry) -> list[tuple[str, list[dict]]]:
    """The notes that apply to the code (its own, its parent codes', its block's and its
    chapter's), grouped by kind in NOTE_KINDS order; each inherited one says where it is written
    ("from S72", "from S70-S79", "from Chapter 19"), linked when that is a code."""
    grouped: dict[str, list[dict]] = {}
    for note in applicable_notes(system=entry.system, code=entry.code):
        inherited = note["from"] != entry.code
        on_code = note.get("level", "code") == "code"
        href = _code_link(entry.system, note["from"]) if inherited and on_code else None
        grouped.setdefault(note["kind"], []).append({**note, "inherited": inherited, "href": href})
    return list(grouped.items())


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _locked_sections(entry, withheld, history) -> list[str]:
    """What a gated reader would see after registering, named without its content: only the
    sections this code has (a code without notes shows no notes behind the gate)."""
    locked = []
    if "common_description" not in withheld:
        locked.append("a plain-language description")
    if "notes" not in withheld:
        notes = applicable_notes(system=entry.system, code=entry.code)
        if notes:
            locked.append(_count(len(notes), "note that applies", "notes that apply"))
    if "related" not in withheld and entry.content.get("related"):
        locked.append(_count(len(entry.content["related"]), "related code", "related codes"))
    locked.append(_count(len(history), "version in its history", "versions in its history"))
    return locked


@require_safe
def code_page(request, system, code):
    """A code as a coding reference shows it: descriptors, notes, related codes, history.

    The code, its official descriptor and hierarchy are public; the rest is metered
    (accounts.meter): over the limit those sections become "Register to view content" panels,
    and the page still answers 200. Licensed fields are withheld from readers whose
    organisation does not hold the system's licence.
    """
    try:
        entry = code_current(system=system, code=code)
        history = code_history(system=system, code=code)
    except (NotFound, ValidationError) as error:
        message = error.messages[0] if isinstance(error, ValidationError) else str(error)
        return not_found(request, f"No such code: {message}.")
    roles = Roles(request.user)
    reading = meter_page_view(request, item=f"{entry.system}:{entry.code}", unmetered=roles.staff)
    held = licensed_systems(request)
    withheld = withheld_fields(entry.system, held)
    content = redact(entry.content, withheld)
    notes = _notes_by_kind(entry) if reading.allowed and "notes" not in withheld else []
    # Generated where no reviewed description exists, and withheld wherever that one is.
    explanation = (
        explain_cached(entry.system, entry.code)
        if reading.allowed
        and "common_description" not in withheld
        and not content.get("common_description")
        else None
    )
    related = [
        {**item, "href": _code_link(item["system"], item["code"])}
        for item in content.get("related") or []
    ]
    parent = entry.parent
    locked = [] if reading.allowed else _locked_sections(entry, withheld, history)
    response = render(
        request,
        "reference/code_page.html",
        {
            "entry": entry,
            "system_label": SYSTEMS[entry.system].label,
            "content": content,
            "withheld": withheld,
            "attribution": attribution(entry.system, entry.content),
            "notes": notes,
            "explanation": explanation,
            "locked": locked,
            "related": related,
            "parent_href": _code_link(entry.system, parent) if parent else None,
            "history": list(reversed(history)) if reading.allowed else [],
            "index_entries": index_entries_leading_to(system=entry.system, code=entry.code),
            "roles": roles,
            "reading": reading,
            "meter": {
                "guest_limit": meter.guest_limit(),
                "extra": meter.registered_limit() - meter.guest_limit(),
                "period": meter.PERIOD_WORDS.get(settings.METER_PERIOD, ""),
                "here": request.get_full_path(),
            },
        },
    )
    meter.remember_guest(response, reading)
    # What a page shows depends on who asks: no shared cache may keep it.
    patch_cache_control(response, private=True)
    patch_vary_headers(response, ["Cookie", "HX-Request"])
    return response
