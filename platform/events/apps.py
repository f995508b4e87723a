from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Event store"

    def ready(self):
        from events.projections import register
        from events.read_models import StreamSummaryProjector

        register(StreamSummaryProjector())
