"""The database's own refusal to change or remove events, as a checked invariant.

The triggers are created by migrations (0002_append_only; 0005 re-creates them on SQLite, where
Django rebuilds a table to alter a column and so drops its triggers). `missing_protection()` names
any that are not there or not enabled, so that `events_verify` and `/healthz` say so on either
database. Tamper evidence does not rest on the triggers (the hash chain exposes any change), but
without them a mistaken UPDATE is accepted instead of refused.
"""

from django.db import connection

# SQLite has no TRUNCATE; a DELETE without WHERE fires the delete trigger.
SQLITE_TRIGGERS = {
    "events_refuse_update": """CREATE TRIGGER IF NOT EXISTS events_refuse_update
       BEFORE UPDATE ON events_event
       BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE on events_event refused'); END""",
    "events_refuse_delete": """CREATE TRIGGER IF NOT EXISTS events_refuse_delete
       BEFORE DELETE ON events_event
       BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE on events_event refused'); END""",
}
POSTGRES_TRIGGERS = ("events_refuse_update_delete", "events_refuse_truncate")


def missing_protection(using=None) -> list[str]:
    """The append-only triggers the events table lacks (or has disabled); empty when protected."""
    conn = using or connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'events_event'"
            )
            present = {name for (name,) in cursor.fetchall()}
            return sorted(set(SQLITE_TRIGGERS) - present)
        if conn.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'events_event'::regclass "
                "AND NOT tgisinternal AND tgenabled <> 'D'"
            )
            present = {name for (name,) in cursor.fetchall()}
            return sorted(set(POSTGRES_TRIGGERS) - present)
    return [f"no append-only triggers are defined for {conn.vendor}"]


def describe_missing(missing: list[str]) -> str:
    return (
        f"the events table is not protected against UPDATE and DELETE: missing {', '.join(missing)}"
        " (run manage.py migrate; docs/events.md, 'Append-only')"
    )
