"""The database itself refuses to change or remove events (docs/events.md).

PostgreSQL: row triggers refuse UPDATE and DELETE, a statement trigger refuses TRUNCATE. A
maintenance transaction may lift the refusal for itself only, with
`SELECT set_config('codeledger.allow_event_rewrite', 'on', true)` (used by test teardown, which
must empty the table, and by tamper tests). Tamper evidence does not rest on the triggers: the hash
chain exposes any change, however it was made.

SQLite (embedded default): triggers refuse UPDATE and DELETE (SQLite has no TRUNCATE; a DELETE
without WHERE fires the same trigger).
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION events_refuse_rewrite() RETURNS trigger AS $$
BEGIN
    IF current_setting('codeledger.allow_event_rewrite', true) = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'events are append-only: % on events_event refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER events_refuse_update_delete BEFORE UPDATE OR DELETE ON events_event
    FOR EACH ROW EXECUTE FUNCTION events_refuse_rewrite();
CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events_event
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_rewrite();
"""

POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS events_refuse_truncate ON events_event;
DROP TRIGGER IF EXISTS events_refuse_update_delete ON events_event;
DROP FUNCTION IF EXISTS events_refuse_rewrite();
"""

SQLITE_UP = [
    """CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events_event
       BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE on events_event refused'); END""",
    """CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events_event
       BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE on events_event refused'); END""",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS events_refuse_update",
    "DROP TRIGGER IF EXISTS events_refuse_delete",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(
                f"append-only triggers are defined for PostgreSQL and SQLite, "
                f"not {schema_editor.connection.vendor}"
            )
        for statement in [statements] if isinstance(statements, str) else statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
