"""Services for the test run, each started once per session and only for the tests that ask.

PostgreSQL, Redis and Elasticsearch are throwaway instances started from the installed binaries
(deploy/local/localservices.py) on free ports, and removed at the end of the session. Each
starts the first time a test needs it, never before:
- PostgreSQL: any test with database access (`db`, `transactional_db`, `django_db`).
- Redis: the `redis_url` fixture (tests that use it are marked `redis` at collection).
- Elasticsearch: the `es_namespace` fixture, or the `elasticsearch` marker, which gives the test
  `es_namespace`: settings.ELASTICSEARCH_URL (and the environment variable, for subprocesses)
  point at the session's node for that test only, under an index prefix of its own that is
  removed afterwards. Tests whose fixtures reach `elasticsearch_url`, and every test under
  tests/search/, are marked at collection.
To reuse running instances instead, set TEST_DATABASE_URL (a PostgreSQL server URL),
TEST_REDIS_URL or TEST_ELASTICSEARCH_URL.

Every other test, database tests included, sees an Elasticsearch URL on which nothing listens:
a local port this session holds bound and never listens on, so a connection is refused at once
(never a developer's node on 127.0.0.1:9200, and no waiting). The projection runner, which
catches every projector up after each commit, finds the `search` projector's store unavailable:
a transient failure it records and retries later, which these tests do not look at.

Markers (pyproject.toml): `elasticsearch`, `redis`, `browser` (Chromium, tests/e2e; those tests
get Elasticsearch too: they drive the whole product) and `slow`. `make test-fast` runs the
tests that carry none of them; `make test` runs everything.

Database tests run inside a transaction that is rolled back (`django_db`). Only a test that needs
real commits asks for `django_db(transaction=True)` (or `transactional_db`), saying why: it reads
what catches up after a commit (projections, tasks run on commit), uses several connections or
threads (the search projector reads code histories from its bulk-indexing threads), a
subprocess, a replica or a live server. Those tests end with a flush that deletes every row.
"""

import contextlib
import os
import shutil
import socket
import tempfile
import threading
import uuid
from pathlib import Path

import environ
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connections
from rest_framework.test import APIClient

from localservices import ElasticsearchNode, PostgresServer, RedisServer

# A fixture that reaches one of these makes the test carry the marker (pytest -m selects on it).
MARKED_BY_FIXTURE = {
    "elasticsearch_url": "elasticsearch",
    "redis_url": "redis",
    "chromium_browser": "browser",
}


# Every test in these folders needs Elasticsearch, whichever fixtures it uses.
ELASTICSEARCH_FOLDERS = ("search",)


def pytest_collection_modifyitems(items):
    tests = Path(__file__).parent
    for item in items:
        folder = Path(item.path).relative_to(tests).parts[0]
        if folder in ELASTICSEARCH_FOLDERS and not item.get_closest_marker("elasticsearch"):
            item.add_marker("elasticsearch")
        for fixture, marker in MARKED_BY_FIXTURE.items():
            if fixture in item.fixturenames and not item.get_closest_marker(marker):
                item.add_marker(marker)
        # A browser drives the whole product, its search box included.
        if item.get_closest_marker("browser") and not item.get_closest_marker("elasticsearch"):
            item.add_marker("elasticsearch")


@pytest.fixture(scope="session")
def services_dir():
    folder = Path(tempfile.mkdtemp(prefix="codeledger-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def elasticsearch_url(services_dir):
    """URL of the session's Elasticsearch node, started the first time a test needs it.
    Tests use it through `es_namespace` (or the `elasticsearch` marker), which points the
    settings at it."""
    if url := os.environ.get("TEST_ELASTICSEARCH_URL"):
        yield url
        return
    node = ElasticsearchNode(base=services_dir / "elasticsearch")
    node.start()
    yield node.url
    node.stop()


@pytest.fixture(scope="session")
def postgres_url(services_dir):
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    server = PostgresServer(base=services_dir / "postgres")
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def redis_url(services_dir):
    if url := os.environ.get("TEST_REDIS_URL"):
        yield url
        return
    server = RedisServer(base=services_dir / "redis")
    server.start()
    yield server.url
    server.stop()


class HungRedis:
    """A server that takes connections and never answers: a hung Redis, or one whose replies are
    lost. `connections` counts the connections it was sent."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self.listener.getsockname()[1]}/0"
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        with contextlib.suppress(OSError):  # closed
            while True:
                self.accepted.append(self.listener.accept()[0])

    @property
    def connections(self) -> int:
        return len(self.accepted)

    def close(self):
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.listener.close()
        for sock in self.accepted:
            sock.close()


@pytest.fixture
def hung_redis():
    from django_redis.pool import ConnectionFactory

    server = HungRedis()
    yield server
    server.close()
    ConnectionFactory._pools.pop(server.url, None)  # django-redis keeps pools by URL


def cache_options(*, timeout: float = 0.5, retry_after: float = 5.0) -> dict:
    """The production cache's OPTIONS (settings.CACHES), with these timeouts."""
    return {
        "IGNORE_EXCEPTIONS": True,
        "SOCKET_CONNECT_TIMEOUT": timeout,
        "SOCKET_TIMEOUT": timeout,
        "CONNECTION_POOL_CLASS": "codeledger.cache.CircuitBreakingPool",
        "CONNECTION_POOL_KWARGS": {"retry_after": retry_after},
    }


def redis_caches(location: str, *, key_prefix: str = "", **options) -> dict:
    """settings.CACHES as production has it with CACHE_URL=`location` (cache_options)."""
    default = {
        "BACKEND": "codeledger.cache.RedisCache",
        "LOCATION": location,
        "OPTIONS": cache_options(**options),
    }
    return {"default": {**default, "KEY_PREFIX": key_prefix} if key_prefix else default}


@pytest.fixture(scope="session")
def django_db_modify_db_settings(postgres_url):
    """Tests run against PostgreSQL, never the embedded SQLite default."""
    from codeledger.settings import database_settings

    settings.DATABASES["default"] = database_settings(environ.Env.db_url_config(postgres_url))
    # Django may already hold a connection built from the SQLite default: forget it.
    connections.close_all()
    connections.__dict__.pop("settings", None)
    with contextlib.suppress(AttributeError):
        del connections["default"]
    os.environ["DATABASE_URL"] = postgres_url


@pytest.fixture(scope="session", autouse=True)
def _test_settings():
    """Settings for every test: no Elasticsearch unless a test asks for it (see the module's
    docstring), and fast password hashing."""
    # Bound, never listening: connections are refused at once, and no one else can take it.
    unreachable = socket.socket()
    unreachable.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{unreachable.getsockname()[1]}"
    previous = os.environ.get("ELASTICSEARCH_URL")
    settings.ELASTICSEARCH_URL = url
    os.environ["ELASTICSEARCH_URL"] = url
    # Hashing passwords slowly protects real accounts; test users need no protection.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield url
    if previous is None:
        os.environ.pop("ELASTICSEARCH_URL", None)
    else:
        os.environ["ELASTICSEARCH_URL"] = previous
    unreachable.close()


@pytest.fixture(autouse=True)
def _elasticsearch_when_marked(request):
    """A test marked `elasticsearch` gets the session's node before its other fixtures run."""
    if request.node.get_closest_marker("elasticsearch"):
        request.getfixturevalue("es_namespace")


@pytest.fixture
def es_namespace(elasticsearch_url, settings, monkeypatch):
    """The session's Elasticsearch node for this test, under a unique index prefix (the search
    alias lives under it); the prefix's indices and templates are removed afterwards."""
    from codeledger.elastic import elasticsearch_client

    settings.ELASTICSEARCH_URL = elasticsearch_url
    monkeypatch.setenv("ELASTICSEARCH_URL", elasticsearch_url)  # for subprocesses
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    settings.SEARCH_INDEX_ALIAS = f"{prefix}-codes"
    yield prefix
    settings.ELASTICSEARCH_URL = elasticsearch_url  # a test may have pointed it elsewhere
    client = elasticsearch_client()
    # Deleting by wildcard is refused (action.destructive_requires_name): name each index.
    indices = list(client.indices.get(index=f"{prefix}*", expand_wildcards="all"))
    if indices:
        client.indices.delete(index=",".join(indices))
    templates = (
        client.options(ignore_status=404)
        .indices.get_index_template(name=f"{prefix}*")
        .get("index_templates", [])
    )
    for template in templates:
        client.indices.delete_index_template(name=template["name"])


@pytest.fixture(scope="session", autouse=True)
def _flush_may_empty_the_event_log():
    """Transactional tests end with a flush, which the append-only trigger refuses.

    The flush alone lifts the refusal, for its own transaction only (see events migration 0002).
    It deletes the rows instead of truncating the tables: TRUNCATE replaces each table's files,
    about 0.2 s for the few rows a test leaves, where DELETE takes milliseconds. The foreign keys
    (deferrable, as Django creates them) are checked at the flush's commit, when all is gone.
    A flush that resets sequences truncates, as Django does.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables:
            return []
        lift = "SELECT set_config('codeledger.allow_event_rewrite', 'on', true)"
        if reset_sequences:
            statements = original(
                self, style, tables, reset_sequences=True, allow_cascade=allow_cascade
            )
            return [lift, *statements]
        deletes = [f"DELETE FROM {self.quote_name(table)}" for table in tables]
        return [lift, "SET CONSTRAINTS ALL DEFERRED", *deletes]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Throttle counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def one_window(monkeypatch):
    """Rate windows are fixed (codeledger/throttling.py): a test's requests that straddled a
    window's edge would be counted in two. This pins the throttles' clock to the middle of a day,
    so every window, a minute's or a day's, holds all of a test's requests."""
    import types

    noon = 1_800_000_000 // 86400 * 86400 + 43200
    monkeypatch.setattr("codeledger.throttling.time", types.SimpleNamespace(time=lambda: noon))


@pytest.fixture(autouse=True)
def _file_defined_systems_read_afresh():
    """`codes.systems.SYSTEMS` keeps the systems files define for a few seconds per process: a
    test that defined one must not leave it to the next, whose database no longer holds it."""
    from codes.systems import SYSTEMS

    yield
    SYSTEMS.forget()


@pytest.fixture
def own_elasticsearch_node(services_dir, settings, es_namespace):
    """A node of this test's own, so stopping it leaves the session's node alone."""
    # Under services_dir, not pytest's tmp_path: pytest keeps its folders private (0700).
    node = ElasticsearchNode(base=services_dir / f"es-{uuid.uuid4().hex[:8]}")
    node.start()
    settings.ELASTICSEARCH_URL = node.url
    yield node
    node.stop()  # es_namespace's cleanup then talks to the session's node again


# --- people in each role ------------------------------------------------------------


def make_user(username, *roles, superuser=False):
    user = User.objects.create_user(
        username, password="pw-" + username, is_superuser=superuser, is_staff=superuser
    )
    for role in roles:
        # get_or_create: transactional tests flush the groups the migration made.
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def people(db):
    return {
        "alice": make_user("alice", "editor"),
        "eve": make_user("eve", "editor"),
        "bob": make_user("bob", "reviewer"),
        "carol": make_user("carol", "reviewer"),
        "audrey": make_user("audrey", "auditor"),
        "root": make_user("root", superuser=True),
        "nobody": make_user("nobody"),
    }


@pytest.fixture
def as_user(people):
    def client_for(name):
        client = APIClient()
        if name != "anonymous":
            client.force_authenticate(people[name])
        return client

    return client_for


# --- a real code to work on ------------------------------------------------------------

I21_4 = {
    "official_descriptor": "Non-ST elevation (NSTEMI) myocardial infarction",
    "short_descriptor": "Non-ST elevation (NSTEMI) myocardial infarction",
    "common_description": "A heart attack in which the ECG shows no ST-segment elevation.",
    "chapter": "Diseases of the circulatory system (I00-I99)",
    "block": "Ischemic heart diseases (I20-I25)",
    "parent": "I21",
    "billable": True,
    "notes": {"inclusion_terms": ["Non-Q wave myocardial infarction NOS"]},
    "lay_terms": ["heart attack"],
}


@pytest.fixture
def nstemi(db):
    """ICD-10-CM I21.4, registered as the initial import would (version 1)."""
    from codesets.actions import code_register

    return code_register(
        system="icd10cm", code="I21.4", content=I21_4, source="test", release="FY2025"
    )
