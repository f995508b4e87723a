"""The index as a coder reads it, computed from its entries: pure, no database.

- Each entry gets its number in document order (`n`, from 1), its parent and its full path
  ("Pneumonia, aspiration, due to food").
- Cross-references are resolved to the term they name: "see Hemorrhage, intracranial" names the
  main term "Hemorrhage" and its subterm "intracranial". Titles are matched without case, and
  a title such as "Infarct, infarction" or "drug NEC" answers to its first form too
  ("infarct", "drug"); a reference that ends in "by site" / "by type" (choose there) names
  the term before it. "category M01" / "subcategory M14.8-" name tabular codes, not terms.
  Some references name no term of this index (the Table of Drugs and Chemicals, the Table of
  Neoplasms): they stay unresolved and are counted.
- The code an entry leads to: its own code; else, through a see reference, the code of the term
  it names (following chains of references); else, for an entry with neither a code nor a see
  reference, the code of its see-also term. A reference to a term without a code leads to no
  code: the coder chooses among that term's subterms.
- Codes are checked against the tabular list in force (`check_codes`, alphabetic_index.tabular):
  `billable`; `incomplete` when the tabular list completes it (a trailing "-", or a 7th
  character), and the entry is attached to that code's page; `header` (expanded since: not
  billable) and `stale` (not in the tabular list in force) are reported and not attached.
"""

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby

from alphabetic_index.readers import SourceEntry

MAX_CHAIN = 10  # see references followed one after another before giving up (a cycle)
CODE_REFERENCE = re.compile(r"(?:sub)?category\s+([A-Z][0-9A-Z]{2}(?:\.[0-9A-Z]{0,4})?-?)", re.I)
# "see condition": look the condition up; not a term of the index.
INSTRUCTIONS = frozenset({"condition", "also condition"})
CODE_STATUSES = ("billable", "incomplete", "header", "stale")
# What an entry says in the index (compared between releases); the rest is computed from it.
STATED_FIELDS = ("modifiers", "see", "see_also", "code", "manifestation")


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def _without_parentheses(text: str) -> str:
    return " ".join(re.sub(r"\([^)]*\)", " ", text).split())


def title_forms(title: str) -> list[tuple[str, int]]:
    """The forms a reference may use for a title, each with its rank (lower is closer): the
    title itself (0); without parentheses or "NEC", or its first form ("Infarct, infarction"
    -> "infarct") (1). Its later forms are not used: "see Psychosis" would name "Manic-
    depressive insanity, psychosis, or syndrome", and "Neoplasm, benign" "lipomatous, benign"
    (173 such matches in FY2025, nearly all wrong)."""
    key = _key(title)
    parts = [part.strip() for part in key.split(",")]
    ranked = [(key, 0), (_without_parentheses(key), 1), (parts[0], 1)]
    ranked += [(form[:-4], rank) for form, rank in ranked if form.endswith(" nec")]
    best: dict[str, int] = {}
    for form, rank in ranked:
        if form and rank < best.get(form, 3):
            best[form] = rank
    return list(best.items())


def content_digest(entries: Iterable[SourceEntry]) -> str:
    """A fingerprint of what a file states: the same content gives the same digest."""
    digest = hashlib.sha256()
    for entry in entries:
        row = [entry.letter, entry.level, entry.title, *(getattr(entry, f) for f in STATED_FIELDS)]
        if entry.book:  # the Index to Diseases alone keeps the digest it was recorded with
            row.append(entry.book)
        digest.update(json.dumps(row, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def build_entries(source: Iterable[SourceEntry]) -> list[dict]:
    """The entries with their number, parent, number of subterms, path and resolved references
    (codes not checked yet: check_codes).

    The Index to Diseases comes first; each later book (the External Cause Index, the tables:
    `SourceEntry.book`) is resolved on its own, since its references name its own terms ("see
    Accident, transport" in the External Cause Index), then filed under a main term named after
    it, whose letter is the book's initial: "External Cause Index: Accident, transport"."""
    entries: list[dict] = []
    for book, items in groupby(source, key=lambda item: item.book):
        built = _build_book(items)
        entries += _filed_under(book, built, offset=len(entries)) if book else built
    return entries


def _filed_under(book: str, built: list[dict], offset: int) -> list[dict]:
    root = {
        "n": offset + 1,
        "letter": book[0].upper(),
        "level": 0,
        "parent": None,
        "subterms": 0,
        "title": book,
        "path": book,
        **{name: "" for name in STATED_FIELDS},
        "see_target": None,
        "see_also_target": None,
        "resolved_code": "",
        "resolved_via": "",
    }
    shift = offset + 1
    for entry in built:
        entry["n"] += shift
        entry["letter"] = root["letter"]
        entry["level"] += 1
        entry["path"] = f"{book}: {entry['path']}"
        if entry["parent"] is None:
            entry["parent"] = root["n"]
            root["subterms"] += 1
        else:
            entry["parent"] += shift
        for field in ("see_target", "see_also_target"):
            if entry[field] is not None:
                entry[field] += shift
    return [root, *built]


def _build_book(source: Iterable[SourceEntry]) -> list[dict]:
    entries, stack = [], []
    for n, item in enumerate(source, start=1):
        del stack[item.level :]
        parent = stack[-1] if stack else None
        label = item.title or item.modifiers  # "Disorder, pain, persistent, (somatoform)"
        path = f"{parent['path']}, {label}" if parent else label
        entry = {
            "n": n,
            "letter": item.letter,
            "level": item.level,
            "parent": parent["n"] if parent else None,
            "subterms": 0,
            "title": item.title,
            "path": path,
            **{name: getattr(item, name) for name in STATED_FIELDS},
        }
        entries.append(entry)
        stack.append(entry)
        if parent:
            parent["subterms"] += 1
    _resolve(entries)
    return entries


class _Finder:
    """Finds the term a reference names, walking main term then subterms."""

    def __init__(self, entries: list[dict]):
        self.by_form: dict[int | None, dict[str, list[tuple[int, int]]]] = defaultdict(dict)
        for entry in entries:
            forms = self.by_form[entry["parent"]]
            for form, rank in title_forms(entry["title"]):
                forms.setdefault(form, []).append((entry["n"], rank))

    def find(self, reference: str) -> tuple[int | None, bool]:
        """(the term's number, whether the whole reference matched) or (None, False).

        The match that uses the closest title forms wins; two different terms matching as
        closely is ambiguous and names none ("see Fracture, fibula" matches both "Fracture,
        pathological, fibula" and "Fracture, traumatic, fibula"). A partial match counts only
        when what is left says where to choose ("by site")."""
        text = reference.strip()
        if text.casefold().startswith("also "):  # a see-also flattened into the see column
            text = text[5:]
        parts = [_key(part) for part in text.split(",")]
        parts = [part for part in parts if part]
        if not parts or parts[0] in INSTRUCTIONS:
            return None, False
        matches = list(self._walk(None, parts, 0, 0))
        if not matches:
            return None, False
        deepest = max(matched for _, matched, _ in matches)
        if deepest < len(parts) and not parts[deepest].startswith("by "):
            return None, False
        closest = min(cost for _, matched, cost in matches if matched == deepest)
        found = {n for n, matched, cost in matches if (matched, cost) == (deepest, closest)}
        if len(found) != 1:
            return None, False
        return found.pop(), deepest == len(parts)

    def _walk(self, node, parts, k, cost) -> Iterator[tuple[int, int, int]]:
        """Every (term, parts matched, cost) reachable from `node` having matched `k` parts."""
        forms = self.by_form.get(node, {})
        descended = False
        for j in range(len(parts), k, -1):  # a title may itself hold commas
            joined = ", ".join(parts[k:j])
            for text in dict.fromkeys((joined, _without_parentheses(joined))):
                for candidate, rank in forms.get(text, ()):
                    descended = True
                    if j == len(parts):
                        yield candidate, j, cost + rank
                    else:
                        yield from self._walk(candidate, parts, j, cost + rank)
        if not descended and node is not None:
            yield node, k, cost


def _resolve(entries: list[dict]) -> None:
    finder = _Finder(entries)
    exact: dict[tuple[int, str], bool] = {}
    for entry in entries:
        for field in ("see", "see_also"):
            target, whole = (None, False)
            if entry[field] and not CODE_REFERENCE.fullmatch(entry[field]):
                target, whole = finder.find(entry[field])
            entry[f"{field}_target"] = target
            exact[(entry["n"], field)] = whole

    def code_of(n: int, seen: tuple) -> tuple[str, str]:
        entry = entries[n - 1]
        if entry["code"]:
            return entry["code"], "code"
        if len(seen) > MAX_CHAIN or n in seen:
            return "", ""
        for field, needs in (("see", True), ("see_also", not entry["see"])):
            if not (entry[field] and needs):
                continue
            if category := CODE_REFERENCE.fullmatch(entry[field]):
                code = category.group(1).upper()
                return (code if code.endswith("-") else f"{code}-"), field
            if exact[(n, field)]:
                code, _ = code_of(entry[f"{field}_target"], (*seen, n))
                if code:
                    return code, field
        return "", ""

    for entry in entries:
        entry["resolved_code"], entry["resolved_via"] = code_of(entry["n"], ())


def check_codes(entries: list[dict], status_of: Callable[[str], tuple[str, str]]) -> None:
    """Set each entry's `code_status` and `attached_code` (the code page it leads to, or "").

    `status_of(code)` -> (status, code page) for a code as the index writes it (codes.py)."""
    for entry in entries:
        code = entry["resolved_code"]
        status, page = status_of(code) if code else ("", "")
        entry["code_status"] = status
        entry["attached_code"] = page if status in ("billable", "incomplete") else ""


def index_counts(entries: list[dict]) -> dict:
    """What the import reports: entries, main terms, codes, references and code checks."""
    counts = Counter()
    for entry in entries:
        counts["entries"] += 1
        counts["main_terms"] += entry["level"] == 0
        counts["with_code"] += bool(entry["code"])
        counts["see_only"] += bool(entry["see"] and not entry["code"])
        counts["see_also"] += bool(entry["see_also"])
        if entry["see"] and not entry["code"]:
            if entry["resolved_code"]:
                counts["see_resolved"] += 1
            elif entry["see_target"]:
                counts["see_to_term_without_code"] += 1
            else:
                counts["see_unresolved"] += 1
        if entry["resolved_code"]:
            counts["leads_to_code"] += 1
            counts[f"via_{entry['resolved_via']}"] += 1
        if entry.get("code_status"):
            counts[f"{entry['code_status']}_code"] += 1
            if entry["code_status"] == "incomplete" and not entry["resolved_code"].endswith("-"):
                counts["seventh_character_code"] += 1  # the rest end in "-"
    names = [
        "entries",
        "main_terms",
        "with_code",
        "see_only",
        "see_resolved",
        "see_to_term_without_code",
        "see_unresolved",
        "see_also",
        "leads_to_code",
        "via_code",
        "via_see",
        "via_see_also",
        *(f"{status}_code" for status in CODE_STATUSES),
        "seventh_character_code",
    ]
    return {name: counts[name] for name in names}


def _keyed(entries: Iterable[dict]) -> dict[tuple[str, int], dict]:
    """Entries by path (and occurrence: a few paths are printed twice)."""
    keyed, seen = {}, Counter()
    for entry in entries:
        seen[entry["path"]] += 1
        keyed[(entry["path"], seen[entry["path"]])] = entry
    return keyed


def compare(old: Iterable[dict], new: Iterable[dict]) -> list[dict]:
    """What a release changes in the index, entry by path: added, removed, or changed (what
    it states: modifiers, references, code), in the new release's order, removals last."""
    before, after = _keyed(old), _keyed(new)
    changes = []
    for key, entry in after.items():
        previous = before.get(key)
        if previous is None:
            changes.append({"path": entry["path"], "kind": "added", "changes": _stated(entry)})
            continue
        changed = {
            name: {"from": previous.get(name, ""), "to": entry.get(name, "")}
            for name in STATED_FIELDS
            if previous.get(name, "") != entry.get(name, "")
        }
        if changed:
            changes.append({"path": entry["path"], "kind": "changed", "changes": changed})
    for key, entry in before.items():
        if key not in after:
            changes.append({"path": entry["path"], "kind": "removed", "changes": _stated(entry)})
    return changes


def _stated(entry: dict) -> dict:
    return {name: entry.get(name, "") for name in STATED_FIELDS if entry.get(name)}


def change_counts(changes: list[dict]) -> dict:
    """Changes per kind, and how many changed entries change their code."""
    counts = Counter(change["kind"] for change in changes)
    codes = sum(
        1 for change in changes if change["kind"] == "changed" and "code" in change["changes"]
    )
    return {
        "added": counts["added"],
        "removed": counts["removed"],
        "changed": counts["changed"],
        "codes_changed": codes,
    }
