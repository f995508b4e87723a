"""Scaling out reads: read models from a PostgreSQL read replica (codeledger/routers.py).

The "replica" here is a second database on the same test server, copied from the primary at
one moment and then left behind, as a lagging replica is: what a request reads shows which of
the two it came from.
"""

import subprocess
import uuid
import warnings

import psycopg
import pytest
from django.db import connection, connections
from django.db.utils import load_backend

from codeledger.domain import actor_for
from codeledger.middleware import PRIMARY_COOKIE
from codeledger.routers import REPLICA, replica_reads
from codes.models import CodeEntry
from codesets.actions import code_register
from localservices import postgres_bin
from review.actions import change_request_approve, change_request_submit

pytestmark = pytest.mark.django_db


def server_url(database: str) -> str:
    s = connection.settings_dict
    return f"postgresql://{s['USER']}@{s['HOST']}:{s['PORT']}/{database}"


@pytest.fixture
def lagging_replica(settings, tmp_path):
    """A copy of the primary as it is now, configured as the `replica` alias."""
    primary = connection.settings_dict["NAME"]
    name = f"replica_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    # pg_dump, not CREATE DATABASE ... TEMPLATE: a template must have no other sessions, and
    # threads of earlier tests may still hold theirs.
    dump = tmp_path / "primary.sql"
    subprocess.run(
        [postgres_bin("pg_dump"), "--no-owner", f"--file={dump}", server_url(primary)], check=True
    )
    subprocess.run(
        [postgres_bin("psql"), "-q", "--set=ON_ERROR_STOP=1", f"--file={dump}", server_url(name)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    config = {**connections.settings["default"], "NAME": name}
    with warnings.catch_warnings():  # "overriding DATABASES": exactly what this test means
        warnings.simplefilter("ignore")
        settings.DATABASES = {**settings.DATABASES, REPLICA: config}
    # A connection made at run time (Django's test case allows those, not new aliases).
    connections[REPLICA] = load_backend(config["ENGINE"]).DatabaseWrapper(config, REPLICA)
    yield name
    connections[REPLICA].close()
    del connections[REPLICA]
    with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def revise(people, code, text):
    written = change_request_submit(
        actor=actor_for(people["alice"]),
        system="custom",
        code=code,
        base_version=1,
        changes={"official_descriptor": text},
        rationale="replica test",
    )
    change_request_approve(
        actor=actor_for(people["bob"]),
        change_id=written.change_request.change_id,
        expected_version=1,
    )


@pytest.fixture
def code_on_both(people):
    code_register(
        system="custom", code="RR-1", content={"official_descriptor": "As copied"}, source="t"
    )


@pytest.mark.django_db(transaction=True)  # the replica sees only commits
def test_reads_of_read_models_in_get_requests_come_from_the_replica(
    code_on_both, people, lagging_replica, client
):
    revise(people, "RR-1", "Changed on the primary only")

    answer = client.get("/api/v1/codes/custom/RR-1").json()
    assert (answer["version"], answer["content"]["official_descriptor"]) == (1, "As copied")
    # Outside a request (services, tasks, projectors): always the primary.
    assert CodeEntry.objects.get(system="custom", code="RR-1").version == 2


@pytest.mark.django_db(transaction=True)  # the replica sees only commits
def test_writes_and_the_writers_next_reads_use_the_primary(
    code_on_both, people, lagging_replica, as_user
):
    alice = as_user("alice")
    proposed = alice.post(
        "/api/v1/change-requests",
        {
            "system": "custom",
            "code": "RR-1",
            "base_version": 1,
            "changes": {"official_descriptor": "Proposed through the API"},
            "rationale": "replica test",
        },
        format="json",
    )
    assert proposed.status_code == 201, proposed.content  # written to the primary
    assert PRIMARY_COOKIE in proposed.cookies
    # Alice just wrote: she sees her own change request at once (the primary)...
    mine = alice.get(f"/api/v1/change-requests/{proposed.json()['change_id']}")
    assert mine.status_code == 200, mine.content
    # ...while a reader without the cookie is served by the replica, which lacks it.
    del alice.cookies[PRIMARY_COOKIE]
    assert alice.get(f"/api/v1/change-requests/{proposed.json()['change_id']}").status_code == 404


def test_migrations_and_other_apps_stay_on_the_primary(lagging_replica):
    from django.contrib.auth.models import User
    from django.db import router

    with replica_reads():
        assert router.db_for_read(CodeEntry) == REPLICA
        assert router.db_for_read(User) == "default"
    assert router.db_for_read(CodeEntry) == "default"
    assert router.db_for_write(CodeEntry) == "default"
    assert not router.allow_migrate(REPLICA, "codes")
