import contextlib
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from events.integrity import ImportRefused, import_lines


class Command(BaseCommand):
    help = (
        "Import exported JSON Lines: verifies every hash and link, refuses tampered input, "
        "skips events already stored (idempotent). All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="file to read, or - for stdin")

    def handle(self, *args, source, **options):
        with contextlib.ExitStack() as stack:
            try:
                stream = (
                    sys.stdin
                    if source == "-"
                    else stack.enter_context(Path(source).open(encoding="utf-8"))
                )
            except OSError as error:
                raise CommandError(f"cannot read {source}: {error}") from None
            try:
                bar = stack.enter_context(
                    tqdm(unit="ev", desc="importing", disable=None, file=self.stderr._out)
                )
                result = import_lines(stream, progress=bar.update)
            except ImportRefused as error:
                raise CommandError(f"import refused, nothing written: {error}") from None
        self.stdout.write(
            f"read {result.read} events: {result.written} written, {result.skipped} already stored"
        )
