from django.apps import AppConfig


class AlphabeticIndexConfig(AppConfig):
    name = "alphabetic_index"
    verbose_name = "Alphabetic Index"

    def ready(self):
        from alphabetic_index import events  # noqa: F401 (registers the event types)
        from alphabetic_index.projector import IndexProjector
        from events.projections import register

        register(IndexProjector())
