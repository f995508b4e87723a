"""The database refuses to change or remove events, on both databases, and says when it no longer
does (events.protection): events_verify fails and /healthz reports `append_only` down."""

import sqlite3

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from codeledger.health import _check_append_only
from events.protection import missing_protection
from tests.embedded import run_django

APPEND_ONE = """
import django
django.setup()
from codesets.actions import code_register
code_register(system="custom", code="X1", content={"official_descriptor": "a test code"})
"""


@pytest.fixture
def embedded(tmp_path):
    """A SQLite database as `make run` migrates it, with one event."""
    database = tmp_path / "embedded.sqlite3"
    run_django(database, "migrate", "--no-input", "-v0")
    run_django(database, code=APPEND_ONE)
    return database


def _refused(database, statement: str) -> str:
    with sqlite3.connect(database) as db, pytest.raises(sqlite3.IntegrityError) as refused:
        db.execute(statement)
    return str(refused.value)


@pytest.mark.slow  # migrates a SQLite database in Django subprocesses
def test_a_migrated_sqlite_database_refuses_to_change_or_remove_events(embedded):
    """0004 rebuilt events_event on SQLite and lost 0002's triggers: 0005 puts them back."""
    assert "append-only" in _refused(embedded, "UPDATE events_event SET type = 'Forged'")
    assert "append-only" in _refused(embedded, "DELETE FROM events_event")


@pytest.mark.slow  # migrates a SQLite database in Django subprocesses
def test_events_verify_fails_on_a_sqlite_database_without_the_triggers(embedded):
    with sqlite3.connect(embedded) as db:
        db.execute("DROP TRIGGER events_refuse_update")
    done = run_django(embedded, "events_verify", check=False)
    assert done.returncode != 0
    assert "not protected against UPDATE and DELETE: missing events_refuse_update" in done.stderr
    assert "the chain itself verified (1 events)" in done.stderr


@pytest.mark.slow  # migrates a SQLite database in Django subprocesses
def test_migrate_restores_the_sqlite_triggers(embedded):
    with sqlite3.connect(embedded) as db:
        db.execute("DROP TRIGGER events_refuse_delete")
    run_django(embedded, "migrate", "events", "0004", "--no-input", "-v0")
    run_django(embedded, "migrate", "--no-input", "-v0")
    done = run_django(embedded, "events_verify")
    assert "the database refuses UPDATE and DELETE of events" in done.stdout


@pytest.mark.django_db
def test_postgresql_protection_is_checked():
    assert missing_protection() == []
    assert _check_append_only() == {"status": "up"}


@pytest.mark.django_db
def test_a_disabled_postgresql_trigger_is_reported_and_fails_verification():
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE events_event DISABLE TRIGGER events_refuse_update_delete")
        assert missing_protection() == ["events_refuse_update_delete"]
        report = _check_append_only()
        assert report["status"] == "down"
        assert "missing events_refuse_update_delete" in report["detail"]
        with pytest.raises(CommandError, match="not protected against UPDATE and DELETE"):
            call_command("events_verify")
        transaction.set_rollback(True)
    assert missing_protection() == []
