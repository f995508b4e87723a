"""Which codes a note names, and whether a listed code falls within them.

An ICD-10-CM note names single codes ("(I25.2)"), families ("(E10.-)", "(K12.3-)"), ranges
("(J60-J70)") and categories ("category S72"); each covers the code it names and every code
below it: "E10.-" covers E10, E10.9 and E10.65. Some name a range with a qualifier, "(E08-E13
with .42)" or "(T36-T50 with fifth or sixth character 5)", which covers only the codes of the
range that carry those characters. A qualifier this module cannot read covers nothing: for an
Excludes1 note a missed finding is better than a false one, which would tell a coder to drop a
code they may report (docs/check.md).

Pure: no database. Codes are compared in their compact form (no dot), where "below" is "starts
with" for every system CodeLedger holds.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from codes.references import mentions
from codes.systems import get_system

_PARENTHESES = re.compile(r"\(([^()]*)\)")
# "fifth", "5th", "sixth", "six" (a typo in the tabular), "seventh", "7th".
_ORDINALS = {
    "fifth": 5,
    "5th": 5,
    "sixth": 6,
    "six": 6,
    "6th": 6,
    "seventh": 7,
    "7th": 7,
}
_ORDINAL = r"(fifth|5th|sixth|six|6th|seventh|7th)"
# "fifth or sixth character 5", "sixth character 1-4", "fifth-character 1", "5th character .6",
# "fifth to sixth characters 51".
_AT_POSITION = re.compile(
    rf"{_ORDINAL}(?:\s+(or|to)\s+{_ORDINAL})?[\s-]+characters?\s+\.?([0-9A-Z]+)(?:-([0-9A-Z])|\s+or\s+([0-9A-Z]))?"
)
# "final characters -23", "final characters .00 or .01".
_FINAL = re.compile(r"final characters\s+(.+)")
# ".42", ".51-.52", ".14, .24, .94", ".62-" (a family of endings).
_ENDING = re.compile(r"\.([0-9A-Z]+)(?:-\.([0-9A-Z]+)|(-))?")
# Where the qualifier starts: " with ...", also glued to a family ("(S92.-with 7th character B)").
_WITH = re.compile(r"[\s-]with\s+(.+)$")


def compact(system: str, code: str) -> str:
    """The code without its dot, upper-case: what prefixes and ranges compare."""
    return get_system(system).display(code).replace(".", "")


@dataclass(frozen=True)
class Target:
    """One code, family or range a note names, as written (`text`), with what it covers."""

    text: str
    first: str  # compact
    last: str  # compact; == first unless a range
    qualifier: Callable[[str], bool] | None = None  # on the compact code; None: no qualifier
    readable: bool = True  # False: a qualifier this module cannot read (covers nothing)

    def covers(self, code: str) -> bool:
        """`code` (compact) is this target or below it, and carries the qualifier's characters."""
        if not self.readable:
            return False
        inside = (
            code[: len(self.first)] >= self.first and code[: len(self.last)] <= self.last
            if self.last != self.first
            else code.startswith(self.first)
        )
        return inside and (self.qualifier is None or self.qualifier(code))


def _qualifier(text: str) -> tuple[Callable[[str], bool] | None, bool]:
    """(test, readable) of the words after "with" in a note's parentheses."""
    text = text.strip().rstrip(".").strip()
    if match := _AT_POSITION.match(text):
        first_word, joiner, second_word, value, upper, alternative = match.groups()
        start = _ORDINALS[first_word]
        if joiner == "to":
            # "fifth to sixth characters 51": the characters from the 5th on read "51".
            return (lambda code: code[start - 1 : start - 1 + len(value)] == value), True
        positions = [start] + ([_ORDINALS[second_word]] if second_word else [])
        if upper:  # "1-4": a span of single characters
            allowed = {chr(c) for c in range(ord(value), ord(upper) + 1)}
        elif len(value) == 1:
            allowed = {value, alternative} - {None}
        else:
            return None, False
        return (lambda code: any(code[p - 1 : p] in allowed for p in positions)), True
    if match := _FINAL.match(text):
        endings = [e.strip(" .-") for e in re.split(r",|\bor\b", match.group(1))]
        if endings and all(re.fullmatch(r"[0-9A-Z]+", e) for e in endings):
            return (lambda code: any(code.endswith(e) for e in endings)), True
        return None, False
    if text.startswith("."):
        tests = []
        for part in re.split(r",\s*|\.\s+(?=\.)|\s+or\s+", text):
            part = part.strip()
            if not part:
                continue
            ending = _ENDING.fullmatch(part)
            if not ending:
                return None, False
            low, high, family = ending.groups()
            tests.append((low, high, bool(family)))

        def carries(code: str) -> bool:
            rest = code[3:]  # the characters after the category's dot
            for low, high, family in tests:
                if high and low <= rest[: len(low)] <= high:
                    return True
                if not high and (rest.startswith(low) if family else rest[: len(low)] == low):
                    return True
            return False

        return carries, True
    return None, False


def note_targets(system: str, text: str) -> list[Target]:
    """The codes, families and ranges `text` names (codes.references.mentions), each with the
    qualifier of its parentheses, if any ("with ..." applies to every code in them)."""
    groups = [(m.start(1), m.end(1), m.group(1)) for m in _PARENTHESES.finditer(text)]
    targets = []
    for mention in mentions(system, text):
        qualifier, readable = None, True
        for start, end, group in groups:
            if start <= mention.start < end and (said := _WITH.search(group)):
                qualifier, readable = _qualifier(said.group(1))
        written = mention.text
        if "-" in written and not written.endswith("-"):
            first, last = written.split("-", 1)
        else:
            first = last = mention.target
        try:
            first, last = compact(system, first), compact(system, last)
        except Exception:  # a range end the system refuses: covers nothing
            continue
        targets.append(Target(written, first, last, qualifier, readable))
    return targets


def covering(targets: list[Target], code: str) -> Target | None:
    """The first target that covers `code` (compact), if any."""
    return next((t for t in targets if t.covers(code)), None)
