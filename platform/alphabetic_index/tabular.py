"""The tabular list an index import checks its codes against: the codes in force today.

Read from the `codes` read model (one query for the whole system), which the import command
catches up first. An index entry's code is then:
- `billable`: in force and billable;
- `incomplete`: ends in "-" (more characters required) and its category is in force; or names
  a code whose only subdivisions are 7th characters (S30.811 -> S30.811A/D/S, T78.1 ->
  T78.1XXA), which the index leaves to the tabular list by convention. Either way the tabular
  list completes it, and the entry leads to that code's page;
- `header`: in force but not billable, with subdivisions of its own: the index names a code
  that has since been expanded (Q89.8 in FY2025 -> Q89.81/Q89.89): reported, not attached;
- `stale`: not in the tabular list in force (or retired, or not a valid code): reported.
"""

from collections.abc import Callable

from django.core.exceptions import ValidationError

from codes.models import CodeEntry
from codes.systems import get_system

SEVENTH = 7  # characters of a code completed by a 7th character (dot not counted)


def codes_in_force(system: str) -> dict[str, bool]:
    """Every active code of the system in force today -> whether it is billable."""
    rows = CodeEntry.objects.filter(system=system, in_force=True, status="active")
    return dict(rows.values_list("code", "billable"))


def _completed_by_seventh_character(tabular: dict[str, bool], display) -> set[str]:
    """Codes that a 7th character completes: S30.811 (S30.811A), T78.1 (T78.1XXA)."""
    stems = set()
    for code, billable in tabular.items():
        compact = code.replace(".", "")
        if not billable or len(compact) != SEVENTH:
            continue
        for length in range(3, SEVENTH):
            if set(compact[length : SEVENTH - 1]) <= {"X"}:  # placeholders up to the 7th
                stems.add(display(compact[:length]))
    return stems


def code_checker(system: str, tabular: dict[str, bool]) -> Callable[[str], tuple[str, str]]:
    """`status_of(code)` -> (status, the code page it leads to) against `tabular`."""
    display = get_system(system).display
    seventh = _completed_by_seventh_character(tabular, display) if system == "icd10cm" else set()

    def status_of(code: str) -> tuple[str, str]:
        dashed = code.endswith("-")
        try:
            page = display(code.rstrip("-").rstrip(".") if dashed else code)
        except ValidationError:
            return "stale", ""
        if page not in tabular:
            return "stale", ""
        if tabular[page] and not dashed:
            return "billable", page
        if dashed or page in seventh:
            return "incomplete", page
        return "header", page

    return status_of
