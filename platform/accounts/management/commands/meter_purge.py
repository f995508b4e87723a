from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.meter import period_start
from accounts.models import MeterReader, MeterView


class Command(BaseCommand):
    help = "Delete the meter's records of past periods (they no longer count for anything)."

    def handle(self, *args, **options):
        current = period_start()
        views, _ = MeterView.objects.filter(period__lt=current).delete()
        live = MeterView.objects.values("key")
        # Only readers made before this period: a reader row made now may be about to be
        # locked by a view in flight (accounts.meter creates it, then locks it).
        started = timezone.make_aware(datetime.combine(current, time.min), UTC)
        idle = MeterReader.objects.exclude(key__in=live).filter(created_at__lt=started)
        readers, _ = idle.delete()
        self.stdout.write(
            f"removed {views} page views before {current.isoformat()} and {readers} idle readers"
        )
