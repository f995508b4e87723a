"""`manage.py codes_import SOURCE`: a packaged code set (codesets.sources); `manage.py
codes_import --file F --format fhir|csv --system S --release R`: a code set you bring, from a
FHIR CodeSystem JSON resource or a CSV file (codesets.files, docs/code-sets.md), which may
define its system."""

import argparse
from datetime import date
from functools import partial
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from codes.systems import PACKAGED_SYSTEMS
from codesets.files import FORMATS, MalformedFile, SystemOptions, import_file
from codesets.importing import (
    ImportRefused,
    ImportSummary,
    first_import_of,
    import_codes,
    propose_release,
    system_has_codes,
)
from codesets.sources import SOURCES, SourceError, count_source, read_sections, read_source
from events.progress import progress_bar, project_with_progress, projected_afterwards

FILE_OPTIONS = (
    "file_format",
    "label",
    "url",
    "publisher",
    "licence",
    "licensed",
    "code_pattern",
    "code_format",
    "system_version",
)


class Command(BaseCommand):
    help = (
        "Import a code set: from packaged CMS data (SOURCE), or from a file you bring (--file, "
        "with --format, --system and --release; docs/code-sets.md). The first import of a "
        "system registers every code without review; a later release becomes one release "
        "change set to review (added, revised and retired codes). Re-running the same release "
        "changes nothing. A malformed file changes nothing and names its line or JSON path."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", help=f"one of: {', '.join(SOURCES)}")
        parser.add_argument(
            "--system",
            help="the code system: with SOURCE, a check of the source's; with --file, a "
            f"packaged one ({', '.join(sorted(PACKAGED_SYSTEMS))}) or the name of the system "
            "the file defines (2 to 20 lowercase letters, digits or dashes)",
        )
        parser.add_argument("--release", help="release label (default: the source's)")
        parser.add_argument(
            "--effective-from",
            type=date.fromisoformat,
            help="date the codes are in force from (YYYY-MM-DD; default: the release's, e.g. "
            "2026-04-01 for icd10cm-2026; for a file, the day of a first import, or of the "
            "approval of a later release's items), unless a code gives its own",
        )
        files = parser.add_argument_group("a code set you bring (docs/code-sets.md)")
        files.add_argument("--file", type=Path, help="a FHIR CodeSystem JSON resource or a CSV")
        files.add_argument("--format", choices=FORMATS, dest="file_format")
        files.add_argument("--label", help="the system's name as people read it")
        files.add_argument("--url", help="the system's canonical URL")
        files.add_argument("--publisher", help="who publishes the code set")
        files.add_argument("--licence", help="its licence or terms, shown with its text")
        files.add_argument(
            "--licensed",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="readable in full only by organisations holding its licence",
        )
        files.add_argument(
            "--code-pattern",
            help="a regular expression every code matches (default: 1 to 20 letters, digits, "
            "dots, dashes or underscores)",
        )
        files.add_argument("--code-format", help="the pattern in words, for messages")
        files.add_argument("--system-version", dest="system_version", help="the code set's version")
        parser.add_argument(
            "--only",
            metavar="PREFIXES",
            help="only the codes starting with these comma-separated prefixes (e.g. E11,I21)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the system already has codes (first start)",
        )

    def handle(
        self,
        *args,
        source,
        system=None,
        release=None,
        effective_from=None,
        if_empty=False,
        only=None,
        file=None,
        **options,
    ):
        if file is not None:
            if source:
                raise CommandError("give a SOURCE or a --file, not both")
            self._import_file(
                file, system=system, release=release, effective_from=effective_from, **options
            )
            return
        file_options = [name for name in FILE_OPTIONS if options.get(name) is not None]
        if file_options:
            raise CommandError(f"--{file_options[0].replace('_', '-')} goes with --file")
        if source not in SOURCES:
            raise CommandError(f"unknown source {source!r}; known: {', '.join(SOURCES)}")
        spec = SOURCES[source]
        if system and system != spec.system:
            raise CommandError(f"{source} holds {spec.system} codes, not {system}")
        release = release or spec.release
        prefixes = tuple(p.strip().upper() for p in only.split(",") if p.strip()) if only else ()
        has_codes = system_has_codes(spec.system)
        if if_empty and has_codes:
            self.stdout.write(f"{spec.system}: codes already imported, nothing to do")
            return

        def codes():
            if not prefixes:
                return read_source(source)
            return (code for code in read_source(source) if code.code.startswith(prefixes))

        first = not has_codes or first_import_of(spec.system, source=source, release=release)
        # The release's date, not the day of the import (which is when CodeLedger learnt it).
        effective_from = effective_from or spec.effective_from
        try:
            total = None if prefixes else count_source(source)
            bar = progress_bar(
                stream=self.stderr._out,
                total=total,
                unit="code",
                desc=f"{'importing' if first else 'diffing'} {source}",
            )
            with bar, projected_afterwards():
                if first:
                    summary = import_codes(
                        codes,
                        system=spec.system,
                        source=source,
                        release=release,
                        effective_from=effective_from,
                        progress=bar.update,
                        sections=partial(read_sections, source),
                    )
                else:
                    summary = propose_release(
                        codes,
                        system=spec.system,
                        source=source,
                        release=release,
                        provides=spec.provides,
                        effective_from=effective_from,
                        progress=bar.update,
                        sections=partial(read_sections, source),
                    )
        except (SourceError, ImportRefused) as error:
            raise CommandError(f"import refused: {error}") from None
        results = project_with_progress(self.stderr._out)
        self.stdout.write("")
        if first:
            self._import_table(summary)
        else:
            self._release_table(summary)
        for result in results:
            self.stdout.write(
                f"projector {result.name}: {result.status}, checkpoint {result.checkpoint}"
            )
        connection.close()

    def _import_file(self, path, *, system, release, effective_from, file_format=None, **options):
        missing = [
            flag
            for flag, value in (
                ("--format", file_format),
                ("--system", system),
                ("--release", release),
            )
            if not value
        ]
        if missing:
            raise CommandError(f"--file needs {', '.join(missing)}")
        metadata = SystemOptions(
            label=options.get("label"),
            url=options.get("url"),
            publisher=options.get("publisher"),
            licence=options.get("licence"),
            licensed=options.get("licensed"),
            code_pattern=options.get("code_pattern"),
            format_hint=options.get("code_format"),
            version=options.get("system_version"),
        )
        out = self.stderr._out
        # A bar on a terminal, a line every few seconds in a log (events.progress).
        checking = progress_bar(stream=out, unit="code", desc=f"checking {path.name}")
        writing = None

        def checked(found):
            nonlocal writing
            checking.close()
            for event in found.definition_events:
                verb = "defines" if type(event).__name__ == "CodeSystemDefined" else "revises"
                self.stdout.write(f"the file {verb} the code system {found.system.name}")
            writing = progress_bar(
                stream=out, total=found.codes, unit="code", desc=f"importing {path.name}"
            )

        try:
            with checking, projected_afterwards():
                summary = import_file(
                    path,
                    system=system,
                    file_format=file_format,
                    release=release,
                    effective_from=effective_from,
                    options=metadata,
                    checking=checking.update,
                    checked=checked,
                    progress=lambda n: writing.update(n),
                )
        except (MalformedFile, ImportRefused) as error:
            raise CommandError(f"import refused, nothing changed: {error}") from None
        finally:
            if writing is not None:
                writing.close()
        results = project_with_progress(out)
        self.stdout.write("")
        if isinstance(summary, ImportSummary):
            self._import_table(summary)
        else:
            self._release_table(summary)
        for result in results:
            self.stdout.write(
                f"projector {result.name}: {result.status}, checkpoint {result.checkpoint}"
            )
        connection.close()

    def _import_table(self, summary):
        self.stdout.write(
            f"{'system':<10} {'source':<16} {'release':<22} {'codes':>8} {'sections':>8} "
            f"{'written':>8} {'present':>8} {'seconds':>8}"
        )
        self.stdout.write(
            f"{summary.system:<10} {summary.source:<16} {summary.release:<22} "
            f"{summary.codes:>8} {summary.sections:>8} {summary.events_written:>8} "
            f"{summary.already_present:>8} {summary.seconds:>8.1f}"
        )

    def _release_table(self, summary):
        outcome = {
            "proposed": "release change set proposed for review",
            "already_proposed": "this release was proposed before: nothing to do",
            "no_differences": "the release matches the current codes: nothing to review",
        }[summary.status]
        self.stdout.write(f"{summary.system} {summary.release} ({summary.source}): {outcome}")
        if summary.status == "no_differences":
            return
        kinds = summary.counts.get("kinds", {})
        self.stdout.write(f"release {summary.release_id}")
        self.stdout.write(f"{'items':<24} {'count':>8}")
        for kind, count in kinds.items():
            self.stdout.write(f"{kind:<24} {count:>8}")
        for name, count in summary.counts.get("revised_fields", {}).items():
            self.stdout.write(f"{'  revised ' + name:<24} {count:>8}")
        if summary.sections:
            self.stdout.write(
                f"{summary.sections} chapters and blocks added or revised (their notes and "
                "titles, recorded with the release)"
            )
        if summary.status == "proposed":
            self.stdout.write(
                f"{summary.events_written} events written in {summary.seconds:.1f} s; review it "
                f"at /api/v1/releases/{summary.release_id} or approve it with "
                f"`manage.py release_decide {summary.release_id} --reviewer USER --approve`"
            )
