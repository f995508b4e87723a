"""What a question asks: its intent and what it names (codes, a condition, a visit, a topic).

Pure: words and patterns only, no database. The rules are read in order, the first that fits
wins; a question none fits is `out_of_scope`, and CasePilot then says so instead of guessing.
The patterns are the phrasings coders use ("can E11.9 and E10.9 be coded together", "which
code for pneumonia", "7th character for a subsequent visit"); docs/assistant.md lists them.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from codes.systems import get_system

INTENTS = (
    "what_is",
    "which_code",
    "compare",
    "together",
    "seventh_character",
    "code_first",
    "use_additional",
    "history",
    "notes_topic",
    "out_of_scope",
)

# A code as people type it: ICD-10-CM with or without its dot (letter, digit, letter or digit,
# up to 4 more), a CPT code (5 digits, or 4 and F/T/U), ICD-10-PCS (7 characters) and HCPCS.
# Which system a token belongs to is decided by `codes.systems`, with the asked system first.
_TOKEN = re.compile(r"(?<![\w.])([A-Za-z0-9]{3,7}(?:\.[A-Za-z0-9]{1,4})?)(?![\w.]*\w)")

_TOGETHER = re.compile(
    r"\b(together|both|same (?:claim|encounter|record|time|visit|day)|along ?side|along with"
    r"|(?:report|cod|bill|us|list|assign|submit)(?:e|ed|ing)? (?:it |them |this )?with"
    r"|excludes ?[12]?)\b"
)
_COMPARE = re.compile(r"\b(vs\.?|versus|differ\w*|difference|compare\w*|distinguish)\b")
_SEVENTH = re.compile(r"\b(7th|seventh|7 ?th|extension|character)\b")
_CODE_FIRST = re.compile(
    r"\b(code[ds]? first|first|sequenc\w*|before|underlying|principal|primary)\b"
)
_ADDITIONAL = re.compile(
    r"\b(additional|in addition|also|use additional|code also|as well|what else|extra|secondary)\b"
)
_HISTORY = re.compile(
    r"\b(chang\w*|history|when was|added|introduced|revised|revision|deleted|retired|new in"
    r"|release\w*|since when|effective|version\w*|updated?)\b"
)
_NOTES = re.compile(r"\b(notes?|say|says|instructions?|guidelines?)\b")
_WHICH_CODE = re.compile(
    r"^(?:(?:which|what)(?:'s|s| is| are)?(?: the)?(?: right| correct| best| icd[- ]?10(?:-?cm)?"
    r"| diagnosis| dx)* codes?(?: (?:do|should|would|can) (?:i|we|you) (?:use|assign|pick))?"
    r"(?: is used)?(?: for| to use for| of)"
    r"|(?:how|what) (?:do|should|would|can) (?:i|we|you) code(?: for)?"
    r"|how (?:is|are|to) (?:code|coded)(?: for)?"
    r"|(?:icd[- ]?10(?:-?cm)? |diagnosis |dx )?codes? (?:for|of)"
    r"|icd[- ]?10(?:-?cm)? (?:for|of)"
    r"|coding (?:for|of)|code)\b\s*"
)
_WHAT_IS = re.compile(
    r"\b(what(?:'s| is| are| does)?|explain\w*|describe\w*|mean\w*|define\w*|definition"
    r"|tell me about|about|info\w*|look ?up)\b"
)
# What a what-is question may hold besides its code: nothing else asks something else.
_FILLER = {
    "what",
    "what's",
    "whats",
    "is",
    "are",
    "does",
    "do",
    "the",
    "a",
    "an",
    "code",
    "icd",
    "icd-10",
    "icd-10-cm",
    "icd10",
    "icd10cm",
    "cm",
    "explain",
    "describe",
    "mean",
    "means",
    "meaning",
    "define",
    "definition",
    "of",
    "tell",
    "me",
    "about",
    "please",
    "this",
    "it",
    "stand",
    "for",
    "info",
    "information",
    "on",
    "look",
    "up",
    "lookup",
    "cover",
    "covers",
    # "is F32.9 billable": the answer says whether it is
    "billable",
    "reportable",
}
# A condition's leading words that are not part of the index term ("a patient with asthma").
_CONDITION_PREFIX = re.compile(
    r"^(?:(?:a|an|the|my|our)\s+)?(?:(?:patient|person|child|adult|man|woman)s?\s+"
    r"(?:with|who has|having|diagnosed with)\s+)?(?:(?:a|an|the)\s+)?"
)
# "in chapter 19", "in category J45", "in the J44 category", "in block I20-I25".
_SCOPE = re.compile(r"\b(?:in|of|under|for)\s+(?:the\s+)?(chapter|category|block)\b\s*(.*)$")
_SCOPE_AFTER = re.compile(r"\b(?:in|of|under|for)\s+(?:the\s+)?(.+?)\s+(chapter|category|block)\b")
_TOPIC = re.compile(r"\b(?:about|on|regarding|concerning|for)\s+(.+)$")


@dataclass(frozen=True)
class Question:
    """A question read: its intent, the codes it names (display form, in order) and the words
    an answer needs (the condition, the visit, a notes topic and its scope)."""

    intent: str
    system: str
    codes: tuple[str, ...] = ()
    condition: str = ""
    visit: str = ""
    topic: str = ""
    scope_kind: str = ""  # chapter | category | block | "" (the question's code)
    scope: str = ""


def _normalise(text: str) -> str:
    text = text.replace("\u2019", "'")  # a typographic apostrophe, as phones type it
    return " ".join(text.split())


def named_codes(text: str, system: str) -> list[str]:
    """The codes of `system` that `text` names, in display form, each once. A token must hold a
    digit and pass the system's format check; ICD-10-CM codes must start with a letter, so "2025"
    or "500" are never read as codes."""
    code_system = get_system(system)
    found = []
    for match in _TOKEN.finditer(text):
        token = match.group(1)
        if not any(c.isdigit() for c in token):
            continue
        if system == "icd10cm" and (not token[0].isalpha() or not token[1].isdigit()):
            continue
        try:
            found.append(code_system.display(token))
        except ValidationError:
            continue
    return list(dict.fromkeys(found))


def _strip_codes(text: str, codes: list[str]) -> str:
    for code in codes:
        for form in {code, code.replace(".", "")}:
            text = re.sub(rf"(?<![\w.]){re.escape(form)}(?![\w])", " ", text, flags=re.IGNORECASE)
    return " ".join(text.split())


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9'-]+", text.lower())


def _condition(text: str) -> str:
    """The condition of a which-code question: what follows "code for", without leading
    articles and "a patient with", and without trailing punctuation."""
    rest = _WHICH_CODE.sub("", text.lower(), count=1)
    rest = re.sub(r"[?!.]+$", "", rest).strip(" ,:;")
    rest = re.sub(r"\b(?:in icd[- ]?10(?:-?cm)?|please)\b", "", rest).strip()
    return _CONDITION_PREFIX.sub("", rest, count=1).strip()


_NOT_VISIT = {
    "a",
    "an",
    "the",
    "this",
    "code",
    "which",
    "what",
    "is",
    "do",
    "i",
    "use",
    "should",
    "for",
    "of",
    "on",
    "at",
    "to",
    "with",
    "7th",
    "seventh",
    "th",
    "7",
    "character",
    "characters",
    "letter",
    "extension",
    "goes",
    "needed",
}


def _visit(text: str) -> str:
    """The visit of a 7th-character question: its words less the question's own ("which 7th
    character for a subsequent encounter" -> "subsequent encounter")."""
    lowered = re.sub(r"[?!.]+$", "", text.lower())
    return " ".join(w for w in _words(lowered) if w not in _NOT_VISIT)


def _scoped_topic(text: str) -> tuple[str, str, str]:
    """(topic, scope kind, scope) of a notes question: "what do the notes say about tobacco in
    category J44" -> ("tobacco", "category", "J44")."""
    lowered = re.sub(r"[?!.]+$", "", text.lower())
    kind, scope, body = "", "", lowered
    if match := _SCOPE.search(lowered):
        kind, scope, body = match.group(1), match.group(2).strip(), lowered[: match.start()]
    elif match := _SCOPE_AFTER.search(lowered):
        kind, scope, body = match.group(2), match.group(1).strip(), lowered[: match.start()]
    topic = ""
    if match := _TOPIC.search(body):
        topic = match.group(1)
    words = [w for w in _words(topic) if w not in {"the", "a", "an", "notes", "note"}]
    return " ".join(words), kind, scope


# Words that come before a code a question names ("code first for E08.9", "with J44.1"); any
# other word before it makes it part of a name ("vitamin B12", "hemoglobin A1c").
_BEFORE_A_CODE = {"for", "with", "of", "and", "code", "codes", "is", "to", "about", "on", "vs"}


def _in_a_name(condition: str, codes: list[str]) -> bool:
    """Every code-like token of `condition` follows a word that makes it part of a name."""
    for code in codes:
        form = re.escape(code.replace(".", "").lower())
        match = re.search(rf"(?:^|\b([a-z]+)\s+){form}\b", condition.replace(".", ""))
        if match is None or not match.group(1) or match.group(1) in _BEFORE_A_CODE:
            return False
    return True


def read_question(text: str, *, system: str = "icd10cm", code: str | None = None) -> Question:
    """Read a question asked in `system`, on the page of `code` if given (a question that names
    no code is then about that one)."""
    text = _normalise(text)
    lowered = text.lower()
    codes = named_codes(text, system)
    if not codes and system == "icd10cm" and re.search(r"(?<!\d)\d{4}[0-9FTU](?![\w])", text):
        # A CPT code asked about in the default system: answered in CPT, licence and all.
        return read_question(text, system="cpt", code=code)
    if (
        not codes
        and system == "icd10cm"
        and re.search(r"(?<![\w.])\d[A-Za-z0-9]{6}(?![\w.])", text)
    ):
        # An ICD-10-PCS code (7 characters, most sections a digit first) asked in the default
        # system: answered in ICD-10-PCS, which says whether CodeLedger holds it.
        pcs = named_codes(text, "icd10pcs")
        if pcs and any(c.isalpha() for c in pcs[0]):
            return read_question(text, system="icd10pcs", code=code)
    rest = _strip_codes(lowered, codes)
    subject = list(codes) or ([code] if code else [])
    # Two codes: the two named, or the page's code and the one named.
    pair = codes[:2] if len(codes) >= 2 else [code, *codes] if code and codes != [code] else []

    if codes and _WHICH_CODE.match(lowered) and _in_a_name(_condition(lowered), codes):
        # "which code for vitamin B12 deficiency": B12 is a word of the condition, not a code.
        return Question("which_code", system, condition=_condition(lowered))
    if len(pair) == 2 and _TOGETHER.search(rest):
        # Three or more codes named: every pair is read, not the first two only.
        return Question("together", system, tuple(codes if len(codes) > 2 else pair))
    if len(pair) == 2 and (_COMPARE.search(rest) or re.search(r"\bor\b", rest)):
        return Question("compare", system, tuple(pair))
    if subject and _NOTES.search(rest) and (_SCOPE.search(rest) or _SCOPE_AFTER.search(rest)):
        topic, kind, scope = _scoped_topic(text)
        scope_codes = named_codes(scope, system) if scope else []
        return Question(
            "notes_topic",
            system,
            tuple(scope_codes or subject[:1]),
            topic=topic,
            scope_kind=kind,
            scope=scope,
        )
    if subject and _SEVENTH.search(rest) and re.search(r"\b(7th|seventh|7 ?th)\b", rest):
        return Question("seventh_character", system, tuple(subject[:1]), visit=_visit(rest))
    if (
        subject
        and re.search(r"\b(encounter|visit|sequela\w*|follow[- ]?up)\b", rest)
        and (_SEVENTH.search(rest) or re.search(r"\bwhich (?:code|letter)\b", rest))
    ):
        return Question("seventh_character", system, tuple(subject[:1]), visit=_visit(rest))
    if subject and _ADDITIONAL.search(rest) and not re.search(r"\bcode first\b", rest):
        return Question("use_additional", system, tuple(subject[:1]))
    if subject and _CODE_FIRST.search(rest):
        return Question("code_first", system, tuple(subject[:1]))
    if subject and _HISTORY.search(rest):
        return Question("history", system, tuple(subject[:1]))
    if not codes and _NOTES.search(rest) and (_SCOPE.search(rest) or _SCOPE_AFTER.search(rest)):
        topic, kind, scope = _scoped_topic(text)
        return Question("notes_topic", system, (), topic=topic, scope_kind=kind, scope=scope)
    if not codes and _WHICH_CODE.match(lowered) and (condition := _condition(lowered)):
        return Question("which_code", system, condition=condition)
    if subject and set(_words(rest)) <= _FILLER and (codes or _WHAT_IS.search(rest)):
        return Question("what_is", system, tuple(subject[:1]))
    if subject and _WHAT_IS.search(rest) and re.search(r"\b(this|the) code\b", rest):
        return Question("what_is", system, tuple(subject[:1]))
    return Question("out_of_scope", system, tuple(codes))
