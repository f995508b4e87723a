from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit"

    def ready(self):
        from audit.log import ChangeLogProjector
        from events.projections import register

        register(ChangeLogProjector())
