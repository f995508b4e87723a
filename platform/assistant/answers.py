"""CasePilot's answers: each intent answered from CodeLedger's own content, in plain words, with
every code and note it relied on cited at the version it read.

Nothing here guesses. A code is named only when the content gives it: the tabular list (codes
and their notes, inherited ones included: `codes.selectors.applicable_notes`), the Alphabetic
Index (`alphabetic_index.selectors`), search (Elasticsearch, as `/search` does), the history of
each code (`review.selectors.code_history`) and the plain-language explanation
(`knowledge.explain`). When the content holds no answer, the answer says so and offers the
searches it can do. The same content always gives the same answer: no clock, no randomness,
no external service.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.urls import reverse

from alphabetic_index.selectors import (
    index_main_terms,
    index_release,
    index_search,
    index_subterms,
)
from assistant.intents import Question, read_question
from codeledger.domain import NotFound
from codes.content import NOTE_LABELS
from codes.models import CodeEntry
from codes.selectors import applicable_notes, code_current
from codes.systems import SYSTEMS, get_system
from review.selectors import code_history

EXCLUDES = ("excludes1", "excludes2")
SEVENTH_KINDS = ("seventh_character", "general")
_SEVENTH = re.compile(r"^7th character (?P<character>[0-9A-Z]): (?P<meaning>.+)$")
# How many notes, index subterms or search hits an answer lists before it stops.
MAX_LISTED = 6
# Words coders use for a visit -> the word the 7th-character meanings use for it (cast
# removal and a recheck are subsequent encounters; a late effect is a sequela).
_VISIT_SYNONYMS = {
    "first": "initial",
    "new": "initial",
    "emergency": "initial",
    "er": "initial",
    "ed": "initial",
    "active": "initial",
    "treatment": "initial",
    "follow": "subsequent",
    "followup": "subsequent",
    "follow-up": "subsequent",
    "later": "subsequent",
    "recheck": "subsequent",
    "cast": "subsequent",
    "removal": "subsequent",
    "late": "sequela",
    "effect": "sequela",
    "sequelae": "sequela",
}
_STOP = {"a", "an", "the", "of", "for", "with", "and", "or", "to", "in", "on", "at", "is"}
_CONNECTORS = {"due"}


@dataclass
class Answer:
    """What CasePilot says: the text, the intent it read, the citations (each code and note it
    relied on, at the version read) and follow-ups (questions to ask next, searches to run)."""

    answer: str
    intent: str
    citations: list[dict] = field(default_factory=list)
    followups: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "answer": self.answer,
            "intent": self.intent,
            "citations": self.citations,
            "followups": self.followups,
        }


class Reading:
    """One answer's reads: codes read once each, the citations made in order, and what the
    asker may read (`withheld(system)`: the fields their licences leave out)."""

    def __init__(self, withheld: Callable[[str], frozenset[str]], hidden: list[str]):
        self.withheld, self.hidden = withheld, hidden
        self.entries: dict[tuple[str, str], CodeEntry | None] = {}
        self.citations: list[dict] = []

    def entry(self, system: str, code: str) -> CodeEntry | None:
        """The code as in force today, or None when the content has no such code."""
        key = (system, code)
        if key not in self.entries:
            try:
                self.entries[key] = code_current(system=system, code=code)
            except (NotFound, ValidationError):
                self.entries[key] = None
        return self.entries[key]

    def cite(self, entry: CodeEntry, field_name: str) -> None:
        citation = {
            "system": entry.system,
            "code": entry.code,
            "version": entry.in_force_version,
            "url": code_url(entry.system, entry.code),
            "field": field_name,
        }
        if citation not in self.citations:
            self.citations.append(citation)

    def cite_note(self, system: str, note: dict) -> None:
        """Cite the code a note is written on (its own, or the parent it is inherited from)."""
        written_on = self.entry(system, note["from"])
        if written_on is not None:
            self.cite(written_on, f"notes.{note['kind']}")


def code_url(system: str, code: str) -> str:
    return reverse("reference:code", args=[system, code])


def ask_followup(text: str, code: str | None = None) -> dict:
    params = {"q": text, **({"code": code} if code else {})}
    return {"kind": "question", "text": text, "url": f"/assistant?{urlencode(params)}"}


def search_followup(words: str) -> dict:
    return {
        "kind": "search",
        "text": f"Search CodeLedger for “{words}”",
        "url": f"{reverse('search')}?{urlencode({'q': words})}",
    }


def _quoted(entry: CodeEntry) -> str:
    return f"{entry.code} “{entry.content.get('official_descriptor') or entry.official_descriptor}”"


def _note_line(note: dict, subject: str) -> str:
    label = NOTE_LABELS.get(note["kind"], note["kind"])
    where = "" if note["from"] == subject else f" (from {note['from']})"
    return f"{label}: {note['text']}{where}"


def _compact(code: str) -> str:
    return code.replace(".", "").upper()


def covers(named: str, code: str) -> bool:
    """Whether a code, family or range a note names ("E10.-", "J60-J70", "E10.9") takes in
    `code`: a family or code everything below it, a range every category from its first to its
    last (ICD-10-CM notes name codes that way)."""
    target = _compact(code)
    if "-" in named.rstrip("-"):
        first, last = (_compact(part) for part in named.split("-", 1))
        return first <= target[: len(first)] and target[: len(last)] <= last
    return target.startswith(_compact(named.rstrip("-").rstrip(".")))


def _licensed(reading: Reading, system: str) -> Answer | None:
    """The answer for a licensed system whose text this asker may not read: said, not told."""
    if "official_descriptor" not in reading.withheld(system):
        return None
    code_system = SYSTEMS[system]
    return Answer(
        f"{code_system.label} is licensed ({code_system.official.source}): its codes' text is "
        f"shown only to members and API keys of organisations that hold a {code_system.label} "
        "licence, so CasePilot cannot answer about it for you.",
        "out_of_scope",
    )


def _a(label: str) -> str:
    """ "an ICD-10-CM code", "a CPT code"."""
    return f"{'an' if label[0] in 'AEIOU' else 'a'} {label}"


def _missing(question: Question, code: str) -> Answer:
    label = SYSTEMS[question.system].label
    return Answer(
        f"{code} is not {_a(label)} code in force in CodeLedger, so CasePilot has nothing to say "
        "about it. Search can find the code you mean.",
        question.intent,
        followups=[search_followup(code)],
    )


# --- what is code X ------------------------------------------------------------------------------


def _explanation(system: str, code: str) -> dict | None:
    """The code's plain-language explanation (knowledge.explain, cached per log position and
    day), or None where the knowledge app gives none."""
    from knowledge.explain import explain_cached

    return explain_cached(system, code)


def what_is(question: Question, reading: Reading) -> Answer:
    code = question.codes[0]
    entry = reading.entry(question.system, code)
    if entry is None:
        return _missing(question, code)
    label = SYSTEMS[entry.system].label
    parts = [f"{_quoted(entry)} is {_a(label)} code"]
    if entry.status == "retired":
        parts[0] += ", retired: it is not valid for new coding."
    elif entry.billable:
        parts[0] += " you can report as it is (billable)."
    else:
        children = list(
            CodeEntry.objects.filter(system=entry.system, parent=entry.code, in_force=True)
            .order_by("code")
            .values_list("code", flat=True)[:MAX_LISTED]
        )
        parts[0] += (
            ", a heading that is not reported itself (not billable): report one of the codes "
            f"below it{': ' + ', '.join(children) if children else ''}."
        )
    reading.cite(entry, "official_descriptor")
    explanation = _explanation(entry.system, entry.code)
    if explanation and explanation.get("text"):
        parts.append(explanation["text"])
        if explanation.get("attribution"):
            parts.append(f"({explanation['attribution']})")
        reading.cite(entry, "explanation")
    code = entry.code
    return Answer(
        " ".join(parts),
        "what_is",
        reading.citations,
        [
            ask_followup(f"What must be coded first with {code}?", code),
            ask_followup(f"What changed in {code}?", code),
        ],
    )


# --- which code for a condition ------------------------------------------------------------------


def _index_code(entry) -> str:
    """The code an index entry leads to: its own, or the one its see reference gives."""
    return entry.attached_code or entry.resolved_code or entry.code


def _first_segment(path: str) -> str:
    return path.split(",")[0].split("(")[0].strip().lower()


def _index_entry(release, condition: str):
    """The index entry a coder would take for `condition`: the main term named by one of its
    words (the last first: "chest pain" is under Pain) and, for the other words, the subterm one
    level down that holds them all ("chest"); else what the index's word search ranks first.
    The main-term way reads one letter's main terms (an indexed read); the word search scans
    every entry, so it comes last."""
    words = [w for w in re.findall(r"[a-z0-9']+", condition.lower()) if w not in _STOP]
    if not words:
        return None
    for main_word in [" ".join(words), *reversed(words)]:
        mains = index_main_terms(release=release, letter=main_word[0].upper()).filter(
            search_text__startswith=main_word
        )
        main = next((m for m in mains[:20] if _first_segment(m.path) == main_word), None)
        if main is None:
            continue
        # "due to" joins a condition to its cause, which the index often lists right under the
        # main term without those words ("Sepsis, Escherichia coli"), so "due" is not sought.
        rest = [w for w in words if w not in main_word.split() and w not in _CONNECTORS]
        if not rest:
            if _index_code(main):
                return main
            continue
        subterms = index_subterms(release=release, n=main.n)
        for word in rest:
            subterms = subterms.filter(search_text__contains=word)
        coded = [e for e in subterms if _index_code(e)]
        # The words in a subterm's own title first, then in its non-essential modifiers: "with
        # aura (without headache)" must not answer "migraine without aura".
        for text in (lambda e: e.path, lambda e: e.search_text):
            chosen = next((e for e in coded if _holds_words(text(e), rest)), None)
            if chosen is not None:
                return chosen
    return next(
        (
            e
            for e in index_search(release=release, term=condition, limit=MAX_LISTED)
            if _index_code(e)
            and _holds_words(e.search_text, words)
            # Words found only in another term's modifiers do not name it: "dog bite" is in
            # "Pasteurella, septica (cat bite) (dog bite)", an infection, not the bite.
            and any(_holds_words(e.path, [word]) for word in words)
        ),
        None,
    )


def _holds_words(text: str, words: list[str]) -> bool:
    """Whether `text` holds each word at the start of one of its words: the index's word
    search matches inside words, and "uti" must not find "cutis" (Vitiligo)."""
    return all(re.search(rf"\b{re.escape(word)}", text, re.IGNORECASE) for word in words)


def which_code(question: Question, reading: Reading) -> Answer:
    try:
        release = index_release(system=question.system)
    except NotFound:
        return _from_search(question, reading)
    chosen = _index_entry(release, question.condition)
    if chosen is not None:
        return _from_index(question, reading, release, chosen)
    return _from_search(question, reading)


def _from_index(question: Question, reading: Reading, release, chosen) -> Answer:
    target = reading.entry(question.system, _index_code(chosen))
    if target is None:
        # The index names a code the tabular list in force does not hold: never offered.
        return Answer(
            f"The Alphabetic Index ({release.release}) lists “{chosen.path}”, but the code it "
            "gives is not in force in CodeLedger's tabular list, so CasePilot names no code. "
            "Search may find the right one.",
            "which_code",
            followups=[search_followup(question.condition)],
        )
    text = (
        f"The Alphabetic Index ({release.release}) gives {target.code} for “{chosen.path}”: "
        f"{_quoted(target)}."
    )
    if chosen.code_status == "incomplete" or not target.billable:
        text += (
            f" {target.code} is not complete on its own: pick the code below it that fits, "
            "as the tabular list shows."
        )
    if chosen.resolved_via in ("see", "see_also") and chosen.see:
        text += f" (The index sends “{chosen.title}” to “{chosen.see}”.)"
    text += " Confirm it in the tabular list, with its notes, before you report it."
    reading.cite(target, "alphabetic_index")
    followups = [
        ask_followup(f"Which code for {sub.path.lower()}?")
        for sub in index_subterms(release=release, n=chosen.n)[:3]
    ]
    followups.append(ask_followup(f"What is {target.code}?", target.code))
    return Answer(text, "which_code", reading.citations, followups)


def _from_search(question: Question, reading: Reading) -> Answer:
    """No index entry: the codes search ranks first, said to be search hits, not an answer."""
    from elasticsearch import ApiError, TransportError
    from elasticsearch import ConnectionError as ESConnectionError

    from search.api import run_search

    hits = []
    try:
        response, _ = run_search(
            q=question.condition,
            filters={"system": question.system, "status": "active"},
            size=3,
            cursor=None,
            hidden=reading.hidden,
            highlight=[],
        )
        hits = [hit.code for hit in response]
    except (ESConnectionError, TransportError, ApiError):
        hits = []
    found = [entry for code in hits if (entry := reading.entry(question.system, code))]
    if not found:
        return Answer(
            f"Neither the Alphabetic Index nor search finds “{question.condition}” in "
            "CodeLedger, so CasePilot names no code. Try other words for it, or browse the "
            "index.",
            "which_code",
            followups=[
                search_followup(question.condition),
                {"kind": "search", "text": "Browse the Alphabetic Index", "url": "/index/"},
            ],
        )
    for entry in found:
        reading.cite(entry, "search")
    listed = "; ".join(_quoted(entry) for entry in found)
    return Answer(
        f"The Alphabetic Index has no entry for “{question.condition}”. Search ranks these codes "
        f"first: {listed}. They are search matches, not the index's answer: read each one's "
        "notes before you choose.",
        "which_code",
        reading.citations,
        [search_followup(question.condition)],
    )


# --- two codes: together, or the difference -------------------------------------------------------


def excludes_between(system: str, first: str, second: str) -> list[tuple[dict, str, str]]:
    """(note, the code it applies to, the code it names) for every Excludes1 and Excludes2 note
    that applies to one of the two codes (its own or inherited) and names the other."""
    found = []
    for subject, other in ((first, second), (second, first)):
        for note in applicable_notes(system=system, code=subject):
            if note["kind"] in EXCLUDES and any(covers(named, other) for named in note["codes"]):
                found.append((note, subject, other))
    return found


def together(question: Question, reading: Reading) -> Answer:
    if len(question.codes) > 2:
        return _together_each_pair(question, reading)
    first, second = (reading.entry(question.system, code) for code in question.codes[:2])
    for code, entry in zip(question.codes, (first, second), strict=False):
        if entry is None:
            return _missing(question, code)
    reading.cite(first, "notes")
    reading.cite(second, "notes")
    found = excludes_between(question.system, first.code, second.code)
    for note, _, _ in found:
        reading.cite_note(question.system, note)
    pair = f"{first.code} and {second.code}"
    strict = [item for item in found if item[0]["kind"] == "excludes1"]
    if strict:
        note, subject, other = strict[0]
        where = "its own" if note["from"] == subject else f"inherited from {note['from']}"
        text = (
            f"No. {pair} may not be reported together. An Excludes1 note applies to {subject} "
            f"({where}): “{note['text']}”. Excludes1 means “not coded here”: the two conditions "
            f"are not reported for the same patient, so pick the one that fits ({_quoted(first)}"
            f" or {_quoted(second)})."
        )
    elif found:
        note, subject, other = found[0]
        where = "its own" if note["from"] == subject else f"inherited from {note['from']}"
        text = (
            f"Yes, when the patient has both. An Excludes2 note applies to {subject} ({where}): "
            f"“{note['text']}”. Excludes2 means “not included here”: {other} is a different "
            "condition, and both codes may be reported together when both are present."
        )
    else:
        text = (
            f"Nothing in the notes stops it: no Excludes1 or Excludes2 note that applies to "
            f"{first.code} or {second.code} (their own notes or those of their parent codes) "
            f"names the other. {pair} may be reported together when both are documented."
        )
    return Answer(
        text,
        "together",
        reading.citations,
        [
            ask_followup(f"What is the difference between {first.code} and {second.code}?"),
            ask_followup(f"What must be coded first with {first.code}?", first.code),
        ],
    )


def _together_each_pair(question: Question, reading: Reading) -> Answer:
    """Three or more codes: the answer for the pair an Excludes1 note keeps apart (else one an
    Excludes2 note names), so "I10, E11.9 and E10.9" is not answered for I10 and E11.9 only."""
    codes = question.codes
    for code in codes:
        if reading.entry(question.system, code) is None:
            return _missing(question, code)
    pairs = [(a, b) for i, a in enumerate(codes) for b in codes[i + 1 :]]
    found = {pair: excludes_between(question.system, *pair) for pair in pairs}
    chosen = next((p for p in pairs if any(n["kind"] == "excludes1" for n, _, _ in found[p])), None)
    chosen = chosen or next((p for p in pairs if found[p]), None)
    listed = ", ".join(codes)
    if chosen is None:
        for code in codes:
            reading.cite(reading.entry(question.system, code), "notes")
        return Answer(
            f"Nothing in the notes stops it: no Excludes1 or Excludes2 note that applies to any "
            f"of {listed} (their own notes or those of their parent codes) names another of "
            "them. They may be reported together when all are documented.",
            "together",
            reading.citations,
            [{"kind": "search", "text": "Check the list", "url": _check_url(question)}],
        )
    answer = together(Question("together", question.system, chosen), reading)
    answer.answer += f" (Every pair of {listed} was read; the check lists all its findings.)"
    answer.followups.insert(
        0, {"kind": "search", "text": "Check the list", "url": _check_url(question)}
    )
    return answer


def _check_url(question: Question) -> str:
    params = {"codes": "\n".join(question.codes), "system": question.system}
    return f"{reverse('checks:check')}?{urlencode(params)}"


def _differing_words(ours: str, theirs: str) -> list[str]:
    mine = {w.strip(",()").lower() for w in theirs.split()}
    return [w.strip(",()") for w in ours.split() if w.strip(",()").lower() not in mine]


def compare(question: Question, reading: Reading) -> Answer:
    first, second = (reading.entry(question.system, code) for code in question.codes[:2])
    for code, entry in zip(question.codes, (first, second), strict=False):
        if entry is None:
            return _missing(question, code)
    reading.cite(first, "official_descriptor")
    reading.cite(second, "official_descriptor")
    one = first.content.get("official_descriptor", "")
    two = second.content.get("official_descriptor", "")
    parts = [f"{_quoted(first)}; {_quoted(second)}."]
    only_first, only_second = _differing_words(one, two), _differing_words(two, one)
    if only_first or only_second:
        parts.append(
            f"In their descriptors, {first.code} says “{' '.join(only_first) or '(nothing more)'}"
            f"” where {second.code} says “{' '.join(only_second) or '(nothing more)'}”."
        )
    if first.parent and first.parent == second.parent:
        parts.append(f"Both sit under {first.parent}.")
    elif first.code[:3] != second.code[:3]:
        parts.append(f"They are in different categories ({first.code[:3]} and {second.code[:3]}).")
    for entry in (first, second):
        parts.append(
            f"{entry.code} is {'billable' if entry.billable else 'a heading, not billable'}."
        )
    found = excludes_between(question.system, first.code, second.code)
    for note, _, _ in found[:1]:
        reading.cite_note(question.system, note)
        label = NOTE_LABELS[note["kind"]]
        parts.append(f"An {label} note on {note['from']} names the other: “{note['text']}”.")
    return Answer(
        " ".join(parts),
        "compare",
        reading.citations,
        [ask_followup(f"Can {first.code} and {second.code} be coded together?")],
    )


# --- notes that apply to one code ----------------------------------------------------------------


def seventh_character(question: Question, reading: Reading) -> Answer:
    asked = question.codes[0]
    entry = reading.entry(question.system, asked)
    # A complete code (S72.001A): the rule is read on the code without its 7th character.
    if entry is None and len(_compact(asked)) == 7:
        entry = reading.entry(question.system, _compact(asked)[:6])
    if entry is None:
        return _missing(question, asked)
    base = _compact(entry.code)[:6] if len(_compact(entry.code)) == 7 else _compact(entry.code)
    base_entry = reading.entry(question.system, base) or entry
    rules = []
    for note in applicable_notes(system=question.system, code=base_entry.code):
        if note["kind"] in SEVENTH_KINDS and (match := _SEVENTH.match(note["text"])):
            rules.append((match["character"], match["meaning"], note))
    reading.cite(base_entry, "official_descriptor")
    if not rules:
        return Answer(
            f"No 7th-character rule applies to {base_entry.code} in CodeLedger's notes (its own "
            "or its parent codes'), so it takes no 7th character.",
            "seventh_character",
            reading.citations,
            [ask_followup(f"What is {base_entry.code}?", base_entry.code)],
        )
    character, meaning, note = _best_rule(rules, question.visit)
    reading.cite_note(question.system, note)
    # All of them: a list cut short reads as if the characters after it did not exist.
    listed = "; ".join(f"{c}: {m}" for c, m, _ in rules)
    full_code = get_system(question.system).display(base.ljust(6, "X") + character)
    full = reading.entry(question.system, full_code)
    text = (
        f"For {question.visit or 'this visit'}, use 7th character {character} (“{meaning}”), "
        f"from the rule on {note['from']}."
    )
    if full is not None:
        reading.cite(full, "official_descriptor")
        text += f" The complete code is {_quoted(full)}."
    text += f" The characters for {base_entry.code}: {listed}."
    return Answer(
        text,
        "seventh_character",
        reading.citations,
        [ask_followup(f"What is {full.code if full else base_entry.code}?")],
    )


def _visit_words(text: str) -> set[str]:
    words = set()
    for word in re.findall(r"[a-z-]+", text.lower()):
        if word in _STOP:
            continue
        words.add(_VISIT_SYNONYMS.get(word, word))
    return words


def _best_rule(rules: list, visit: str) -> tuple:
    """The rule whose meaning shares the most words with the visit; among equals the first
    (the tabular list's order puts the plainest, such as closed fractures, first)."""
    wanted = _visit_words(visit)
    if not wanted:
        return rules[0]
    scores = [len(wanted & _visit_words(meaning)) for _, meaning, _ in rules]
    return rules[scores.index(max(scores))]


def _instructions(question: Question, reading: Reading, kinds: tuple, words: str) -> Answer:
    code = question.codes[0]
    entry = reading.entry(question.system, code)
    if entry is None:
        return _missing(question, code)
    reading.cite(entry, "notes")
    notes = [
        note
        for note in applicable_notes(system=question.system, code=entry.code)
        if note["kind"] in kinds
    ]
    for note in notes:
        reading.cite_note(question.system, note)
    if not notes:
        text = (
            f"No {words} note applies to {_quoted(entry)} in CodeLedger (its own notes or its "
            "parent codes')."
        )
    else:
        lines = "; ".join(_note_line(note, entry.code) for note in notes[:MAX_LISTED])
        text = f"For {_quoted(entry)}: {lines}."
    return Answer(
        text,
        question.intent,
        reading.citations,
        [ask_followup(f"What is {entry.code}?", entry.code)],
    )


def code_first(question: Question, reading: Reading) -> Answer:
    return _instructions(question, reading, ("code_first",), "“code first”")


def use_additional(question: Question, reading: Reading) -> Answer:
    return _instructions(
        question, reading, ("use_additional", "code_also"), "“use additional code” or “code also”"
    )


# --- history --------------------------------------------------------------------------------------


def history(question: Question, reading: Reading) -> Answer:
    code = question.codes[0]
    entry = reading.entry(question.system, code)
    if entry is None:
        return _missing(question, code)
    versions = code_history(system=question.system, code=entry.code)
    reading.cite(entry, "history")
    first = versions[0]
    parts = [
        f"{entry.code} was registered in CodeLedger in force from "
        f"{first['effective_from']:%Y-%m-%d}"
        + (f", from {first['source']}" if first["source"] else "")
        + (f" (release {first['release']})" if first["release"] else "")
        + "."
    ]
    later = versions[1:]
    for version in later[-MAX_LISTED:]:
        fields = ", ".join(version["fields"]) or "its status"
        how = (
            f"release {version['release']}"
            if version["release"]
            else "an approved change request"
            if version["change_request"]
            else version["type"]
        )
        parts.append(
            f"Version {version['version']}, in force from {version['effective_from']:%Y-%m-%d}, "
            f"changed {fields.replace('_', ' ')} ({how})."
        )
    if not later:
        parts.append("It has not changed since.")
    for change in entry.scheduled:
        parts.append(f"A change is scheduled from {change.get('effective_from')}.")
    if entry.status == "retired":
        parts.append("It is retired: not valid for new coding.")
    return Answer(
        " ".join(parts),
        "history",
        reading.citations,
        [ask_followup(f"What is {entry.code}?", entry.code)],
    )


# --- what the notes say about a topic -------------------------------------------------------------


def _topic_words(topic: str) -> list[str]:
    words = [w for w in re.findall(r"[a-z0-9]+", topic.lower()) if w not in _STOP]
    # A plural in the question finds the singular in a note ("fractures" -> "fracture").
    return [w[:-1] if len(w) > 4 and w.endswith("s") else w for w in words]


def _chapter_rows(system: str, scope: str, words: list[str]):
    """The categories of the chapter a question names: by number ("19"), by its range
    ("S00-T88") or by words of its title ("injury")."""
    labels = sorted(
        CodeEntry.objects.filter(system=system, parent="")
        .exclude(chapter="")
        .values_list("chapter", flat=True)
        .distinct(),
        # ICD-10-CM numbers its chapters in code order, but puts U00-U85 last (chapter 22).
        key=lambda label: (label.rsplit("(", 1)[-1].startswith("U"), label.rsplit("(", 1)[-1]),
    )
    scope = scope.strip()
    chosen = None
    if scope.isdigit():
        # A number names a chapter or nothing: "chapter 99" must not match "(A00-B99)".
        chosen = labels[int(scope) - 1] if 1 <= int(scope) <= len(labels) else None
    else:
        named = _topic_words(scope)
        chosen = next(
            (label for label in labels if named and all(w in label.lower() for w in named)), None
        )
    if chosen is None:
        return chosen, CodeEntry.objects.none()
    rows = CodeEntry.objects.filter(system=system, chapter=chosen, parent="")
    return chosen, rows.filter(content__notes__icontains=words[0]) if words else rows


# How many codes below a category are read for their notes (S72 has about 1,900).
MAX_BELOW = 500


def _notes_below(reading: Reading, category: CodeEntry, words: list[str]) -> list[dict]:
    """The notes written on the codes below `category` (each on its own code) that hold the
    first of `words`: a category's instructions are on the category and on the codes under
    it ("Use additional code to identify dialysis status" is on N18.6, not N18)."""
    rows = CodeEntry.objects.filter(
        system=category.system, code__startswith=f"{category.code}.", in_force=True
    )
    return _own_notes(reading, rows.filter(content__notes__icontains=words[0]) if words else rows)


def _range_rows(system: str, first: str, last: str, words: list[str]):
    """The categories from `first` to `last` ("in block I20-I25", "in chapter S00-T88")."""
    rows = CodeEntry.objects.filter(
        system=system, parent="", code__gte=first[:3], code__lte=last[:3], in_force=True
    )
    return rows.filter(content__notes__icontains=words[0]) if words else rows


def _own_notes(reading: Reading, rows) -> list[dict]:
    """The notes written on each code of `rows`, each from its own code."""
    noted = []
    for entry in rows.order_by("code")[:MAX_BELOW]:
        reading.entries[(entry.system, entry.code)] = entry
        for kind, texts in (entry.content.get("notes") or {}).items():
            noted += [{"kind": kind, "text": text, "from": entry.code} for text in texts]
    return noted


def notes_topic(question: Question, reading: Reading) -> Answer:
    system, words = question.system, _topic_words(question.topic)
    sections = question.scope_kind in ("chapter", "block")
    if sections and len(question.codes) == 2:
        first, last = question.codes
        where = f"{first}-{last}"
        noted = _own_notes(reading, _range_rows(system, first, last, words))
    elif question.scope_kind == "chapter" and not question.codes:
        where, rows = _chapter_rows(system, question.scope, words)
        if where is None:
            return Answer(
                f"CodeLedger has no chapter “{question.scope}”: name it by its number, its range "
                "(S00-T88) or words of its title.",
                "notes_topic",
            )
        noted = _own_notes(reading, rows)
    else:
        if not question.codes:
            return out_of_scope(question, reading)
        entry = reading.entry(system, question.codes[0])
        if entry is None:
            return _missing(question, question.codes[0])
        where = entry.code
        noted = applicable_notes(system=system, code=entry.code)
        if question.scope_kind == "category":
            noted += _notes_below(reading, entry, words)
    matching = [
        note
        for note in noted
        if all(re.search(rf"\b{re.escape(w)}", note["text"], re.IGNORECASE) for w in words)
    ]
    # "what do the notes say in chapter 10" names no topic: every note is listed.
    about = f" about “{question.topic}”" if question.topic else ""
    if not matching:
        return Answer(
            f"No note on {where} mentions “{question.topic}”."
            if question.topic
            else f"{where} has no notes.",
            "notes_topic",
            followups=[search_followup(question.topic or where)],
        )
    for note in matching[:MAX_LISTED]:
        reading.cite_note(system, note)
    lines = "; ".join(
        f"{NOTE_LABELS.get(n['kind'], n['kind'])} on {n['from']}: “{n['text']}”"
        for n in matching[:MAX_LISTED]
    )
    more = len(matching) - MAX_LISTED
    return Answer(
        f"What the notes on {where} say{about}: {lines}."
        + (f" And {more} more." if more > 0 else ""),
        "notes_topic",
        reading.citations,
    )


# --- outside the content -------------------------------------------------------------------------


def out_of_scope(question: Question, reading: Reading) -> Answer:
    followups = [search_followup(code) for code in question.codes[:1]]
    followups.append(ask_followup("Which code for pneumonia?"))
    return Answer(
        "CasePilot answers only from CodeLedger's content, and this question is outside it. "
        "It can tell you what a code is, which code the Alphabetic Index gives for a condition, "
        "how two codes differ and whether they may be reported together, which 7th character "
        "fits a visit, what to code first or in addition, what changed in a code, and what "
        "the notes of a chapter or category say about a topic.",
        "out_of_scope",
        followups=followups,
    )


ANSWERS = {
    "what_is": what_is,
    "which_code": which_code,
    "compare": compare,
    "together": together,
    "seventh_character": seventh_character,
    "code_first": code_first,
    "use_additional": use_additional,
    "history": history,
    "notes_topic": notes_topic,
    "out_of_scope": out_of_scope,
}


def answer(question: Question, reading: Reading) -> Answer:
    """The answer to a question read by `assistant.intents.read_question`."""
    if question.intent != "out_of_scope" and (refused := _licensed(reading, question.system)):
        return refused
    return ANSWERS[question.intent](question, reading)


# The longest question taken: a question, not a document.
MAX_QUESTION = 500


def clean_question(*, question, system, code) -> tuple[str, str, str | None]:
    """(question, system, code in display form or None), or ValidationError naming each wrong
    item: an empty or too long question, an unknown system, a code not in the system's form."""
    errors = {}
    question = " ".join(str(question or "").split())
    if not question:
        errors["question"] = ["ask a question, e.g. “What is J45.909?”"]
    elif len(question) > MAX_QUESTION:
        errors["question"] = [f"{len(question)} characters; at most {MAX_QUESTION}"]
    elif "\x00" in question:  # PostgreSQL refuses text holding NUL: a 500 if it got that far
        errors["question"] = ["contains a NUL character"]
    system = system or "icd10cm"
    if system not in SYSTEMS:
        errors["system"] = [f"unknown code system {system!r}; known: {', '.join(SYSTEMS)}"]
    elif code:
        try:
            code = get_system(system).display(str(code))
        except ValidationError as error:
            errors["code"] = error.messages
    if errors:
        raise ValidationError(errors)
    return question, system, code or None


def ask(
    *,
    question: str,
    system: str = "icd10cm",
    code: str | None = None,
    withheld: Callable[[str], frozenset[str]],
    hidden: list[str],
) -> Answer:
    """CasePilot's answer to a cleaned question (clean_question), for an asker who may not read
    the fields `withheld(system)` names nor search the `hidden` systems. Nothing is stored."""
    read = read_question(question, system=system, code=code)
    return answer(read, Reading(withheld, hidden))
