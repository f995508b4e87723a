"""Readers of the official ICD-10-CM index files: the flattened CSV and the official XML.

Both yield `SourceEntry` rows in document order: a main term (level 0), then its subterms
indented one level deeper each (1..9), each under the nearest row above with a lower level.

- CSV (`RowID,Letter,Level,Term,See,SeeAlso,NonEssModif,Code`, data/README.md): the FY2025
  Index to Diseases and Injuries as vendored, flattened from the official XML.
- XML (`ICD10CM.index` > `letter` > `mainTerm` > `term level=N`, data/icd10cm-index-2025.xsd):
  the format CDC/NCHS publish every year (2026 uses the same schema), so a later year's file is
  read as it comes. A title's `<nemod>` is its non-essential modifiers; `<seecat>`/`<subcat>`
  ("see category T71") become a see reference "category T71", as the CSV spells them; an
  addenda file's `<diff>` titles are read as their new text. The External Cause Index uses this
  schema too (`in_book` marks its entries as that book's).
- Table XML (`ICD10CM.index` with an `indexHeading` and `cell col=N`, data/icd-10-cm-drug-
  neoplasm-2025.xsd): the Table of Drugs and Chemicals and the Table of Neoplasms
  (`read_table_xml`), each code cell a subterm titled by its column.

Files ending in `.gz` are read through gzip. A malformed file raises `IndexFileError` naming the
row or element, so an import refuses it before anything is written.
"""

import csv
import gzip
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

CSV_COLUMNS = ["RowID", "Letter", "Level", "Term", "See", "SeeAlso", "NonEssModif", "Code"]
MAX_LEVEL = 9
MAX_TITLE, MAX_CODE = 500, 20  # what the read model holds (alphabetic_index.models)
FORMATS = ("csv", "xml")


class IndexFileError(ValueError):
    """The file is not an index file this reader understands; says where."""


@dataclass(frozen=True)
class SourceEntry:
    """One entry of the index as the file states it (no cross-reference resolved yet)."""

    letter: str
    level: int  # 0 = main term
    title: str  # without its non-essential modifiers (empty for 5 entries that are only those)
    modifiers: str = ""  # "(acute) (double)": words that may be absent from the diagnosis
    see: str = ""  # "Hemorrhage, intracranial": a main term, then subterms after commas
    see_also: str = ""
    code: str = ""  # a trailing "-" means more characters are required (tabular list)
    manifestation: str = ""  # the XML's <manif>: a manifestation code, "[I43]" in print
    book: str = ""  # "" = the Index to Diseases and Injuries; else BOOKS' name (a later book)


def _spaces(text: str | None) -> str:
    return " ".join((text or "").split())


def _open_text(path: Path):
    path = Path(path)
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _open_binary(path: Path):
    path = Path(path)
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def format_of(path: Path) -> str:
    """`csv` or `xml`, from the file's name (`.csv`, `.csv.gz`, `.xml`, `.xml.gz`)."""
    name = Path(path).name.lower().removesuffix(".gz")
    for kind in FORMATS:
        if name.endswith(f".{kind}"):
            return kind
    raise IndexFileError(f"{Path(path).name}: cannot tell the format (csv or xml) from the name")


def read_entries(path: Path, kind: str | None = None) -> Iterator[SourceEntry]:
    """The file's entries in document order (`kind`: csv or xml; default from the name)."""
    kind = kind or format_of(path)
    if kind == "csv":
        return read_csv(path)
    if kind == "xml":
        return read_xml(path)
    raise IndexFileError(f"unknown format {kind!r}; known: {', '.join(FORMATS)}")


def read_csv(path: Path) -> Iterator[SourceEntry]:
    """Entries of the flattened CSV, checked row by row (levels step down one at a time)."""
    try:
        with _open_text(path) as handle:
            rows = csv.reader(handle)
            header = next(rows, None)
            if header != CSV_COLUMNS:
                raise IndexFileError(
                    f"{Path(path).name}: the header must be {','.join(CSV_COLUMNS)}"
                )
            previous = -1
            for line, row in enumerate(rows, start=2):
                if len(row) != len(CSV_COLUMNS):
                    raise IndexFileError(f"line {line}: {len(row)} columns, expected 8")
                _, letter, level, term, see, see_also, modifiers, code = row
                entry = _checked(
                    f"line {line}",
                    previous,
                    letter=letter,
                    level=level,
                    title=term,
                    modifiers=modifiers,
                    see=see,
                    see_also=see_also,
                    code=code,
                )
                previous = entry.level
                yield entry
    except (OSError, UnicodeDecodeError, csv.Error, EOFError, gzip.BadGzipFile) as error:
        raise IndexFileError(f"{Path(path).name}: {error}") from None


def _checked(where: str, previous: int, **fields) -> SourceEntry:
    try:
        level = int(fields.pop("level"))
    except ValueError:
        raise IndexFileError(f"{where}: the level is not a number") from None
    if not 0 <= level <= MAX_LEVEL or level > previous + 1:
        raise IndexFileError(
            f"{where}: level {level} cannot follow level {previous} (0 to {MAX_LEVEL}, one "
            "deeper at most)"
        )
    entry = SourceEntry(level=level, **{name: _spaces(value) for name, value in fields.items()})
    if not (entry.title or entry.modifiers):  # a few official entries are a modifier alone
        raise IndexFileError(f"{where}: an entry without a title")
    if len(entry.title) > MAX_TITLE or max(len(entry.code), len(entry.manifestation)) > MAX_CODE:
        raise IndexFileError(
            f"{where}: a title over {MAX_TITLE} or a code over {MAX_CODE} characters"
        )
    if not re.fullmatch(r"[A-Z]", entry.letter):
        raise IndexFileError(f"{where}: the letter must be one of A to Z, not {entry.letter!r}")
    return entry


# --- the official XML ----------------------------------------------------------------------

_REFERENCE_TAGS = {"seecat": "category", "subcat": "subcategory"}


def _title(element: ET.Element | None) -> tuple[str, str]:
    """(title, non-essential modifiers) of a <title> or an addenda <diff> element."""
    if element is None:
        return "", ""
    if element.tag == "diff":  # addenda: <unc>/<new> are the text now, <old> what it was
        text = " ".join(part.text or "" for part in element if part.tag in ("unc", "new"))
        return _spaces((element.text or "") + " " + text), ""
    words, modifiers = [element.text or ""], []
    for child in element:
        if child.tag == "nemod":
            modifiers.append(child.text or "")
        else:
            words.append(child.text or "")
        words.append(child.tail or "")
    return _spaces(" ".join(words)), _spaces(" ".join(modifiers))


def _reference(node: ET.Element) -> str:
    see = _spaces(node.findtext("see"))
    if see:
        return see
    for tag, word in _REFERENCE_TAGS.items():
        if target := _spaces(node.findtext(tag)):
            return f"{word} {target}"
    return ""


def _heading(node: ET.Element) -> ET.Element | None:
    """A letter's or term's <title>, or in an addenda file its <diff>."""
    title = node.find("title")
    return title if title is not None else node.find("diff")


def _xml_entry(node: ET.Element, letter: str, level: int, previous: int, where: str):
    title, modifiers = _title(_heading(node))
    return _checked(
        where,
        previous,
        letter=letter,
        level=str(level),
        title=title,
        modifiers=modifiers,
        see=_reference(node),
        see_also=node.findtext("seeAlso") or "",
        code=node.findtext("code") or "",
        manifestation=node.findtext("manif") or "",
    )


def read_xml(path: Path) -> Iterator[SourceEntry]:
    """Entries of an official index XML file (ICD10CM.index), in document order."""
    try:
        with _open_binary(path) as handle:
            root = ET.parse(handle).getroot()
    except (OSError, ET.ParseError, EOFError, gzip.BadGzipFile) as error:
        raise IndexFileError(f"{Path(path).name}: {error}") from None
    if root.tag != "ICD10CM.index":
        raise IndexFileError(
            f"{Path(path).name}: the root element is <{root.tag}>, not <ICD10CM.index>"
        )
    previous = -1
    for letter_node in root.iter("letter"):
        letter, _ = _title(_heading(letter_node))
        for main in letter_node.findall("mainTerm"):
            stack = [(main, 0)]
            while stack:  # depth first, children in document order
                node, level = stack.pop()
                where = f"letter {letter}, entry {_title(_heading(node))[0]!r}"
                if node.tag == "term" and node.get("level") != str(level):
                    raise IndexFileError(f"{where}: level {node.get('level')}, expected {level}")
                entry = _xml_entry(node, letter, level, previous, where)
                previous = entry.level
                yield entry
                stack.extend((child, level + 1) for child in reversed(node.findall("term")))


def release_year(path: Path, kind: str | None = None) -> str | None:
    """The fiscal year an index file is for: its <version> (XML), else a year in its name."""
    if (kind or format_of(path)) == "xml":
        try:
            with _open_binary(path) as handle:
                for _, element in ET.iterparse(handle, events=("end",)):
                    if element.tag == "version":
                        return _spaces(element.text) or None
                    if element.tag == "letter":
                        break
        except (OSError, ET.ParseError, EOFError, gzip.BadGzipFile) as error:
            raise IndexFileError(f"{Path(path).name}: {error}") from None
    found = re.search(r"(?<!\d)(20\d\d)(?!\d)", Path(path).name)
    return found.group(1) if found else None


# --- the other books: the External Cause Index and the two tables ---------------------------

EXTERNAL_CAUSES = "External Cause Index"
DRUGS = "Table of Drugs and Chemicals"
NEOPLASMS = "Table of Neoplasms"
BOOKS = (EXTERNAL_CAUSES, DRUGS, NEOPLASMS)  # filed after the Index to Diseases, in this order
# A table column's <head> as the path of an entry says it ("Wasp (sting), poisoning, accidental
# (unintentional)"); a heading not listed here is used as printed, in lower case.
COLUMN_LABELS = {
    "Poisoning Accidental (unintentional)": "poisoning, accidental (unintentional)",
    "Poisoning Intentional self-harm": "poisoning, intentional self-harm",
    "Poisoning Assault": "poisoning, assault",
    "Poisoning Undetermined": "poisoning, undetermined",
    "Adverse effect": "adverse effect",
    "Underdosing": "underdosing",
    "Malignant Primary": "malignant primary",
    "Malignant Secondary": "malignant secondary",
    "Ca in situ": "ca in situ",
    "Benign": "benign",
    "Uncertain Behavior": "uncertain behavior",
    "Unspecified Behavior": "unspecified behavior",
}
NO_CODE = re.compile(r"-*")  # a cell without a code: "--" (drug table), "-" (neoplasm table)


def in_book(entries: Iterator[SourceEntry], book: str) -> Iterator[SourceEntry]:
    """The entries as entries of `book` (alphabetic_index.resolution files them under it)."""
    for entry in entries:
        yield replace(entry, book=book)


def _printed(title: ET.Element | None) -> str:
    """A table row's title as printed, its modifiers in place: "Insect (sting), venomous"."""
    if title is None:
        return ""
    parts = [title.text or ""]
    for child in title:
        parts += [child.text or "", child.tail or ""]
    return re.sub(r"\s+([,)])", r"\1", _spaces(" ".join(parts)))


def read_table_xml(path: Path, book: str) -> Iterator[SourceEntry]:
    """Entries of the Table of Drugs and Chemicals or the Table of Neoplasms (official XML,
    data/icd-10-cm-drug-neoplasm-2025.xsd), as entries of `book`.

    A row (mainTerm or term) is an entry without a code; each of its `cell`s that holds a code is
    a subterm one level deeper, titled by its column ("poisoning, accidental (unintentional)",
    "malignant primary"), so that every code the table gives has a path saying what it means. A
    row's non-essential modifiers stay in its title: in a table the row is the substance or site
    as printed ("Wasp (sting)"), and its subterms' paths carry it. So does a neoplasm row's
    `<manif>`, which there is a note on the site, not a code ("book-leaf (mouth) (ventral
    surface of tongue and floor of mouth)")."""
    try:
        with _open_binary(path) as handle:
            root = ET.parse(handle).getroot()
    except (OSError, ET.ParseError, EOFError, gzip.BadGzipFile) as error:
        raise IndexFileError(f"{Path(path).name}: {error}") from None
    if root.tag != "ICD10CM.index" or root.find("indexHeading") is None:
        raise IndexFileError(
            f"{Path(path).name}: not a table (<ICD10CM.index> with an <indexHeading>)"
        )
    columns = {
        head.get("col"): COLUMN_LABELS.get(_spaces(head.text), _spaces(head.text).lower())
        for head in root.iter("head")
    }
    previous = -1
    for letter_node in root.iter("letter"):
        letter, _ = _title(_heading(letter_node))
        letter = letter if re.fullmatch(r"[A-Z]", letter) else "#"
        for main in letter_node.findall("mainTerm"):
            stack = [(main, 0)]
            while stack:
                node, level = stack.pop()
                title = _printed(_heading(node))
                if note := _spaces(node.findtext("manif")):  # the neoplasm table's site note
                    title = f"{title} ({note})"
                where = f"{Path(path).name}, row {title!r}"
                if node.tag == "term" and node.get("level") != str(level):
                    raise IndexFileError(f"{where}: level {node.get('level')}, expected {level}")
                row = _checked(
                    where,
                    previous,
                    letter="A",  # checked as any letter; a book's entries take the book's
                    level=str(level),
                    title=title,
                    see=_reference(node),
                    see_also=node.findtext("seeAlso") or "",
                )
                previous = level
                yield replace(row, letter=letter, book=book)
                for cell in node.findall("cell"):
                    code = _spaces(cell.text)
                    if cell.get("col") not in columns:
                        raise IndexFileError(f"{where}: a cell of no column {cell.get('col')}")
                    if not NO_CODE.fullmatch(code):
                        entry = _checked(
                            where,
                            level,
                            letter="A",
                            level=str(level + 1),
                            title=columns[cell.get("col")],
                            code=code,
                        )
                        previous = level + 1
                        yield replace(entry, letter=letter, book=book)
                stack.extend((child, level + 1) for child in reversed(node.findall("term")))
