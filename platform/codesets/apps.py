from django.apps import AppConfig


class CodeSetsConfig(AppConfig):
    name = "codesets"
    verbose_name = "Code sets"

    def ready(self):
        from accounts.licensing import register_system_lookup
        from codesets import events  # noqa: F401 (registers the event types)
        from codesets.models import ReleaseEntry
        from codesets.projector import CodeSetsProjector
        from events.projections import register

        register(CodeSetsProjector())
        # A release's URL is about its system (licensed systems need the licence).
        register_system_lookup(
            "release_id",
            lambda release_id: (
                ReleaseEntry.objects.filter(release_id=release_id)
                .values_list("system", flat=True)
                .first()
            ),
        )
