from django.apps import AppConfig


class CodesConfig(AppConfig):
    name = "codes"
    verbose_name = "Codes"

    def ready(self):
        from codes import events, sections  # noqa: F401 (registers the event types)
        from codes.projector import CodeProjector, SectionProjector
        from events.projections import register

        register(CodeProjector())
        register(SectionProjector())
