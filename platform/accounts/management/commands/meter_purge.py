from django.core.management.base import BaseCommand

from accounts.meter import period_start
from accounts.models import MeterReader, MeterView


class Command(BaseCommand):
    help = "Delete the meter's records of past periods (they no longer count for anything)."

    def handle(self, *args, **options):
        current = period_start()
        views, _ = MeterView.objects.filter(period__lt=current).delete()
        live = MeterView.objects.values("key")
        readers, _ = MeterReader.objects.exclude(key__in=live).delete()
        self.stdout.write(
            f"removed {views} page views before {current.isoformat()} and {readers} idle readers"
        )
