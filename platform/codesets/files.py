"""Bring your own code set (issue #25): a code set read from a FHIR CodeSystem JSON resource
or a CSV file, and imported through the packaged imports' own paths (codesets.importing): the
first release of a system registers its codes, a later one becomes a release change set
reviewed by a second person (docs/code-sets.md, "Bring your own code set").

A file imports into a packaged system that no packaged source fills (hcpcs, cpt, custom), or
defines a system of its own: its name is `--system`, its label, canonical URL, publisher,
licence and licensed flag come from the CodeSystem resource or from the options
(`SystemOptions`), and its definition is recorded as events (codes.system_definitions). A
packaged system's definition is never taken from a file.

The file is read twice, one concept at a time, so memory does not grow with its size: first
to check it (every row against the content rules, then every code against the system's
pattern, no code twice, every parent a code of the file), then to write. A malformed file
stops at the check with the CSV line or JSON path of the first problem and changes nothing:
no code, no release, no system definition.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from codeledger.domain import SYSTEM_ACTOR
from codes.content import clean_changes
from codes.models import CodeSystemEntry
from codes.streams import code_system_stream
from codes.system_definitions import (
    DEFINITION_FIELDS,
    checked_definition,
    decide_definition,
    evolve_definition,
)
from codes.system_projector import refresh_code_systems
from codes.systems import PACKAGED_SYSTEMS, SYSTEMS, CodeSystem, defined_system
from codesets.importing import (
    ImportRefused,
    first_import_of,
    import_codes,
    propose_release,
    system_has_codes,
)
from codesets.readers.csv_file import MalformedCsv, fields_given, read_csv
from codesets.readers.fhir_json import ConceptRow, MalformedCodeSystem
from codesets.readers.fhir_stream import CodeSystemStream
from codesets.sources import SOURCES, SourceCode
from events.store import NO_STREAM, ConcurrencyError, append

FORMATS = ("fhir", "csv")
# What a file can say about a code, and so what a later release of it is compared on.
PROVIDES = ("official_descriptor", "short_descriptor", "parent", "billable")


class MalformedFile(ValueError):
    """The file cannot be imported; the message starts with the line or JSON path."""


@dataclass(frozen=True)
class FileCode(SourceCode):
    """A code read from a file: where it was (for the messages of a later check), and its own
    dates when the file gives them (else the release's)."""

    where: str = ""
    effective_from: date | None = None
    retired_on: date | None = None


@dataclass(frozen=True)
class SystemOptions:
    """What the command's options (or the upload form) say about the system a file defines;
    None: not said. For FHIR they override the resource's metadata; for CSV they are all there
    is (a new system's label defaults to its name, its URL to `urn:codeledger:code-system:<name>`).
    """

    label: str | None = None
    url: str | None = None
    publisher: str | None = None
    licence: str | None = None
    licensed: bool | None = None
    code_pattern: str | None = None
    format_hint: str | None = None
    version: str | None = None

    def given(self) -> dict:
        return {
            name: getattr(self, name)
            for name in DEFINITION_FIELDS
            if getattr(self, name) is not None
        }


@dataclass
class CheckedFile:
    """What the check found: the system the codes are checked against, the events that define
    or revise it (none for a packaged system or an unchanged definition), how many codes."""

    path: Path
    file_format: str
    system: CodeSystem
    definition_events: list = field(default_factory=list)
    definition_version: int = 0  # the definition stream's version the events follow
    codes: int = 0
    # code -> {"added": date, "retired": date}: the items of a later release in force from the
    # code's own day rather than the release's.
    dates: dict = field(default_factory=dict)


def _content(row: ConceptRow) -> dict:
    return {
        "official_descriptor": row.display,
        "short_descriptor": row.short_display,
        "parent": row.parent,
        "billable": row.selectable,
        "status": row.status,
        "lay_terms": list(row.lay_terms),
    }


class _Reading:
    """One pass over the file: its rows, and (FHIR) its header once they are read."""

    def __init__(self, path: Path, file_format: str):
        self.path, self.file_format, self.header = path, file_format, None

    def rows(self) -> Iterator[ConceptRow]:
        try:
            if self.file_format == "csv":
                with self.path.open(encoding="utf-8", newline="") as lines:
                    yield from read_csv(lines)
                return
            with self.path.open("rb") as handle:
                stream = CodeSystemStream(handle)
                yield from stream.rows()
                self.header = stream.header
        except (MalformedCsv, MalformedCodeSystem) as error:
            raise MalformedFile(str(error)) from None
        except OSError as error:
            raise MalformedFile(f"cannot read {self.path}: {error.strerror}") from None


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{name}: {'; '.join(errors)}" for name, errors in error.message_dict.items()]
    return error.messages


def _checked_row(row: ConceptRow) -> dict:
    """The row's content, checked against the content rules (not yet its system's pattern)."""
    content = _content(row)
    try:
        clean_changes(content)
    except ValidationError as error:
        raise MalformedFile(f"{row.path}: {_messages(error)[0]}") from None
    if row.effective_from and row.retired_on and row.retired_on < row.effective_from:
        raise MalformedFile(f"{row.path}: retired on {row.retired_on}, before it is in force")
    return content


def _current_definition(name: str) -> tuple[dict | None, int]:
    row = CodeSystemEntry.objects.filter(name=name).values().first()
    if row is None:
        return None, 0
    return {"name": name, **{key: row[key] for key in DEFINITION_FIELDS}}, row["stream_version"]


# The command's option for each definition field (codes_import --file).
OPTION_NAMES = {"format_hint": "--code-format", "version": "--system-version"}


def _option(field: str) -> str:
    return OPTION_NAMES.get(field, "--" + field.replace("_", "-"))


def _resolve_system(
    name: str, file_format: str, header, options: SystemOptions, release: str
) -> tuple[CodeSystem, list, int]:
    """The system the file's codes go into, the events its definition needs (none for a
    packaged system or an unchanged definition), and its definition stream's version."""
    given = options.given()
    if name in PACKAGED_SYSTEMS:
        if given:
            raise MalformedFile(
                f"{name} is a packaged system: its definition is CodeLedger's, not a file's "
                f"(leave out {', '.join(_option(field) for field in given)})"
            )
        return PACKAGED_SYSTEMS[name], [], 0
    stated = {}
    if header is not None:  # FHIR: the resource's metadata, under the options
        stated = {
            "label": header.title or header.name or None,
            "url": header.url or None,
            "publisher": header.publisher or None,
            "licence": header.copyright or None,
            "licensed": header.licensed,
            "version": header.version or None,
        }
        stated = {key: value for key, value in stated.items() if value is not None}
    stated.update(given)
    if "code_pattern" in stated:  # a new pattern without words: described by itself
        stated.setdefault("format_hint", "")
    current, version = _current_definition(name)
    if current is None:
        stated.setdefault("label", name)
        stated.setdefault("url", f"urn:codeledger:code-system:{name}")
    try:
        events = decide_definition(
            current,
            {"name": name, **(current or {}), **stated},
            given=frozenset(stated),
            source=f"{file_format}-file",
            release=release,
        )
    except ValidationError as error:
        raise MalformedFile(f"the system's definition: {error.messages[0]}") from None
    definition = current
    for event in events:
        definition = evolve_definition(definition, event)
    return defined_system(checked_definition(definition)), events, version


def check_file(
    path: Path,
    *,
    system: str,
    file_format: str,
    release: str,
    options: SystemOptions | None = None,
    progress: Callable[[int], None] | None = None,
) -> CheckedFile:
    """The first pass: the whole file checked, nothing written; raises MalformedFile naming the
    line or JSON path of the first problem."""
    if file_format not in FORMATS:
        raise MalformedFile(f"unknown format {file_format!r} (known: {', '.join(FORMATS)})")
    if any(source.system == system for source in SOURCES.values()):
        raise MalformedFile(f"{system} is imported from its packaged source, not a file")
    reading = _Reading(Path(path), file_format)
    rows = []  # (code as written, parent as written, where, dates): no more is kept
    for row in reading.rows():
        _checked_row(row)
        rows.append((row.code, row.parent, row.path, row.effective_from, row.retired_on))
        if progress:
            progress(1)
    if not rows:
        raise MalformedFile("the file has no codes")
    code_system, events, version = _resolve_system(
        system, file_format, reading.header, options or SystemOptions(), release
    )
    checked = CheckedFile(
        Path(path),
        file_format,
        code_system,
        definition_events=events,
        definition_version=version,
        codes=len(rows),
    )
    first_at: dict[str, str] = {}  # code as the system writes it -> where it was first
    for code, _parent, where, effective_from, retired_on in rows:
        display = _display(code_system, code, where)
        if display in first_at:  # e.g. z9001 and Z9001: one HCPCS code
            raise MalformedFile(f"{where}: {display} is given twice (first at {first_at[display]})")
        first_at[display] = where
        dates = {}
        if effective_from:
            dates["added"] = effective_from.isoformat()
        if retired_on:
            dates["retired"] = retired_on.isoformat()
        if dates:
            checked.dates[display] = dates
    for _code, parent, where, *_dates in rows:
        if parent and _display(code_system, parent, where) not in first_at:
            raise MalformedFile(f"{where}: parent {parent} is not a code of the file")
    return checked


def _display(code_system: CodeSystem, code: str, where: str) -> str:
    try:
        return code_system.display(code)
    except ValidationError as error:
        raise MalformedFile(f"{where}: {error.messages[0]}") from None


def read_codes(checked: CheckedFile) -> Iterator[FileCode]:
    """The second pass: every code of a checked file, as the import registers it."""
    code_system = checked.system
    for row in _Reading(checked.path, checked.file_format).rows():
        content = {**_checked_row(row), "parent": row.parent and code_system.display(row.parent)}
        yield FileCode(
            code_system.name,
            _display(code_system, row.code, row.path),
            content,
            where=row.path,
            effective_from=row.effective_from,
            retired_on=row.retired_on,
        )


def read_file(path: Path, *, system: str, file_format: str, **kwargs) -> list[FileCode]:
    """Every code of the file, checked (for tests and small files: a list in memory)."""
    return list(
        read_codes(check_file(path, system=system, file_format=file_format, release="", **kwargs))
    )


def _record_definition(checked: CheckedFile, release: str) -> None:
    """Append the system's definition or revision, and project it at once: the codes that
    follow in the same transaction are checked against it (codes.systems.get_system)."""
    if not checked.definition_events:
        return
    name = checked.system.name
    append(
        code_system_stream(name),
        checked.definition_events,
        checked.definition_version or NO_STREAM,
        meta={
            "actor": SYSTEM_ACTOR.username,
            "source": f"{checked.file_format}-file",
            "release": release,
        },
    )
    refresh_code_systems([name])


def import_file(
    path: Path,
    *,
    system: str,
    file_format: str,
    release: str,
    effective_from: date | None = None,
    options: SystemOptions | None = None,
    progress: Callable[[int], None] | None = None,
    checking: Callable[[int], None] | None = None,
    checked: Callable[[CheckedFile], None] | None = None,
):
    """Import a code-set file: a first import (codesets.importing.ImportSummary) when the
    system has no codes yet or this release registered them, else a release change set to
    review (ReleaseSummary). `checking` counts the rows of the check, `progress` the codes
    written; `checked` is told what the check found before anything is written.

    A release leaves out the codes the file marks retired (or gives a retirement day), so they
    become retired items of the change set, and is compared only on the fields its file gives
    (a CSV without a `short_descriptor` column does not empty every short descriptor)."""
    found = check_file(
        Path(path),
        system=system,
        file_format=file_format,
        release=release,
        options=options,
        progress=checking,
    )
    if checked:
        checked(found)
    source = f"{system}-{file_format}-file"
    try:
        with transaction.atomic():
            _record_definition(found, release)
            if not system_has_codes(system) or first_import_of(
                system, source=source, release=release
            ):
                return import_codes(
                    lambda: read_codes(found),
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
                lambda: (
                    code
                    for code in read_codes(found)
                    if code.content["status"] != "retired" and not code.retired_on
                ),
                system=system,
                source=source,
                release=release,
                provides=provides,
                effective_from=effective_from,
                progress=progress,
                item_dates=found.dates,
            )
    except ConcurrencyError:
        SYSTEMS.forget()
        raise ImportRefused(
            f"the code system {system} was defined or revised by another import meanwhile: "
            "run this one again"
        ) from None
    except Exception:
        SYSTEMS.forget()  # a definition this process read inside the transaction is undone
        raise


__all__ = [
    "FORMATS",
    "CheckedFile",
    "ImportRefused",
    "MalformedFile",
    "SystemOptions",
    "check_file",
    "import_file",
    "read_file",
]
