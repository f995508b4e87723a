from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Event store"

    def ready(self):
        from events.projections import register
        from events.read_models import StreamSummaryProjector
        from events.signals import events_committed
        from events.tasks import request_catch_up

        register(StreamSummaryProjector())
        # The store announces commits; the projection runner listens (store -> signal -> tasks).
        events_committed.connect(request_catch_up, dispatch_uid="events.catch_up")
