"""The code read models, moved from the retired `editorial` app with their tables
(codeledger/adoption.py): an upgraded database keeps its rows, a new one gets new tables."""

from django.db import migrations, models

from codeledger.adoption import adopt_or_create_tables, inherit_checkpoint


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("events", "0004_event_json_decoder"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CodeEntry",
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
                        ("system", models.CharField(max_length=20)),
                        ("code", models.CharField(max_length=20)),
                        ("normalised", models.CharField(max_length=20)),
                        ("version", models.PositiveIntegerField()),
                        ("in_force_version", models.PositiveIntegerField(default=0)),
                        ("in_force", models.BooleanField(default=True)),
                        ("official_descriptor", models.TextField()),
                        ("short_descriptor", models.CharField(blank=True, max_length=200)),
                        ("status", models.CharField(default="active", max_length=10)),
                        ("billable", models.BooleanField(default=False)),
                        ("chapter", models.CharField(blank=True, max_length=300)),
                        ("block", models.CharField(blank=True, max_length=300)),
                        ("parent", models.CharField(blank=True, max_length=20)),
                        ("content", models.JSONField()),
                        ("needs_review", models.BooleanField(default=False)),
                        ("scheduled", models.JSONField(default=list)),
                        ("next_change_on", models.DateField(blank=True, null=True)),
                        ("registered_at", models.DateTimeField()),
                        ("updated_at", models.DateTimeField()),
                        ("position", models.BigIntegerField()),
                    ],
                    options={
                        "db_table": "editorial_codeentry",
                        "indexes": [
                            models.Index(
                                fields=["system", "normalised"], name="editorial_code_normalised"
                            ),
                            models.Index(
                                fields=["next_change_on"], name="editorial_code_next_change"
                            ),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("system", "code"), name="editorial_code_unique"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="CodeVersion",
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
                        ("system", models.CharField(max_length=20)),
                        ("code", models.CharField(max_length=20)),
                        ("version", models.PositiveIntegerField()),
                        ("type", models.CharField(max_length=60)),
                        ("changes", models.JSONField()),
                        ("change_request", models.UUIDField(blank=True, null=True)),
                        ("proposer", models.CharField(blank=True, max_length=150)),
                        ("reviewer", models.CharField(blank=True, max_length=150)),
                        ("effective_from", models.DateField()),
                        ("recorded_at", models.DateTimeField()),
                        ("position", models.BigIntegerField(unique=True)),
                        ("source", models.CharField(blank=True, max_length=200)),
                        ("release", models.CharField(blank=True, max_length=100)),
                    ],
                    options={
                        "db_table": "editorial_codeversion",
                        "ordering": ["system", "code", "version"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("system", "code", "version"),
                                name="editorial_code_version_unique",
                            )
                        ],
                    },
                ),
            ]
        ),
        migrations.RunPython(
            adopt_or_create_tables("codes.CodeEntry", "codes.CodeVersion"),
            migrations.RunPython.noop,
        ),
        migrations.RunPython(inherit_checkpoint("codes"), migrations.RunPython.noop),
    ]
