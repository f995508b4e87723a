"""Real services for the whole test run: throwaway PostgreSQL, Redis and Elasticsearch.

Each is started once per session from the installed binaries (deploy/local/localservices.py),
on free ports, and removed afterwards. To reuse running instances instead, set
TEST_DATABASE_URL (a PostgreSQL server URL), TEST_REDIS_URL or TEST_ELASTICSEARCH_URL.
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


@pytest.fixture(scope="session")
def services_dir():
    folder = Path(tempfile.mkdtemp(prefix="codeledger-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def elasticsearch_url(services_dir):
    """URL of the session's Elasticsearch node; settings point at it for the whole run."""
    if url := os.environ.get("TEST_ELASTICSEARCH_URL"):
        node = None
    else:
        node = ElasticsearchNode(base=services_dir / "elasticsearch")
        url = node.url
        node.start()
    settings.ELASTICSEARCH_URL = url
    os.environ["ELASTICSEARCH_URL"] = url
    yield url
    if node:
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
def _real_services(elasticsearch_url):
    """Every test sees the throwaway Elasticsearch, never a developer's local node."""
    # Hashing passwords slowly protects real accounts; test users need no protection.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return elasticsearch_url


@pytest.fixture(autouse=True)
def es_namespace(settings):
    """A unique index prefix per test (the search alias lives under it); removed afterwards."""
    from codeledger.elastic import elasticsearch_client

    prefix = f"test-{uuid.uuid4().hex[:10]}"
    settings.SEARCH_INDEX_ALIAS = f"{prefix}-codes"
    yield prefix
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
    """Transactional tests end with a flush (TRUNCATE), which the append-only trigger refuses.

    The flush alone lifts the refusal, for its own transaction only (see events migration 0002).
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, *args, **kwargs):
        statements = original(self, *args, **kwargs)
        if not statements:
            return statements
        return ["SELECT set_config('codeledger.allow_event_rewrite', 'on', true)", *statements]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Throttle counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def own_elasticsearch_node(services_dir, settings):
    """A node of this test's own, so stopping it leaves the session's node alone."""
    # Under services_dir, not pytest's tmp_path: pytest keeps its folders private (0700).
    node = ElasticsearchNode(base=services_dir / f"es-{uuid.uuid4().hex[:8]}")
    node.start()
    session_url, settings.ELASTICSEARCH_URL = settings.ELASTICSEARCH_URL, node.url
    yield node
    node.stop()
    settings.ELASTICSEARCH_URL = session_url  # later teardowns talk to the session's node


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
