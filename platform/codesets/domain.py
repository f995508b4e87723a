"""Release change sets, as pure rules: diff a new edition of a code set against the current
state, fold a release's stream, decide what an approval writes.

A release item is one code with its field changes, each `{"from": old, "to": new}` as seen when
the release was diffed. Approving an item merges three ways, field by field: a field still at
`from` takes `to`; a field already at `to` is left alone; a field that moved elsewhere meanwhile
(an editor's approved change) is a conflict, and the item is not applied. Items are therefore
safe to approve long after the import, in any order, and approving twice writes nothing twice.

Only the official fields the release's source provides are compared: a source without short
descriptors does not erase them, and the editorial fields (common-language description, lay
terms) are never touched by a release.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from codeledger.domain import DECIDERS, Actor, Forbidden, Invalid, InvalidState, require_role
from codes.content import clean_value, empty_content
from codes.events import CodeRegistered, CodeReinstated, CodeRetired, CodeRevised
from codes.sections import (
    SECTION_FIELDS,
    SectionRecorded,
    SectionRevised,
    SectionState,
    block_of,
    contains,
)
from codes.state import CodeState
from codesets.events import (
    ReleaseItemsApplied,
    ReleaseItemsConflicted,
    ReleaseItemsListed,
    ReleaseItemsRejected,
    ReleaseProposed,
)

# Fields a release may revise (when its source provides them); status is decided by presence.
OFFICIAL_FIELDS = (
    "official_descriptor",
    "short_descriptor",
    "notes",
    "related",
    "chapter",
    "block",
    "parent",
    "billable",
)
ITEM_KINDS = ("added", "revised", "retired", "reinstated")
ITEMS_PER_EVENT = 500


# --- diff ---------------------------------------------------------------------------------


def release_items(
    current: dict[str, CodeState], release: Iterable, *, provides: Iterable[str]
) -> list[dict]:
    """The items of a release: `current` maps code -> state; `release` yields the release's
    codes (`.code`, `.content` already cleaned). Sorted by code."""
    compared = [name for name in OFFICIAL_FIELDS if name in set(provides)]
    items, seen = [], set()
    for entry in release:
        seen.add(entry.code)
        state = current.get(entry.code)
        if state is None or not state.exists:
            changes = {
                name: {"from": None, "to": value}
                for name, value in entry.content.items()
                if value not in ("", [], {}, None) or name == "official_descriptor"
            }
            items.append({"code": entry.code, "kind": "added", "changes": changes})
            continue
        changes = {
            name: {"from": state.content.get(name), "to": entry.content[name]}
            for name in compared
            if state.content.get(name) != entry.content[name]
        }
        kind = "revised"
        if state.content["status"] == "retired":
            changes["status"] = {"from": "retired", "to": "active"}
            kind = "reinstated"
        if changes:
            items.append({"code": entry.code, "kind": kind, "changes": changes})
    for code, state in current.items():
        if code not in seen and state.exists and state.content["status"] != "retired":
            items.append({"code": code, "kind": "retired", "changes": {"status": _retire()}})
    return sorted(items, key=lambda item: item["code"])


def _retire() -> dict:
    return {"from": "active", "to": "retired"}


def item_counts(items: list[dict]) -> dict:
    """Items per kind, and revisions per field (what a reviewer looks at first)."""
    counts = {kind: 0 for kind in ITEM_KINDS}
    fields: dict[str, int] = {}
    for item in items:
        counts[item["kind"]] += 1
        if item["kind"] == "revised":
            for name in item["changes"]:
                fields[name] = fields.get(name, 0) + 1
    return {"kinds": counts, "revised_fields": dict(sorted(fields.items()))}


def listing_events(release_id: str, items: list[dict]) -> list[ReleaseItemsListed]:
    return [
        ReleaseItemsListed(release_id, items[start : start + ITEMS_PER_EVENT])
        for start in range(0, len(items), ITEMS_PER_EVENT)
    ]


# --- chapters and blocks ------------------------------------------------------------------


def sections_of(codes: Iterable, sections: Iterable) -> list:
    """The sections (codesets.sources.SourceSection) that the codes lie in: the blocks their
    `block` labels name, the blocks that span those (codes.sections.contains) and their
    chapters, in the source's order. A slice of a code set (`codes_import --only`) records only
    its own."""
    sections = list(sections)
    named = {block_of(code.content.get("block", "")) for code in codes}
    blocks = {
        s.section
        for s in sections
        if s.level == "block"
        and (s.section in named or any(contains(s.section, name) for name in named if name))
    }
    chapters = {s.chapter for s in sections if s.level == "block" and s.section in blocks}
    return [
        s
        for s in sections
        if (s.level == "block" and s.section in blocks)
        or (s.level == "chapter" and s.section in chapters)
    ]


def section_recorded(
    section, *, effective_from: str | None, release_id: str | None = None
) -> SectionRecorded:
    """A source's section as its first event; its notes checked as a code's notes are."""
    return SectionRecorded(
        system=section.system,
        section=section.section,
        level=section.level,
        title=section.title,
        notes=clean_value("notes", section.notes),
        chapter=section.chapter,
        effective_from=effective_from,
        release_id=release_id,
    )


def section_events(
    current: dict[str, SectionState],
    sections: Iterable,
    *,
    release_id: str,
    effective_from: str | None,
) -> list[tuple[str, object, int]]:
    """What a later release changes in the chapters and blocks: (section, event, the version
    the section stream is at, 0 for a new one) for each section it adds or whose title, notes
    or chapter differ. A section the release lacks is left as it is (sections are not retired:
    no code names a section the release does not carry)."""
    found = []
    for section in sections:
        recorded = section_recorded(section, effective_from=effective_from, release_id=release_id)
        state = current.get(section.section)
        if state is None or not state.exists:
            found.append((section.section, recorded, 0))
            continue
        wanted = {"title": recorded.title, "notes": recorded.notes, "chapter": recorded.chapter}
        have = state.content()
        changes = {
            name: {"from": have[name], "to": wanted[name]}
            for name in SECTION_FIELDS
            if have[name] != wanted[name]
        }
        if changes:
            revised = SectionRevised(
                system=section.system,
                section=section.section,
                changes=changes,
                effective_from=effective_from,
                release_id=release_id,
            )
            found.append((section.section, revised, state.version))
    return found


# --- state --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseState:
    release_id: str = ""
    version: int = 0
    system: str = ""
    source: str = ""
    release: str = ""
    proposer: str = ""
    effective_from: str | None = None
    items: dict = field(default_factory=dict)  # code -> item
    decisions: dict = field(default_factory=dict)  # code -> "applied" | "rejected"
    conflicts: dict = field(default_factory=dict)  # code -> {field: current value}

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def pending(self) -> list[str]:
        return sorted(code for code in self.items if code not in self.decisions)

    @property
    def status(self) -> str:
        if not self.exists:
            return "none"
        return "open" if len(self.decisions) < len(self.items) else "completed"


def evolve_release(state: ReleaseState, event) -> ReleaseState:
    """One release event applied. The dicts are updated in place: a release has tens of
    thousands of items, and its state is only ever folded forward by its owner."""
    version = state.version + 1
    if isinstance(event, ReleaseProposed):
        return ReleaseState(
            release_id=event.release_id,
            version=version,
            system=event.system,
            source=event.source,
            release=event.release,
            proposer=event.proposer,
            effective_from=event.effective_from,
            items={},
            decisions={},
            conflicts={},
        )
    if isinstance(event, ReleaseItemsListed):
        state.items.update((item["code"], item) for item in event.items)
    elif isinstance(event, ReleaseItemsApplied | ReleaseItemsRejected):
        outcome = "applied" if isinstance(event, ReleaseItemsApplied) else "rejected"
        for code in event.codes:
            state.decisions[code] = outcome
            state.conflicts.pop(code, None)
    elif isinstance(event, ReleaseItemsConflicted):
        state.conflicts.update(event.conflicts)
    else:
        raise TypeError(f"not a release event: {event!r}")
    return replace(state, version=version)


# --- decisions ----------------------------------------------------------------------------


def check_decider(actor: Actor, release: ReleaseState, action: str) -> None:
    """Refuse who may not decide this release (roles, four-eyes, no such release)."""
    require_role(actor, DECIDERS, f"{action.rstrip('e')}ing release items")
    if actor.username == release.proposer:
        raise Forbidden(
            f"you imported this release, so someone else must {action} it (four-eyes rule)",
            reason="four_eyes",
        )
    if not release.exists:
        raise InvalidState("no such release")


def may_decide(actor: Actor, proposer: str) -> bool:
    """Whether `actor` may decide on a release imported by `proposer` (the rule check_decider
    enforces, asked in advance by the screens)."""
    return bool(actor.roles & DECIDERS) and actor.username != proposer


def blocked_by_four_eyes(actor: Actor, proposer: str) -> bool:
    """A decider looking at a release they imported: the screen says why they cannot decide."""
    return bool(actor.roles & DECIDERS) and actor.username == proposer


def check_pending(release: ReleaseState, codes: list[str]) -> None:
    unknown = [code for code in codes if code not in release.items]
    if unknown:
        raise Invalid(
            f"{len(unknown)} code(s) are not items of this release: {', '.join(unknown[:10])}",
            errors={"codes": [f"not in the release: {', '.join(unknown[:10])}"]},
        )
    decided = [code for code in codes if code in release.decisions]
    if decided:
        raise InvalidState(
            f"{len(decided)} item(s) were already decided: {', '.join(decided[:10])}",
            decided={code: release.decisions[code] for code in decided[:50]},
        )


@dataclass(frozen=True)
class Approval:
    release_events: list
    code_events: dict  # code -> [events]
    applied: list
    conflicts: dict


def decide_approve(
    actor: Actor, release: ReleaseState, codes: list[str], states: dict[str, CodeState], note=""
) -> Approval:
    """Apply pending items to their codes (`states`: code -> current state, scheduled changes
    included). Items whose codes moved in a conflicting way are reported, not applied."""
    check_decider(actor, release, "approve")
    check_pending(release, codes)
    code_events, applied, conflicts = {}, [], {}
    for code in codes:
        item, state = release.items[code], states.get(code) or CodeState()
        merged, clashes = _merge(item["changes"], state)
        if clashes:
            conflicts[code] = clashes
            continue
        applied.append(code)
        events = _code_events(release, item, merged, state, actor.username)
        if events:
            code_events[code] = events
    release_events = []
    if applied:
        release_events.append(
            ReleaseItemsApplied(release.release_id, actor.username, applied, note)
        )
    if conflicts:
        release_events.append(ReleaseItemsConflicted(release.release_id, actor.username, conflicts))
    return Approval(release_events, code_events, applied, conflicts)


def decide_reject(actor: Actor, release: ReleaseState, codes: list[str], reason: str):
    check_decider(actor, release, "reject")
    if not codes:
        raise InvalidState("no pending items to reject")
    check_pending(release, codes)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("a reason is required", errors={"reason": ["required"]})
    return ReleaseItemsRejected(release.release_id, actor.username, codes, reason[:5000])


def _merge(changes: dict, state: CodeState) -> tuple[dict, dict]:
    """(field -> value to write, field -> conflicting current value)."""
    merged, clashes = {}, {}
    for name, change in changes.items():
        current = state.content.get(name) if state.exists else None
        if current == change["to"]:
            continue
        if current == change["from"] or (not state.exists and change["from"] is None):
            merged[name] = change["to"]
        else:
            clashes[name] = current
    return merged, clashes


def _code_events(release: ReleaseState, item: dict, merged: dict, state: CodeState, reviewer):
    common = {
        "system": release.system,
        "code": item["code"],
        "change_request": release.release_id,
        # An item's own day (a code added or retired on a day a code-set file gives) first.
        "effective_from": item.get("effective_from") or release.effective_from,
        "proposer": release.proposer,
        "reviewer": reviewer,
    }
    if not state.exists:
        return [CodeRegistered(content={**empty_content(), **merged}, **common)]
    events = []
    revised = {
        name: {"from": state.content.get(name), "to": value}
        for name, value in merged.items()
        if name != "status"
    }
    if revised:
        events.append(CodeRevised(changes=revised, **common))
    if "status" in merged:
        events.append((CodeRetired if merged["status"] == "retired" else CodeReinstated)(**common))
    return events
