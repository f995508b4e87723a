from datetime import date
from functools import partial

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from codes.systems import SYSTEMS
from codesets.importing import (
    ImportRefused,
    first_import_of,
    import_codes,
    propose_release,
    system_has_codes,
)
from codesets.sources import SOURCES, SourceError, count_source, read_sections, read_source
from events.progress import project_with_progress, projected_afterwards


class Command(BaseCommand):
    help = (
        "Import a code set from packaged CMS data. The first import of a system registers "
        "every code without review; a later release becomes one release change set to review "
        "(added, revised and retired codes). Re-running the same release changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help=f"one of: {', '.join(SOURCES)}")
        parser.add_argument("--system", choices=sorted(SYSTEMS), help="check the source's system")
        parser.add_argument("--release", help="release label (default: the source's)")
        parser.add_argument(
            "--effective-from",
            type=date.fromisoformat,
            help="date the codes are in force from (YYYY-MM-DD; default: the release's, e.g. "
            "2026-04-01 for icd10cm-2026)",
        )
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
        **options,
    ):
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
            bar = tqdm(
                total=total,
                unit="code",
                desc=f"{'importing' if first else 'diffing'} {source}",
                disable=None,
                file=self.stderr._out,
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
