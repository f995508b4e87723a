"""Models that moved out of the retired `editorial` app keep their tables (docs/architecture.md,
"Moving models"): each new app's first migration adopts the table where an older database has
it and creates it where not, and the new projectors start where `editorial`'s stopped.

Used by the 0001 migrations of codes, review and codesets only; kept in one place so the three
do exactly the same.
"""

OLD_PROJECTOR = "editorial"


def adopt_or_create_tables(*model_names: str):
    """A RunPython function: create each model's table unless it exists already (same name,
    same columns and indexes: the model's state is the old one, moved)."""

    def forwards(apps, schema_editor):
        existing = set(schema_editor.connection.introspection.table_names())
        for label in model_names:
            model = apps.get_model(label)
            if model._meta.db_table not in existing:
                schema_editor.create_model(model)

    return forwards


def inherit_checkpoint(projector: str):
    """A RunPython function: the new projector `projector` starts at the old `editorial`
    projector's checkpoint (and inherits the events an operator told it to skip), so an
    upgraded database does not project the same events twice."""

    def forwards(apps, schema_editor):
        ProjectorState = apps.get_model("events", "ProjectorState")
        SkippedEvent = apps.get_model("events", "SkippedEvent")
        old = ProjectorState.objects.filter(name=OLD_PROJECTOR).first()
        if old is None or ProjectorState.objects.filter(name=projector).exists():
            return
        old.pk = projector  # the name is the primary key: this saves a copy
        old.name = projector
        old.save(force_insert=True)
        for skipped in SkippedEvent.objects.filter(projector=OLD_PROJECTOR):
            skipped.pk = None
            skipped.projector = projector
            skipped.save(force_insert=True)

    return forwards


def forget_old_projector(apps, schema_editor):
    """After codes, review and codesets inherited it: the old checkpoint is gone."""
    apps.get_model("events", "ProjectorState").objects.filter(name=OLD_PROJECTOR).delete()
    apps.get_model("events", "SkippedEvent").objects.filter(projector=OLD_PROJECTOR).delete()
