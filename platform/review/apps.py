from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review"

    def ready(self):
        from accounts.licensing import register_system_lookup
        from events.projections import register
        from review import events  # noqa: F401 (registers the event types)
        from review.models import ChangeRequestEntry
        from review.projector import ReviewProjector

        register(ReviewProjector())
        # A change request's URL is about its code's system (licensed systems need the licence).
        register_system_lookup(
            "change_id",
            lambda change_id: (
                ChangeRequestEntry.objects.filter(change_id=change_id)
                .values_list("system", flat=True)
                .first()
            ),
        )
