from django.apps import AppConfig


class CodesConfig(AppConfig):
    name = "codes"
    verbose_name = "Codes"

    def ready(self):
        from codes import events, sections  # noqa: F401 (registers the event types)
        from codes.projector import CodeProjector, SectionProjector
        from codes.system_projector import CodeSystemProjector
        from events.projections import register

        register(CodeProjector())
        register(SectionProjector())
        # The code systems imported files define (codesets.files writes their events).
        register(CodeSystemProjector())
