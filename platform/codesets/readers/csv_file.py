"""Reading a code set from CSV (UTF-8, a header row) into the same `ConceptRow`s as the FHIR
reader, so one importer handles both (docs/code-sets.md, "Bring your own code set").

Columns, in any order (names are case-insensitive; unknown ones stop the reading, so a typo
cannot drop a column silently):

- `code` (required) and `display` (required; `official_descriptor` is the same column);
- `short_descriptor` (or `short_display`), `parent` (a code of the same file);
- `billable` (or `selectable`): true/false, yes/no, 1/0, empty = true;
- `status`: active (default) or retired; `lay_terms`: several separated by `|`;
- `effective_from`: the day (YYYY-MM-DD) the code comes into force, when it is not the
  release's; `retired_on`: the day it is retired (scheduled when it is still to come).

Anything malformed stops the reading with its line number (`line 7: billable: ...`), counting
the header as line 1, so an import changes nothing and says where to look.
"""

import csv
from collections.abc import Iterable, Iterator
from datetime import date

from codesets.readers.fhir_json import MAX_TEXT, RETIRED, ConceptRow

ALIASES = {
    "code": "code",
    "display": "display",
    "official_descriptor": "display",
    "short_descriptor": "short_display",
    "short_display": "short_display",
    "parent": "parent",
    "billable": "selectable",
    "selectable": "selectable",
    "status": "status",
    "lay_terms": "lay_terms",
    "effective_from": "effective_from",
    "retired_on": "retired_on",
}
TRUE, FALSE = {"true", "yes", "1", "y", ""}, {"false", "no", "0", "n"}


class MalformedCsv(ValueError):
    """The file is not a code-set CSV CodeLedger can read: `line` says where."""

    def __init__(self, line: int, problem: str):
        super().__init__(f"line {line}: {problem}")
        self.line, self.problem = line, problem


def _columns(header: list[str] | None) -> list[str]:
    if not header:
        raise MalformedCsv(1, "the file is empty; the first line names the columns")
    names = [name.strip().lower().lstrip("\ufeff") for name in header]
    unknown = [name for name in names if name not in ALIASES]
    if unknown:
        raise MalformedCsv(
            1, f"unknown column {unknown[0]!r} (known: {', '.join(sorted(set(ALIASES)))})"
        )
    columns = [ALIASES[name] for name in names]
    if len(set(columns)) != len(columns):
        raise MalformedCsv(1, "a column is given twice")
    for required in ("code", "display"):
        if required not in columns:
            raise MalformedCsv(1, f"the {required!r} column is missing")
    return columns


# The content fields each column fills (what a later release of the file can be compared on).
COLUMN_FIELDS = {
    "display": "official_descriptor",
    "short_display": "short_descriptor",
    "parent": "parent",
    "selectable": "billable",
    "status": "status",
    "lay_terms": "lay_terms",
}


def fields_given(lines: Iterable[str]) -> set[str]:
    """The content fields the file's columns give (its header line, read alone)."""
    return {
        COLUMN_FIELDS[column]
        for column in _columns(next(csv.reader(lines), None))
        if column in COLUMN_FIELDS
    }


def _text(value: str, line: int, column: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise MalformedCsv(line, f"{column}: must not be empty")
    if len(value) > MAX_TEXT or "\x00" in value:
        raise MalformedCsv(line, f"{column}: at most {MAX_TEXT} characters, and no NUL")
    return value


def _day(value: str, line: int, column: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise MalformedCsv(line, f"{column}: {value!r} is not a day (YYYY-MM-DD)") from None


def read_csv(lines: Iterable[str]) -> Iterator[ConceptRow]:
    """Every row as a concept, in the file's order, read one line at a time; a code given
    twice stops the reading at its second line. `path` of each row is `line N`."""
    reader = csv.reader(lines)
    try:
        columns = _columns(next(reader, None))
        seen: dict[str, int] = {}
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue  # a blank line
            if len(values) != len(columns):
                raise MalformedCsv(line, f"{len(values)} values for {len(columns)} columns")
            cells = dict(zip(columns, values, strict=True))
            code = _text(cells["code"], line, "code", required=True)
            if code in seen:
                raise MalformedCsv(line, f"{code} is given twice (first on line {seen[code]})")
            seen[code] = line
            selectable = cells.get("selectable", "").strip().lower()
            if selectable not in TRUE | FALSE:
                raise MalformedCsv(line, f"billable: {selectable!r} is not true or false")
            status = cells.get("status", "").strip().lower() or "active"
            if status not in RETIRED | {"active"}:
                raise MalformedCsv(line, f"status: unknown status {status!r}")
            lay = _text(cells.get("lay_terms", ""), line, "lay_terms").split("|")
            effective_from = _day(cells.get("effective_from", ""), line, "effective_from")
            retired_on = _day(cells.get("retired_on", ""), line, "retired_on")
            if effective_from and retired_on and retired_on < effective_from:
                raise MalformedCsv(line, "retired_on: before effective_from")
            yield ConceptRow(
                effective_from=effective_from,
                retired_on=retired_on,
                code=code,
                display=_text(cells["display"], line, "display", required=True),
                short_display=_text(cells.get("short_display", ""), line, "short_descriptor"),
                parent=_text(cells.get("parent", ""), line, "parent"),
                selectable=selectable in TRUE,
                status="retired" if status in RETIRED else "active",
                lay_terms=tuple(term.strip() for term in lay if term.strip()),
                path=f"line {line}",
            )
    except csv.Error as error:
        raise MalformedCsv(reader.line_num, f"not valid CSV ({error})") from None
    except UnicodeDecodeError:
        raise MalformedCsv(reader.line_num + 1, "not UTF-8 text") from None
