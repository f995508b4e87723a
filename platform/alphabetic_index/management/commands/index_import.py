import re
from datetime import date
from itertools import chain
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from alphabetic_index.importing import IndexImportRefused, index_history, index_import
from alphabetic_index.readers import (
    DRUGS,
    EXTERNAL_CAUSES,
    FORMATS,
    NEOPLASMS,
    IndexFileError,
    in_book,
    read_entries,
    read_table_xml,
    read_xml,
    release_year,
)
from codes.systems import SYSTEMS
from events.progress import progress_bar, project_with_progress, projected_afterwards
from events.projections import catch_up

DATA = Path(__file__).resolve().parents[2] / "data"
DEFAULT_FILE = DATA / "icd10cm-index-2025.csv.gz"
# The FY2025 books read with the vendored Index to Diseases (data/README.md).
BOOKS = (
    (EXTERNAL_CAUSES, DATA / "icd-10-cm-eindex-2025.xml.gz"),
    (DRUGS, DATA / "icd-10-cm-drug-2025.xml.gz"),
    (NEOPLASMS, DATA / "icd-10-cm-neoplasm-2025.xml.gz"),
)
# The vendored release with its books: a label of its own, so that a database holding the
# Index to Diseases alone ("FY2025") receives it as a release to review, not a refused re-use.
BOOKS_SUFFIX = "+tables"

ROWS = (
    ("entries", "entries"),
    ("main_terms", "main terms"),
    ("with_code", "with a code"),
    ("see_only", "see-only"),
    ("see_resolved", "  resolved to a code"),
    ("see_to_term_without_code", "  to a term without a code"),
    ("see_unresolved", "  unresolved (tables, by site)"),
    ("see_also", "with see also"),
    ("leads_to_code", "leading to a code"),
    ("billable_code", "  billable"),
    ("incomplete_code", "  incomplete (- or 7th char.)"),
    ("seventh_character_code", "    of them: 7th character"),
    ("header_code", "  header code (reported)"),
    ("stale_code", "  stale code (reported)"),
)


def _read_book(book: tuple[str, Path]):
    name, path = book
    if name == EXTERNAL_CAUSES:  # the Index to Diseases' own schema
        return in_book(read_xml(path), name)
    return read_table_xml(path, name)


class Command(BaseCommand):
    help = (
        "Import a year's ICD-10-CM Alphabetic Index (Index to Diseases and Injuries; by default "
        "with the vendored External Cause Index and Tables of Drugs and of Neoplasms) as "
        "official content: the first index is in force at once; a later year is proposed for "
        "review against the index in force. Re-running the same release changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file",
            type=Path,
            default=DEFAULT_FILE,
            help="index file: the flattened CSV or the official XML, optionally .gz "
            f"(default: the vendored {DEFAULT_FILE.name})",
        )
        parser.add_argument("--format", choices=FORMATS, help="default: from the file name")
        parser.add_argument("--system", choices=sorted(SYSTEMS), default="icd10cm")
        parser.add_argument(
            "--release", help="release label (default: FY and the year of the file)"
        )
        parser.add_argument(
            "--effective-from", type=date.fromisoformat, help="YYYY-MM-DD, for the record"
        )
        parser.add_argument(
            "--no-books",
            action="store_true",
            help="the Index to Diseases alone: without the vendored External Cause Index, Table "
            "of Drugs and Chemicals and Table of Neoplasms (read only with the default file)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the system has an index already (first start of `make run`)",
        )

    def handle(
        self,
        *args,
        file,
        format=None,
        system,
        release=None,
        effective_from=None,
        if_empty=False,
        no_books=False,
        **options,
    ):
        if if_empty and index_history().releases_of(system):
            self.stdout.write(f"{system}: an Alphabetic Index was imported before, nothing to do")
            return
        if not file.exists():
            raise CommandError(f"no such file: {file}")
        books = () if no_books or file != DEFAULT_FILE else BOOKS
        try:
            release = release or self._label(file, format) + (BOOKS_SUFFIX if books else "")
            # Codes are checked against the codes read model: bring it up to the log first.
            catch_up("codes", force=True)
            with (
                progress_bar(
                    unit="entry", desc=f"reading {file.name}", stream=self.stderr._out
                ) as bar,
                projected_afterwards(),
            ):

                def entries():
                    for entry in chain(read_entries(file, format), *map(_read_book, books)):
                        bar.update()
                        yield entry

                summary = index_import(
                    entries(),
                    system=system,
                    release=release,
                    source=", ".join([file.name, *(path.name for _, path in books)]),
                    effective_from=effective_from,
                    progress=bar.set_description,
                )
        except (IndexFileError, IndexImportRefused) as error:
            raise CommandError(f"import refused: {error}") from None
        results = project_with_progress(self.stderr._out) if summary.events_written else []
        self._table(summary)
        for result in results:
            self.stdout.write(
                f"projector {result.name}: {result.status}, checkpoint {result.checkpoint}"
            )

    @staticmethod
    def _label(file: Path, format) -> str:
        year = release_year(file, format)
        if not year or not re.fullmatch(r"\d{4}", year):
            raise CommandError(f"cannot tell the release of {file.name}: give --release")
        return f"FY{year}"

    def _table(self, summary):
        outcome = {
            "in_force": "imported, in force (the first index of this system)",
            "proposed": "proposed for review against the index in force",
            "already_imported": "imported before: nothing to do",
            "no_differences": "states nothing the index in force does not: nothing to review",
        }[summary.status]
        self.stdout.write(f"index {summary.system} {summary.release} ({summary.source}): {outcome}")
        self.stdout.write(f"release {summary.release_id}")
        self.stdout.write(f"{'':<40} {'count':>8}")
        for key, label in ROWS:
            if key in summary.counts:
                self.stdout.write(f"{label:<40} {summary.counts[key]:>8}")
        for key, count in (summary.changes or {}).items():
            self.stdout.write(
                f"{'against the index in force: ' + key.replace('_', ' '):<40} {count:>8}"
            )
        if summary.events_written:
            self.stdout.write(f"{summary.events_written} events written in {summary.seconds:.1f} s")
        if summary.status == "proposed":
            self.stdout.write(
                f"review it at /api/v1/index/releases/{summary.release_id} or decide with "
                f"`manage.py index_release_decide {summary.release_id} --reviewer USER --approve`"
            )
