from django.apps import AppConfig


class CodeSetsConfig(AppConfig):
    name = "codesets"
    verbose_name = "Code sets"

    def ready(self):
        from accounts.licensing import register_system_lookup
        from codes.system_projector import CodeSystemProjector
        from codesets import events  # noqa: F401 (registers the event types)
        from codesets.models import ReleaseEntry
        from codesets.projector import CodeSetsProjector
        from events.projections import register

        register(CodeSetsProjector())
        # Code systems defined by imported files (codesets.files); the projector lives with its
        # read model in `codes`, and is registered here, by the app that writes its events.
        register(CodeSystemProjector())
        # A release's URL is about its system (licensed systems need the licence).
        register_system_lookup(
            "release_id",
            lambda release_id: (
                ReleaseEntry.objects.filter(release_id=release_id)
                .values_list("system", flat=True)
                .first()
            ),
        )
