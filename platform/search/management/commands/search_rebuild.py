from django.core.management.base import BaseCommand
from tqdm import tqdm

from events.projections import rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the event log into a new physical index and swap the "
        "alias atomically; searches keep answering meanwhile."
    )

    def handle(self, *args, **options):
        with tqdm(
            unit="ev", desc="rebuilding search index", disable=None, file=self.stderr._out
        ) as bar:

            def progress(checkpoint, head):
                bar.total = head
                bar.n = checkpoint
                bar.refresh()

            result = rebuild("search", progress=progress)
        self.stdout.write(
            f"search: rebuilt from {result.applied} events, checkpoint {result.checkpoint}"
        )
