"""Check a list of codes: what a coder must fix or know before reporting them together.

`check_codes(system, codes, date_of_service)` reads each code as in force on the date of
service (its stream, codes.timeline) and the instructional notes that apply to it, its own and
inherited (codes.selectors.applicable_notes), and answers findings of these kinds:

- `unknown`: no such code in the system;
- `not_in_force`: the code exists but is not valid on the date of service (not yet in force,
  or retired);
- `header`: not billable; the finding lists the billable codes below it;
- `seventh_character`: a 7th character is required (a 7th-character rule applies and the code
  stops short of it); the finding lists the codes with each character;
- `excludes1`: two codes that may not be reported together, with the note and the code it is
  written on (checked in both directions: either code's notes may name the other);
- `excludes2`: the same for Excludes2 notes (informational: both may be reported);
- `code_first` / `use_additional`: the instruction, and whether the list satisfies it
  (`satisfied`: True, False, or None when the note names no code to look for).

The list is `valid` when no finding stops it from being reported as it is: none of `unknown`,
`not_in_force`, `header`, `seventh_character` or `excludes1`. Excludes2, code first and use
additional are instructions for the coder ("if applicable"): they never make a list invalid.

Reads only; no database writes. docs/check.md has the rules with examples.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

from checks.targets import Target, compact, covering, note_targets
from codes.models import CodeEntry
from codes.selectors import applicable_notes
from codes.streams import code_stream
from codes.systems import get_system
from codes.timeline import code_view, in_force_from
from events.store import read_stream

KINDS = (
    "unknown",
    "not_in_force",
    "header",
    "seventh_character",
    "excludes1",
    "excludes2",
    "code_first",
    "use_additional",
)
# Findings that stop the list from being reported as it is.
BLOCKING = frozenset({"unknown", "not_in_force", "header", "seventh_character", "excludes1"})
MAX_CODES = 100
# How many billable codes a header finding lists (it says how many more there are).
MAX_SUGGESTIONS = 20

# The tabular's 7th-character rule and meanings, imported among the general notes (a kind of
# their own, "seventh_character", where codes.content has it).
_SEVENTH_KINDS = ("general", "seventh_character")
_SEVENTH_RULE = re.compile(r"7th character is to be added", re.IGNORECASE)
_SEVENTH_MEANING = re.compile(r"^7th character ([0-9A-Z]): (.+)$")
_NOTE_LABELS = {
    "excludes1": "Excludes1",
    "excludes2": "Excludes2",
    "code_first": "Code first",
    "use_additional": "Use additional code",
}


@dataclass(frozen=True)
class Finding:
    kind: str
    codes: tuple[str, ...]  # the listed codes it is about (display form)
    message: str
    # The note it comes from ({"kind", "text", "from", "code"}: `from` is the code the note is
    # written on, `code` the listed code it applies to), or the field ({"field", "code"}).
    source: dict | None = None
    satisfied: bool | None = None  # code_first / use_additional: does the list satisfy it
    suggestions: tuple[str, ...] = ()  # header / seventh_character: the codes to use instead


@dataclass(frozen=True)
class CheckResult:
    findings: list[Finding]
    valid: bool
    date_of_service: date | None = None  # the day checked (today when none was given)


@dataclass
class _Listed:
    """One listed code as in force on the date of service."""

    position: int
    code: str  # display form
    compact: str
    content: dict
    notes: list[dict] = field(default_factory=list)


def clean_codes(system: str, codes) -> list[str]:
    """The codes in display form, each once, in the order given; raises ValidationError naming
    each item that is wrong (`codes[3]`) or the list."""
    code_system = get_system(system)
    if not isinstance(codes, list | tuple):
        raise ValidationError({"codes": ["must be a list of codes"]})
    if not codes:
        raise ValidationError({"codes": ["list at least one code"]})
    if len(codes) > MAX_CODES:
        raise ValidationError(
            {"codes": [f"{len(codes)} codes; at most {MAX_CODES} can be checked at once"]}
        )
    # Every wrong item is named at once: a pasted list with three typos is fixed in one go.
    cleaned, errors = [], {}
    for index, raw in enumerate(codes):
        if not isinstance(raw, str):
            errors[f"codes[{index}]"] = ["must be a code, as text"]
            continue
        try:
            cleaned.append(code_system.display(raw))
        except ValidationError as error:
            errors[f"codes[{index}]"] = error.messages
    if errors:
        raise ValidationError(errors)
    return list(dict.fromkeys(cleaned))


def check_codes(
    system: str,
    codes: list[str],
    date_of_service: date | None = None,
    *,
    withheld: frozenset[str] = frozenset(),
) -> CheckResult:
    """Check `codes` of `system` reported together on `date_of_service` (today by default).

    `withheld`: content fields the caller may not read (codeledger.api.withheld_for); with
    "notes" among them, findings keep their kind and codes but quote no note text."""
    day = date_of_service or timezone.localdate()
    quote = "notes" not in withheld
    findings, listed = [], []
    for position, code in enumerate(clean_codes(system, codes)):
        found, entry = _read(system, code, day, position)
        findings.extend(found)
        if entry is not None:
            listed.append(entry)
    reportable = []
    for entry in listed:
        entry.notes = applicable_notes(system=system, code=entry.code, as_of=day)
        found = _billable(system, entry, quote)
        findings.extend(found)
        if not found:  # a header is replaced before its notes matter: they are its codes'
            reportable.append(entry)
    for kind in ("excludes1", "excludes2"):
        findings.extend(_excludes(system, kind, reportable, quote))
    for kind in ("code_first", "use_additional"):
        findings.extend(_instructions(system, kind, reportable, quote))
    findings.sort(key=lambda f: KINDS.index(f.kind))
    valid = not any(f.kind in BLOCKING for f in findings)
    return CheckResult(findings, valid, day)


# --- one code: exists, in force, billable --------------------------------------------------------


def _read(system: str, code: str, day: date, position: int) -> tuple[list[Finding], _Listed | None]:
    events = read_stream(code_stream(system, code))
    if not events:
        return [Finding("unknown", (code,), _unknown_message(system, code))], None
    view = code_view(events, as_of=day)
    if view is None:
        starts = in_force_from(events[0])
        when = (
            f"it comes into force on {starts.isoformat()}"
            if starts > day
            else "it was not in force then"
        )
        return [
            Finding(
                "not_in_force",
                (code,),
                f"{code} is not valid on {day.isoformat()}: {when}.",
                {"field": "effective_from", "code": code, "value": starts.isoformat()},
            )
        ], None
    if view.state.content.get("status") == "retired":
        retired = next(
            (in_force_from(e) for e in reversed(events) if e.type == "CodeRetired"), None
        )
        since = f" (retired from {retired.isoformat()})" if retired and retired <= day else ""
        return [
            Finding(
                "not_in_force",
                (code,),
                f"{code} is retired: not valid on {day.isoformat()}{since}.",
                {"field": "status", "code": code, "value": "retired"},
            )
        ], None
    return [], _Listed(position, code, compact(system, code), view.state.content)


def _unknown_message(system: str, code: str) -> str:
    """Why a code is unknown: CodeLedger may hold the system without the code, or not hold the
    system at all (ICD-10-PCS and CPT are loaded only where imported), and then the code may
    well exist: "not a CPT code" would be wrong about 99213."""
    label = get_system(system).label
    if not CodeEntry.objects.filter(system=system).exists():
        return f"CodeLedger holds no {label} codes, so {code} cannot be checked."
    article = "an" if label[0] in "AEIOU" else "a"
    return f"{code} is not {article} {label} code in CodeLedger."


def _below(system: str, code: str) -> list[tuple[str, str, bool]]:
    """(code, parent, billable) of every code in force today below `code`, in code order.

    In a dotted system (ICD-10-CM) the codes below "E11" are those that start with "E11.",
    below "E11.6" those that start with it: one query. Following `parent` instead costs a scan
    of the table per level, as `parent` has no index (a second for E11 on the full import).
    Other systems follow the parents (those without a hierarchy stop at the first level)."""
    rows = CodeEntry.objects.filter(system=system, in_force=True, status="active")
    fields = ("code", "parent", "billable")
    if get_system(system).dotted_after:
        stem = code if "." in code else f"{code}."
        found = rows.filter(code__startswith=stem).exclude(code=code)
        return list(found.order_by("code").values_list(*fields))
    found, level = [], [code]
    while level:
        children = list(rows.filter(parent__in=level).values_list(*fields))
        found += children
        level = [child for child, _, _ in children]
    return sorted(found)


def _billable(system: str, entry: _Listed, quote: bool) -> list[Finding]:
    """A `seventh_character` or `header` finding for a code that is not billable and has codes
    below it (a code with none below is left alone: a custom code need not say it is
    billable)."""
    if entry.content.get("billable"):
        return []
    below = _below(system, entry.code)
    children = [child for child, parent, _ in below if parent == entry.code]
    if not children:
        return []
    rule = next(
        (n for n in entry.notes if n["kind"] in _SEVENTH_KINDS and _SEVENTH_RULE.search(n["text"])),
        None,
    )
    if rule is not None and all(len(compact(system, c)) == 7 for c in children):
        return [_seventh_character(entry, rule, children, quote)]
    billable = [child for child, _, is_billable in below if is_billable]
    shown = billable[:MAX_SUGGESTIONS]
    more = f" and {len(billable) - len(shown)} more" if len(billable) > len(shown) else ""
    listing = f": {', '.join(shown)}{more}" if shown else ""
    return [
        Finding(
            "header",
            (entry.code,),
            f"{entry.code} is a header, not billable; report a code below it{listing}.",
            {"field": "billable", "code": entry.code, "value": False},
            suggestions=tuple(shown),
        )
    ]


def _seventh_character(entry: _Listed, rule: dict, extended: list[str], quote: bool) -> Finding:
    meanings = {}
    for note in entry.notes:
        if note["kind"] in _SEVENTH_KINDS and (match := _SEVENTH_MEANING.match(note["text"])):
            meanings.setdefault(match.group(1), match.group(2))
    if quote and meanings:
        choices = "; ".join(
            f"{code} ({meanings[code[-1]]})" if code[-1] in meanings else code for code in extended
        )
    else:
        choices = ", ".join(extended)
    return Finding(
        "seventh_character",
        (entry.code,),
        f"{entry.code} needs a 7th character (rule from {rule['from']}): {choices}.",
        _note_source(rule, entry.code, quote),
        suggestions=tuple(extended),
    )


# --- notes between codes --------------------------------------------------------------------


def _note_source(note: dict, code: str, quote: bool) -> dict:
    source = {"kind": note["kind"], "text": note["text"], "from": note["from"], "code": code}
    if "level" in note:
        source["level"] = note["level"]
    if not quote:
        del source["text"]
    return source


def _notes_of(system: str, entry: _Listed, kind: str) -> list[tuple[dict, list[Target]]]:
    return [(n, note_targets(system, n["text"])) for n in entry.notes if n["kind"] == kind]


def _excludes(system: str, kind: str, listed: list[_Listed], quote: bool) -> list[Finding]:
    """One finding per pair of listed codes where either code's `kind` note names the other;
    the note of the code listed first when both do."""
    notes = {entry.code: _notes_of(system, entry, kind) for entry in listed}
    findings = []
    for i, first in enumerate(listed):
        for second in listed[i + 1 :]:
            hit = _naming(notes[first.code], first, second) or _naming(
                notes[second.code], second, first
            )
            if hit is None:
                continue
            note, carrier, other, target = hit
            where = f"{carrier}" if note["from"] == carrier else f"{carrier} (from {note['from']})"
            text = f": “{note['text']}”" if quote else ""
            verdict = (
                "may not be reported together"
                if kind == "excludes1"
                else "are reported together only when both conditions are present"
            )
            findings.append(
                Finding(
                    kind,
                    (first.code, second.code),
                    f"{first.code} and {second.code} {verdict}: {_NOTE_LABELS[kind]} note on "
                    f"{where} names {target.text}, which covers {other}{text}.",
                    _note_source(note, carrier, quote),
                )
            )
    return findings


def _naming(notes: list[tuple[dict, list[Target]]], carrier: _Listed, other: _Listed):
    """(note, carrier code, other code, target) of the first of `carrier`'s notes that names
    `other`."""
    for note, targets in notes:
        if target := covering(targets, other.compact):
            return note, carrier.code, other.code, target
    return None


def _instructions(system: str, kind: str, listed: list[_Listed], quote: bool) -> list[Finding]:
    """One finding per code first / use additional instruction of each listed code: a line
    ending with ":" ("underlying disease, such as:") leads the lines after it, from the same
    code, and the instruction is satisfied when another listed code falls within any of them
    (for code first: listed before the code)."""
    findings = []
    for entry in listed:
        for lead, items in _grouped([n for n in entry.notes if n["kind"] == kind]):
            targets = [t for note in [lead, *items] for t in note_targets(system, note["text"])]
            matches = [
                other
                for other in listed
                if other.code != entry.code and covering(targets, other.compact)
            ]
            if not targets:
                satisfied, outcome = None, "check whether the list needs a code for it"
            elif kind == "code_first":
                before = [o for o in matches if o.position < entry.position]
                satisfied = bool(before)
                if before:
                    outcome = f"satisfied by {', '.join(o.code for o in before)}, listed first"
                elif matches:
                    outcome = (
                        f"{', '.join(o.code for o in matches)} is listed but must come before "
                        f"{entry.code}"
                    )
                else:
                    outcome = "no code in the list satisfies it"
            else:
                satisfied = bool(matches)
                outcome = (
                    f"satisfied by {', '.join(o.code for o in matches)}"
                    if matches
                    else "no code in the list satisfies it (add one if it applies)"
                )
            text = " ".join([lead["text"], "; ".join(i["text"] for i in items)]).strip()
            where = "" if lead["from"] == entry.code else f" (from {lead['from']})"
            said = f": “{text}”" if quote else ""
            source = _note_source({**lead, "text": text}, entry.code, quote)
            findings.append(
                Finding(
                    kind,
                    (entry.code, *(o.code for o in matches)),
                    f"{_NOTE_LABELS[kind]} note on {entry.code}{where}{said}; {outcome}.",
                    source,
                    satisfied=satisfied,
                )
            )
    return findings


def _grouped(notes: list[dict]) -> list[tuple[dict, list[dict]]]:
    """Instructions as (lead, items): the tabular writes "Code first underlying disease, such
    as:" as one line and each disease as a line after it, and the alternatives of one
    instruction as lines of the same code ("Code first if applicable" on I50 names six). So a
    line ending with ":" starts an instruction, and the lines after it written on the same code
    belong to the instruction before them."""
    groups = []
    for note in notes:
        if (
            not note["text"].rstrip().endswith(":")
            and groups
            and (groups[-1][0]["from"] == note["from"])
        ):
            groups[-1][1].append(note)
        else:
            groups.append((note, []))
    return groups
