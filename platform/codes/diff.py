"""Field-level and word-level diffs of code content, with one renderer registered per field kind."""

import difflib
import re

from codes.content import FIELDS

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def word_diff(old: str, new: str) -> list[dict]:
    """[{"op": "equal" | "delete" | "insert", "text": ...}] over words, spaces and punctuation."""
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    parts = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("equal", "delete", "replace") and i2 > i1:
            parts.append({"op": "equal" if op == "equal" else "delete", "text": "".join(a[i1:i2])})
        if op in ("insert", "replace") and j2 > j1:
            parts.append({"op": "insert", "text": "".join(b[j1:j2])})
    return parts


def _list_diff(old, new) -> dict:
    old, new = old or [], new or []
    return {"added": [x for x in new if x not in old], "removed": [x for x in old if x not in new]}


def _text(old, new) -> dict:
    return {"words": word_diff(old, new)}


def _notes(old, new) -> dict:
    old, new = old or {}, new or {}
    return {
        "by_kind": {
            kind: _list_diff(old.get(kind), new.get(kind))
            for kind in sorted(set(old) | set(new))
            if old.get(kind) != new.get(kind)
        }
    }


def _value(old, new) -> dict:
    return {}


RENDERERS = {
    "text": _text,
    "text_list": _list_diff,
    "related": _list_diff,
    "notes": _notes,
    "bool": _value,
    "status": _value,
    "attribution": _value,
}


def field_diff(name: str, old, new) -> dict:
    return {
        "field": name,
        "label": FIELDS[name].label,
        "from": old,
        "to": new,
        **RENDERERS[FIELDS[name].kind](old, new),
    }


def content_diff(old: dict, new: dict) -> list[dict]:
    """Every field whose value differs, in the order fields are defined."""
    return [
        field_diff(name, old.get(name), new.get(name))
        for name in FIELDS
        if old.get(name) != new.get(name)
    ]
