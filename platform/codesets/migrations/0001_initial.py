"""The release change sets' read models, moved from the retired `editorial` app with their tables
(codeledger/adoption.py): an upgraded database keeps its rows, a new one gets new tables."""

from django.db import migrations, models

from codeledger.adoption import adopt_or_create_tables, forget_old_projector, inherit_checkpoint


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("review", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ReleaseEntry",
                    fields=[
                        ("release_id", models.UUIDField(primary_key=True, serialize=False)),
                        ("system", models.CharField(max_length=20)),
                        ("source", models.CharField(max_length=200)),
                        ("release", models.CharField(max_length=100)),
                        ("proposer", models.CharField(max_length=150)),
                        ("effective_from", models.DateField(blank=True, null=True)),
                        ("counts", models.JSONField(default=dict)),
                        ("items", models.PositiveIntegerField(default=0)),
                        ("pending", models.PositiveIntegerField(default=0)),
                        ("applied", models.PositiveIntegerField(default=0)),
                        ("rejected", models.PositiveIntegerField(default=0)),
                        ("conflicted", models.PositiveIntegerField(default=0)),
                        ("version", models.PositiveIntegerField()),
                        ("proposed_at", models.DateTimeField()),
                        ("updated_at", models.DateTimeField()),
                        ("proposed_position", models.BigIntegerField(unique=True)),
                        ("position", models.BigIntegerField()),
                    ],
                    options={
                        "db_table": "editorial_releaseentry",
                    },
                ),
                migrations.CreateModel(
                    name="ReleaseItem",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("release_id", models.UUIDField()),
                        ("code", models.CharField(max_length=20)),
                        ("kind", models.CharField(max_length=12)),
                        ("fields", models.CharField(max_length=300)),
                        ("changes", models.JSONField()),
                        ("status", models.CharField(default="pending", max_length=10)),
                        ("conflicts", models.JSONField(default=dict)),
                        ("decided_by", models.CharField(blank=True, max_length=150)),
                        ("reason", models.TextField(blank=True)),
                        ("position", models.BigIntegerField()),
                    ],
                    options={
                        "db_table": "editorial_releaseitem",
                        "ordering": ["release_id", "code"],
                        "indexes": [
                            models.Index(
                                fields=["release_id", "status", "code"],
                                name="editorial_release_status",
                            ),
                            models.Index(
                                fields=["release_id", "kind", "code"], name="editorial_release_kind"
                            ),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("release_id", "code"), name="editorial_release_item"
                            )
                        ],
                    },
                ),
            ]
        ),
        migrations.RunPython(
            adopt_or_create_tables("codesets.ReleaseEntry", "codesets.ReleaseItem"),
            migrations.RunPython.noop,
        ),
        migrations.RunPython(inherit_checkpoint("codesets"), migrations.RunPython.noop),
        migrations.RunPython(forget_old_projector, migrations.RunPython.noop),
    ]
