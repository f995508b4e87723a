"""The event store's own read model: one row per stream (projector `streams`)."""

from events.bulk import bulk_insert_values
from events.models import StreamSummary
from events.projections import Projector


class StreamSummaryProjector(Projector):
    name = "streams"
    for_auditors = True
    upcast = False  # it reads only the envelope, so it follows events of any type or schema

    def apply(self, events):
        latest: dict[str, list] = {}
        for event in events:
            latest.setdefault(event.stream, []).append(event)
        existing = StreamSummary.objects.in_bulk(list(latest))
        changed, created = [], []
        for stream, stream_events in latest.items():
            first, last = stream_events[0], stream_events[-1]
            figures = {
                "version": last.version,
                "last_position": last.position,
                "last_type": last.type,
                "last_recorded_at": last.recorded_at,
            }
            row = existing.get(stream)
            if row is None:
                # As values, not instances: a first import creates a row per code, and their
                # model instances and the ORM's insert were most of this projector's time.
                created.append(
                    {
                        "stream": stream,
                        "event_count": len(stream_events),
                        "first_position": first.position,
                        **figures,
                    }
                )
            else:
                for name, value in figures.items():
                    setattr(row, name, value)
                row.event_count += len(stream_events)
                changed.append(row)
        bulk_insert_values(StreamSummary, created)
        StreamSummary.objects.bulk_update(
            changed, ["event_count", "version", "last_position", "last_type", "last_recorded_at"]
        )

    def clear(self):
        StreamSummary.objects.all().delete()

    def snapshot(self):
        return sorted(
            StreamSummary.objects.values_list(
                "stream",
                "version",
                "event_count",
                "first_position",
                "last_position",
                "last_type",
                "last_recorded_at",
            )
        )
