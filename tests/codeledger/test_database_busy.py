"""A write that waits too long for the database answers 503 with Retry-After, never 500: on
SQLite (the embedded default: one writer at a time) and on PostgreSQL (lock_timeout)."""

import json
import textwrap

import pytest

from tests.embedded import run_django

NEW_CODE = {"system": "custom", "code": "BUSY1", "base_version": 0, "rationale": "A test"}


@pytest.fixture
def embedded_db(tmp_path):
    database = tmp_path / "busy.sqlite3"
    run_django(database, "migrate", "--noinput", "-v0")
    return database


def _request_while_locked(database, path: str, data: dict, *, api: bool) -> tuple[int, str, str]:
    """The status, Retry-After and body of one request made while another connection holds
    SQLite's write lock, with a busy timeout of a tenth of a second."""
    code = textwrap.dedent(
        f"""
        import os, sqlite3, django
        os.environ["DATABASE_URL"] = "sqlite:///{database}"
        django.setup()
        from django.conf import settings
        settings.DATABASES["default"]["OPTIONS"]["timeout"] = 0.1
        settings.ALLOWED_HOSTS = ["*"]
        from django.contrib.auth.models import User, Group
        from django.test import Client
        user = User.objects.create_user("ed", password="pw-long-enough-1")
        user.groups.add(Group.objects.get(name="editor"))
        client = Client(raise_request_exception=False)
        client.force_login(user)
        holder = sqlite3.connect("{database}")
        holder.execute("BEGIN IMMEDIATE")
        kwargs = {{"content_type": "application/json"}} if {api!r} else {{}}
        response = client.post("{path}", {data!r}, **kwargs)
        print(response.status_code, response.get("Retry-After"), sep="\\n")
        print(response.content.decode())
        """
    )
    done = run_django(database, code=code)
    status, retry_after, body = done.stdout.split("\n", 2)
    return int(status), retry_after, body


def test_an_api_write_on_a_locked_sqlite_is_a_503_problem(embedded_db):
    status, retry_after, body = _request_while_locked(
        embedded_db,
        "/api/v1/change-requests",
        {**NEW_CODE, "is_new": True, "changes": {"official_descriptor": "A test code"}},
        api=True,
    )
    assert (status, retry_after) == (503, "5"), body
    problem = json.loads(body)
    assert (problem["type"], problem["detail"]) == (
        "/problems/busy",
        "the database is busy; please retry shortly",
    )


def test_a_screen_on_a_locked_sqlite_is_a_503_page(embedded_db):
    status, retry_after, body = _request_while_locked(
        embedded_db,
        "/codes/new",
        {**NEW_CODE, "official_descriptor": "A test code", "status": "active"},
        api=False,
    )
    assert (status, retry_after) == (503, "5"), body
    assert "Busy: please try again" in body
