from django.apps import AppConfig


class EditorialConfig(AppConfig):
    name = "editorial"
    verbose_name = "Editorial"

    def ready(self):
        from editorial import events  # noqa: F401 (registers the event types)
        from editorial.read_models import EditorialProjector
        from events.projections import register

        register(EditorialProjector())
