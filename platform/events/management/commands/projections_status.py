from django.core.management.base import BaseCommand

from events.projections import status


class Command(BaseCommand):
    help = "Show each projector's checkpoint, lag behind the head, and last error."

    def handle(self, *args, **options):
        header = f"{'projector':<16} {'checkpoint':>10} {'lag':>8}  {'state':<8} last success"
        self.stdout.write(header)
        for row in status():
            state = "HALTED" if row.halted else ("failing" if row.failures else "ok")
            success = (
                row.last_success_at.isoformat(timespec="seconds") if row.last_success_at else "-"
            )
            self.stdout.write(
                f"{row.name:<16} {row.checkpoint:>10} {row.lag:>8}  {state:<8} {success}"
            )
            if row.last_error and (row.failures or row.halted):
                self.stdout.write(f"    at position {row.failing_position}: {row.last_error}")
