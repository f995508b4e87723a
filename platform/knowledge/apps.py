from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = "Knowledge: explanations and the glossary"

    def ready(self):
        from events.projections import register
        from knowledge import events  # noqa: F401 (registers the event types)
        from knowledge.projector import GlossaryProjector

        register(GlossaryProjector())
