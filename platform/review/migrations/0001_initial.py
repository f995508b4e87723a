"""The review queue's read model, moved from the retired `editorial` app with its table; the
role groups
(codeledger/adoption.py): an upgraded database keeps its rows, a new one gets new tables."""

from django.db import migrations, models

from codeledger.adoption import adopt_or_create_tables, inherit_checkpoint
from codeledger.domain import ROLES


def create_roles(apps, schema_editor):
    """The role groups (an upgraded database has them already). Permissions are decided by the
    domain rules (docs/permissions.md)."""
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("codes", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ChangeRequestEntry",
                    fields=[
                        ("change_id", models.UUIDField(primary_key=True, serialize=False)),
                        ("system", models.CharField(max_length=20)),
                        ("code", models.CharField(max_length=20)),
                        ("is_new", models.BooleanField(default=False)),
                        ("kind", models.CharField(default="edit", max_length=10)),
                        ("reverts_version", models.PositiveIntegerField(blank=True, null=True)),
                        ("status", models.CharField(max_length=20)),
                        ("proposer", models.CharField(max_length=150)),
                        ("reviewer", models.CharField(blank=True, max_length=150)),
                        ("rationale", models.TextField()),
                        ("decision", models.TextField(blank=True)),
                        ("changes", models.JSONField()),
                        ("base_version", models.PositiveIntegerField()),
                        ("effective_from", models.DateField(blank=True, null=True)),
                        ("comments", models.JSONField(default=list)),
                        ("code_version", models.PositiveIntegerField(blank=True, null=True)),
                        ("version", models.PositiveIntegerField()),
                        ("submitted_at", models.DateTimeField()),
                        ("updated_at", models.DateTimeField()),
                        ("submitted_position", models.BigIntegerField(unique=True)),
                        ("position", models.BigIntegerField()),
                    ],
                    options={
                        "db_table": "editorial_changerequestentry",
                        "indexes": [
                            models.Index(
                                fields=["status", "submitted_position"], name="editorial_cr_queue"
                            ),
                            models.Index(fields=["system", "code"], name="editorial_cr_code"),
                        ],
                    },
                ),
            ]
        ),
        migrations.RunPython(
            adopt_or_create_tables("review.ChangeRequestEntry"), migrations.RunPython.noop
        ),
        migrations.RunPython(inherit_checkpoint("review"), migrations.RunPython.noop),
        migrations.RunPython(create_roles, migrations.RunPython.noop),
    ]
