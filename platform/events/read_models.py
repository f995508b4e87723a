"""The event store's own read model: one row per stream (projector `streams`)."""

from events.bulk import bulk_insert
from events.models import StreamSummary
from events.projections import Projector


class StreamSummaryProjector(Projector):
    name = "streams"
    upcast = False  # it reads only the envelope, so it follows events of any type or schema

    def apply(self, events):
        latest: dict[str, list] = {}
        for event in events:
            latest.setdefault(event.stream, []).append(event)
        existing = StreamSummary.objects.in_bulk(list(latest))
        changed, created = [], []
        for stream, stream_events in latest.items():
            last = stream_events[-1]
            row = existing.get(stream)
            if row is None:
                row = StreamSummary(
                    stream=stream, event_count=0, first_position=stream_events[0].position
                )
                created.append(row)
            else:
                changed.append(row)
            row.version = last.version
            row.event_count += len(stream_events)
            row.last_position = last.position
            row.last_type = last.type
            row.last_recorded_at = last.recorded_at
        bulk_insert(StreamSummary, created)
        StreamSummary.objects.bulk_update(
            changed, ["version", "event_count", "last_position", "last_type", "last_recorded_at"]
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
