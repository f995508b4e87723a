from django.core.management.base import BaseCommand, CommandError

from events.projections import skip


class Command(BaseCommand):
    help = "Let a halted projector pass over the event it stopped at; the reason is recorded."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--position", type=int, required=True)
        parser.add_argument("--reason", required=True)

    def handle(self, *args, name, position, reason, **options):
        try:
            state = skip(name, position=position, reason=reason)
        except (LookupError, ValueError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{name}: skipped position {position}; checkpoint {state.checkpoint}")
