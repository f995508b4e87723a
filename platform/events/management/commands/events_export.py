import sys
from pathlib import Path

from django.core.management.base import BaseCommand
from tqdm import tqdm

from events.integrity import export_lines
from events.store import head_position


class Command(BaseCommand):
    help = "Stream every event as JSON Lines, with positions and hashes, to a file or stdout."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")

    def handle(self, *args, output=None, **options):
        out = output.open("w", encoding="utf-8") if output else sys.stdout
        count = 0
        try:
            with tqdm(
                total=head_position(),
                unit="ev",
                desc="exporting",
                disable=None,
                file=self.stderr._out,
            ) as bar:
                for line in export_lines():
                    out.write(line)
                    count += 1
                    bar.update(1)
        finally:
            if output:
                out.close()
        if output:
            self.stderr.write(f"exported {count} events to {output}")
