from django.core.management.base import BaseCommand

from events.projections import catch_up_all


class Command(BaseCommand):
    help = "Catch every projector up with the head now (what the beat schedule does)."

    def handle(self, *args, **options):
        for result in catch_up_all(force=True):
            line = (
                f"{result.name}: {result.status}, {result.applied} applied, "
                f"checkpoint {result.checkpoint}"
            )
            self.stdout.write(line + (f" ({result.error})" if result.error else ""))
