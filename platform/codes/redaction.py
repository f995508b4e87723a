"""Who may read which fields of a code: licensed text withheld from readers whose organisation
holds no licence, the metered sections, and where each field's text comes from (attribution).
"""

from codes.content import ATTRIBUTED_FIELDS, PUBLISHER_FIELDS, empty_content
from codes.systems import PUBLISHER, SYSTEMS, Attribution


def attribution(system: str, content: dict) -> dict[str, dict]:
    """Each attributed field's source and licence: the system's default, the publisher's for
    the fields its editors write, or the code's own override; `restricted` when only holders
    of the system's licence may read it (decided by the system, never by an override)."""
    code_system = SYSTEMS[system]
    overrides = content.get("attribution") or {}
    result = {}
    for name in ATTRIBUTED_FIELDS:
        default = PUBLISHER if name in PUBLISHER_FIELDS else code_system.official
        chosen = Attribution(**overrides[name]) if name in overrides else default
        result[name] = {
            "source": chosen.source,
            "licence": chosen.licence,
            "line": chosen.line(),
            "restricted": code_system.licensed and name in code_system.restricted_fields,
        }
    return result


def withheld_fields(system: str, licensed_systems) -> frozenset[str]:
    """The fields of a code in `system` that a reader holding `licensed_systems` may not read."""
    code_system = SYSTEMS.get(system)
    if code_system is None or not code_system.licensed or system in licensed_systems:
        return frozenset()
    return code_system.restricted_fields


# The sections a code page meters (accounts.meter): read freely by editorial staff and API keys,
# by everyone else on pages only, within their allowance. The code, its descriptors and its
# hierarchy stay public.
METERED_FIELDS = frozenset({"common_description", "notes", "related", "lay_terms"})


def redact(content: dict, withheld) -> dict:
    """`content` with the `withheld` fields emptied (never left out, so every reader sees the
    same shape)."""
    if not withheld:
        return content
    blank = empty_content()
    return {
        name: (blank.get(name) if name in withheld else value) for name, value in content.items()
    }


def redact_changes(changes: dict, withheld) -> dict:
    """Field changes ({field: {from, to}}) with the `withheld` fields' values emptied."""
    if not withheld:
        return changes
    return {
        name: ({"from": None, "to": None, "withheld": True} if name in withheld else change)
        for name, change in changes.items()
    }
