from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from editorial.importing import ImportRefused, import_codes, system_has_codes
from editorial.sources import SOURCES, SourceError, count_source, read_source
from editorial.systems import SYSTEMS
from events.projections import catch_up_all


class Command(BaseCommand):
    help = (
        "Import a code set from packaged CMS data. The first import of a system registers "
        "every code without review; re-running the same release changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help=f"one of: {', '.join(SOURCES)}")
        parser.add_argument("--system", choices=sorted(SYSTEMS), help="check the source's system")
        parser.add_argument("--release", help="release label (default: the source's)")
        parser.add_argument(
            "--effective-from",
            type=date.fromisoformat,
            help="date the codes are in force from (YYYY-MM-DD)",
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
        **options,
    ):
        if source not in SOURCES:
            raise CommandError(f"unknown source {source!r}; known: {', '.join(SOURCES)}")
        spec = SOURCES[source]
        if system and system != spec.system:
            raise CommandError(f"{source} holds {spec.system} codes, not {system}")
        release = release or spec.release
        if if_empty and system_has_codes(spec.system):
            self.stdout.write(f"{spec.system}: codes already imported, nothing to do")
            return
        try:
            total = count_source(source)
            with tqdm(
                total=total,
                unit="code",
                desc=f"importing {source}",
                disable=None,
                file=self.stderr._out,
            ) as bar:
                summary = import_codes(
                    lambda: read_source(source),
                    system=spec.system,
                    source=source,
                    release=release,
                    effective_from=effective_from,
                    progress=bar.update,
                )
        except (SourceError, ImportRefused) as error:
            raise CommandError(f"import refused: {error}") from None
        self.stdout.write("projecting into the read models ...")
        results = catch_up_all(force=True)
        self.stdout.write("")
        self.stdout.write(
            f"{'system':<10} {'source':<16} {'release':<22} {'codes':>8} "
            f"{'written':>8} {'present':>8} {'seconds':>8}"
        )
        self.stdout.write(
            f"{summary.system:<10} {summary.source:<16} {summary.release:<22} "
            f"{summary.codes:>8} {summary.events_written:>8} "
            f"{summary.already_present:>8} {summary.seconds:>8.1f}"
        )
        for result in results:
            self.stdout.write(
                f"projector {result.name}: {result.status}, checkpoint {result.checkpoint}"
            )
        connection.close()
