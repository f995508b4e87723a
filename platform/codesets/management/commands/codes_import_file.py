from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from codesets.files import FORMATS, SYSTEMS, ImportRefused, MalformedFile, import_file
from codesets.importing import ImportSummary
from codesets.management.commands.codes_import import Command as PackagedImport
from events.progress import project_with_progress, projected_afterwards


class Command(BaseCommand):
    help = (
        "Import a code set you bring (HCPCS, licensed CPT, custom) from a FHIR CodeSystem JSON "
        "resource or a CSV file (columns in docs/code-sets.md). The first release of a system "
        "registers its codes; a later one becomes a release change set to review. A malformed "
        "file changes nothing and names its line (CSV) or JSON path (FHIR)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the file to import")
        parser.add_argument("--system", required=True, choices=SYSTEMS)
        parser.add_argument("--format", required=True, choices=FORMATS, dest="file_format")
        parser.add_argument("--release", required=True, help="release label, e.g. 2026-Q2")
        parser.add_argument(
            "--effective-from",
            type=date.fromisoformat,
            help="date the release's codes are in force from (YYYY-MM-DD)",
        )

    def handle(self, *args, path, system, file_format, release, effective_from=None, **options):
        bar = tqdm(unit="code", desc=f"importing {path.name}", disable=None, file=self.stderr._out)
        try:
            with bar, projected_afterwards():
                summary = import_file(
                    path,
                    system=system,
                    file_format=file_format,
                    release=release,
                    effective_from=effective_from,
                    progress=bar.update,
                )
        except (MalformedFile, ImportRefused) as error:
            raise CommandError(f"import refused, nothing changed: {error}") from None
        results = project_with_progress(self.stderr._out)
        self.stdout.write("")
        # The same tables as the packaged import prints.
        if isinstance(summary, ImportSummary):
            PackagedImport._import_table(self, summary)
        else:
            PackagedImport._release_table(self, summary)
        for result in results:
            self.stdout.write(
                f"projector {result.name}: {result.status}, checkpoint {result.checkpoint}"
            )
        connection.close()
