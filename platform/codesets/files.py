"""Bring-your-own code sets (issue #25): a HCPCS, licensed CPT or custom code set read from a
FHIR CodeSystem JSON resource or a CSV file, and imported through the packaged imports' own
paths (codesets.importing): the first release of a system registers its codes, a later one
becomes a release change set reviewed by a second person.

The whole file is read and checked before anything is written, each row against the system's
code pattern and the content rules, and every parent against the file's codes: a malformed
file stops with the CSV line or JSON path of the first problem and changes nothing.
"""

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError

from codes.content import clean_changes
from codes.systems import get_system
from codesets.importing import (
    ImportRefused,
    first_import_of,
    import_codes,
    propose_release,
    system_has_codes,
)
from codesets.readers.csv_file import MalformedCsv, fields_given, read_csv
from codesets.readers.fhir_json import ConceptRow, MalformedCodeSystem, read_concepts, read_header
from codesets.sources import SourceCode

SYSTEMS = ("hcpcs", "cpt", "custom")  # the systems no packaged source provides
FORMATS = ("fhir", "csv")
# What a file can say about a code, and so what a later release of it is compared on.
PROVIDES = ("official_descriptor", "short_descriptor", "parent", "billable")


class MalformedFile(ValueError):
    """The file cannot be imported; the message starts with the line or JSON path."""


@dataclass(frozen=True)
class FileCode(SourceCode):
    """A code read from a file, with where it was (for the messages of a later check)."""

    where: str = ""


def _content(row: ConceptRow) -> dict:
    return {
        "official_descriptor": row.display,
        "short_descriptor": row.short_display,
        "parent": row.parent,
        "billable": row.selectable,
        "status": row.status,
        "lay_terms": list(row.lay_terms),
    }


def _rows(path: Path, file_format: str):
    if file_format == "csv":
        with path.open(encoding="utf-8", newline="") as lines:
            yield from read_csv(lines)
        return
    try:
        with path.open(encoding="utf-8") as handle:
            resource = json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise MalformedCodeSystem("", f"not JSON ({error})") from None
    read_header(resource)
    yield from read_concepts(resource)


def read_file(path: Path, *, system: str, file_format: str) -> list[FileCode]:
    """Every code of the file, checked; raises MalformedFile naming the line or JSON path."""
    if system not in SYSTEMS:
        raise MalformedFile(f"{system} is imported from its packaged source, not a file")
    if file_format not in FORMATS:
        raise MalformedFile(f"unknown format {file_format!r} (known: {', '.join(FORMATS)})")
    code_system = get_system(system)
    codes: list[FileCode] = []
    first_at: dict[str, str] = {}  # code as the system writes it -> where it was first
    try:
        for row in _rows(path, file_format):
            where = row.path
            try:
                code = code_system.display(row.code)
                content = {
                    **_content(row),
                    "parent": row.parent and code_system.display(row.parent),
                }
                clean_changes(content)
            except ValidationError as error:
                messages = (
                    [f"{name}: {'; '.join(errors)}" for name, errors in error.message_dict.items()]
                    if hasattr(error, "error_dict")
                    else error.messages
                )
                raise MalformedFile(f"{where}: {messages[0]}") from None
            if code in first_at:  # e.g. z9001 and Z9001: one HCPCS code
                raise MalformedFile(f"{where}: {code} is given twice (first at {first_at[code]})")
            first_at[code] = where
            codes.append(FileCode(system, code, content, where=where))
    except (MalformedCsv, MalformedCodeSystem) as error:
        raise MalformedFile(str(error)) from None
    except OSError as error:
        raise MalformedFile(f"cannot read {path}: {error.strerror}") from None
    for code in codes:
        if code.content["parent"] and code.content["parent"] not in first_at:
            raise MalformedFile(
                f"{code.where}: parent {code.content['parent']} is not a code of the file"
            )
    if not codes:
        raise MalformedFile("the file has no codes")
    return codes


def import_file(
    path: Path,
    *,
    system: str,
    file_format: str,
    release: str,
    effective_from: date | None = None,
    progress=None,
):
    """Import a code-set file: a first import (codesets.importing.ImportSummary) when the
    system has no codes yet or this release registered them, else a release change set to
    review (ReleaseSummary). A release leaves out the codes the file marks retired, so they
    become retired items of the change set, and is compared only on the fields its file gives
    (a CSV without a `short_descriptor` column does not empty every short descriptor)."""
    codes = read_file(Path(path), system=system, file_format=file_format)
    source = f"{system}-{file_format}-file"
    if not system_has_codes(system) or first_import_of(system, source=source, release=release):
        return import_codes(
            lambda: iter(codes),
            system=system,
            source=source,
            release=release,
            effective_from=effective_from,
            progress=progress,
        )
    provides = PROVIDES
    if file_format == "csv":  # a column the file leaves out is not a change to its field
        with Path(path).open(encoding="utf-8", newline="") as lines:
            given = fields_given(lines)
        provides = tuple(name for name in PROVIDES if name in given)
    return propose_release(
        lambda: (code for code in codes if code.content["status"] != "retired"),
        system=system,
        source=source,
        release=release,
        provides=provides,
        effective_from=effective_from,
        progress=progress,
    )


__all__ = ["FORMATS", "SYSTEMS", "ImportRefused", "MalformedFile", "import_file", "read_file"]
