"""Backup and restore (docs/operations.md): the event log is the backup. Restored into an empty,
migrated database, it rebuilds every read model and the search index to what they were."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from codeledger.domain import actor_for
from codesets.actions import code_register
from events.projections import catch_up_all, get_projector, projector_names
from localservices import postgres_bin
from review.actions import change_request_approve, change_request_submit

# Sequences reset: the log starts at position 1 without gaps. events_import numbers the events
# it writes afresh (pg_dump keeps the positions), so only then do both restores agree exactly.
pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)
REPO = Path(__file__).resolve().parents[2]

SNAPSHOT = """
import json
from events.projections import get_projector, projector_names
snapshots = {name: get_projector(name).snapshot() for name in projector_names()}
print(json.dumps(snapshots, default=str, sort_keys=True))
"""


def server_url(database: str) -> str:
    settings = connection.settings_dict
    return f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{database}"


def manage(*args, database_url, alias, **kwargs):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SEARCH_INDEX_ALIAS": alias,
        "EVENTS_CATCH_UP_AFTER_COMMIT": "false",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def history(people):
    """Some real history: codes registered, a change proposed by one editor and approved."""
    for code, title in (("BK-1", "Backup test code one"), ("BK-2", "Backup test code two")):
        code_register(
            system="custom", code=code, content={"official_descriptor": title}, source="test"
        )
    written = change_request_submit(
        actor=actor_for(people["alice"]),
        system="custom",
        code="BK-1",
        base_version=1,
        changes={"official_descriptor": "Backup test code one, revised"},
        rationale="clearer",
    )
    change_request_approve(
        actor=actor_for(people["bob"]),
        change_id=written.change_request.change_id,
        expected_version=1,
    )
    assert all(result.status == "caught_up" for result in catch_up_all())


@pytest.fixture
def empty_database():
    name = f"restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield server_url(name)
    with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def dump_events_table(path: Path) -> None:
    """The backup: pg_dump of the event log alone (its rows, their seals, the position
    sequence), as docs/operations.md says."""
    subprocess.run(
        [
            postgres_bin("pg_dump"),
            "--data-only",
            "--table=events_event",
            "--table=events_seal",
            f"--file={path}",
            server_url(connection.settings_dict["NAME"]),
        ],
        check=True,
    )


def restore_events_table(path: Path, database_url: str) -> None:
    subprocess.run(
        [postgres_bin("psql"), "--quiet", "--set=ON_ERROR_STOP=1", f"--file={path}", database_url],
        check=True,
        stdout=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("backup", ["pg_dump", "events_export"])
def test_restoring_the_event_log_rebuilds_the_same_read_models_and_index(
    backup, history, empty_database, es_namespace, tmp_path
):
    live = json.loads(
        json.dumps(
            {n: get_projector(n).snapshot() for n in projector_names()}, default=str, sort_keys=True
        )
    )
    assert live["search"] and live["codes"]["codes"], "the live projections are not empty"

    restored_alias = f"{es_namespace}-restored-codes"
    restore = {"database_url": empty_database, "alias": restored_alias}
    manage("migrate", "--noinput", **restore)
    if backup == "pg_dump":
        dump_events_table(tmp_path / "events.sql")
        restore_events_table(tmp_path / "events.sql", empty_database)
    else:
        # The application's own export verifies every hash and link as it imports.
        manage(
            "events_export",
            "--output",
            str(tmp_path / "events.jsonl"),
            database_url=server_url(connection.settings_dict["NAME"]),
            alias=restored_alias,
        )
        manage("events_import", str(tmp_path / "events.jsonl"), **restore)
    manage("events_verify", **restore)
    manage("projections_rebuild", "all", **restore)

    restored = json.loads(manage("shell", "-c", SNAPSHOT, **restore).strip().splitlines()[-1])
    assert restored == live

    # New appends continue after the restored positions (the sequence came back too).
    manage(
        "shell",
        "-c",
        "from codesets.actions import code_register;"
        "code_register(system='custom', code='BK-3', content={'official_descriptor': 'x'})",
        **restore,
    )
    with psycopg.connect(empty_database) as restored_db:
        positions = [
            row[0]
            for row in restored_db.execute("SELECT position FROM events_event ORDER BY position")
        ]
    assert positions[-1] > positions[-2]
