"""The codes a note names: "Excludes1: fracture of hip (S72.-)", "(J60-J70)", "category S72".

`references` is what an import keeps as related codes (ICD-10-CM families and single codes);
`mentions` finds every code, range and family in a note's text, with where it stands, so that
the code page can link it and the API can list it.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from codes.systems import get_system

# --- related codes at import (ICD-10-CM) --------------------------------------------------------

# A reference is in parentheses at the end of a note: "(I25.2)", "(F17.-)", "(E08.-, E09.-)".
# Its second character must be a digit: "(QFT)" is a lab test, and no note refers to QA0.
_PARENTHESES = re.compile(r"\(([^()]*)\)")
_SINGLE = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?")
# A family of codes: "F17.-", "K12.3-", "I82.4Z-"; also the typos "F17-" and "D29.2.-".
_FAMILY = re.compile(r"([A-Z][0-9][0-9A-Z])(?:\.([0-9A-Z]{0,3}))?\.?-")
_CONJUNCTION = re.compile(r"\s+(?:and|or)\s+")


def references(text: str) -> list[str]:
    """The ICD-10-CM codes and families that a note refers to, in display form.

    Ranges such as "(I20-I25)" or "(T36-T50 with fifth or sixth character 5)" are skipped: they
    name no single entry. A qualifier after "with" is dropped: "(T38.3- with ...)" is "T38.3-".
    """
    found = []
    for group in _PARENTHESES.findall(text):
        for item in group.split(","):
            for part in _CONJUNCTION.split(item.split(" with ")[0]):
                part = part.strip()
                if _SINGLE.fullmatch(part):
                    found.append(part)
                elif family := _FAMILY.fullmatch(part):
                    category, rest = family.groups()
                    found.append(f"{category}.{rest}-" if rest else f"{category}.-")
    return found


# --- every code, range and family a note names ---------------------------------------------------

# A code as notes write it: upper-case letters and digits, dots inside ("S72.001A"). Then a
# range's second code ("J60-J70") or a family's dash ("F17.-", "K12.3-", the typo "F17-").
_MENTION = re.compile(
    r"(?<![\w.-])(?P<first>[A-Z0-9]+(?:\.[A-Z0-9]+)*)"
    r"(?:-(?P<last>[A-Z0-9]+(?:\.[A-Z0-9]+)*)|(?P<family>\.?-))?"
    r"(?![\w-])"
)
# Outside parentheses a code is named only after these words ("each code from category S72"):
# elsewhere "vitamin B12" or "hemoglobin A1C" look like ICD-10-CM codes and are not.
_NAMING_WORD = re.compile(r"\b(?:categories|category|subcategories|subcategory|codes|code)\s+$")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str  # as written: "S72.001A", "J60-J70", "F17.-"
    target: str  # the code it leads to, in display form: a range's first code, a family's stem


def mentions(system: str, text: str) -> list[Mention]:
    """The codes, ranges and families of `system` that `text` names, in order: those in
    parentheses, or right after "category"/"code" and the like, whose (first) code passes the
    system's format check and has a digit (a word in parentheses is not a code)."""
    code_system = get_system(system)
    inside = [m.span(1) for m in _PARENTHESES.finditer(text)]
    found = []
    for match in _MENTION.finditer(text):
        start = match.start()
        if not any(a <= start < b for a, b in inside) and not _NAMING_WORD.search(text[:start]):
            continue
        first = match.group("first")
        if not any(c.isdigit() for c in first):
            continue
        try:
            target = code_system.display(first)
            if match.group("last"):
                code_system.display(match.group("last"))
        except ValidationError:
            continue
        found.append(Mention(start, match.end(), match.group(), target))
    return found


def named_codes(system: str, text: str) -> list[str]:
    """The codes, ranges and families `text` names, as written, each once, in order."""
    return list(dict.fromkeys(mention.text for mention in mentions(system, text)))
