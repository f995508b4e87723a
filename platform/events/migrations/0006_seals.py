"""Seals (events.sealing). A log that exists already is sealed at its head now: the chain links
every earlier event to it, so from here on the whole log is covered."""

from django.db import migrations, models

from events.sealing import current_key_id, mac


def seal_the_head(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    Seal = apps.get_model("events", "Seal")
    head = Event.objects.order_by("-position").values_list("position", "hash").first()
    if head and not Seal.objects.filter(position=head[0]).exists():
        key_id = current_key_id()
        Seal.objects.create(
            position=head[0], hash=head[1], key_id=key_id, mac=mac("seal", *head, key_id=key_id)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_append_only_on_sqlite"),
    ]

    operations = [
        migrations.CreateModel(
            name="Seal",
            fields=[
                ("position", models.BigIntegerField(primary_key=True, serialize=False)),
                ("hash", models.CharField(max_length=64)),
                ("key_id", models.CharField(max_length=40)),
                ("mac", models.CharField(max_length=64)),
                ("sealed_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["position"],
            },
        ),
        migrations.RunPython(seal_the_head, migrations.RunPython.noop),
    ]
