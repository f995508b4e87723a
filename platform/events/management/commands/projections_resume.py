from django.core.management.base import BaseCommand, CommandError

from events.projections import catch_up, resume


class Command(BaseCommand):
    help = "Resume a halted projector after a fix: it retries the event it stopped at."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name, **options):
        try:
            resume(name)
        except LookupError as error:
            raise CommandError(str(error)) from None
        result = catch_up(name, force=True)
        self.stdout.write(
            f"{name}: {result.status}, checkpoint {result.checkpoint}"
            + (f" ({result.error})" if result.error else "")
        )
