import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from events.projections import get_projector, projector_names, rebuild


class Command(BaseCommand):
    help = (
        "Rebuild a projection from position 0; readers keep the old one until the new one "
        "is complete."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="projector name or 'all'")

    def handle(self, *args, name, **options):
        names = projector_names() if name == "all" else [name]
        for projector in names:
            try:
                get_projector(projector)
            except LookupError as error:
                raise CommandError(str(error)) from None
            with tqdm(
                unit="ev", desc=f"rebuilding {projector}", disable=None, file=self.stderr._out
            ) as bar:

                def progress(checkpoint, head, bar=bar):
                    bar.total = head
                    bar.n = checkpoint
                    bar.refresh()

                began = time.perf_counter()
                result = rebuild(projector, progress=progress)
                seconds = time.perf_counter() - began
            self.stdout.write(
                f"{projector}: rebuilt from {result.applied} events in {seconds:.1f} s, "
                f"checkpoint {result.checkpoint}"
            )
