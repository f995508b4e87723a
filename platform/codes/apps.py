from django.apps import AppConfig


class CodesConfig(AppConfig):
    name = "codes"
    verbose_name = "Codes"

    def ready(self):
        from codes import events  # noqa: F401 (registers the event types)
        from codes.projector import CodeProjector
        from events.projections import register

        register(CodeProjector())
