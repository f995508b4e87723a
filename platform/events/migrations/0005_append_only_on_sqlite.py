"""Re-create the append-only triggers on SQLite.

0004 altered two columns of events_event; on SQLite Django does that by copying the table, and
the copy has no triggers, so every embedded database migrated since lost the protection 0002
gave it. PostgreSQL alters in place and keeps its triggers: nothing to do there.
`events.protection.missing_protection` now checks the triggers (events_verify, /healthz).
"""

from django.db import migrations

from events.protection import SQLITE_TRIGGERS


def recreate(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("events", "0004_event_json_decoder")]

    operations = [migrations.RunPython(recreate, migrations.RunPython.noop)]
