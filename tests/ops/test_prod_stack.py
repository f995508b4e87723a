"""`make run-prod`'s stack, end to end: gunicorn, a Celery worker and beat on PostgreSQL, Redis
and Elasticsearch, with production settings.

A proposal is made and approved through the API by two people; the new text is then found
through the search API with `min_position`. The web processes have a broker, so nothing runs
eagerly: the worker projects the events, and its log shows it did so for our request. Finally
the stack is stopped and nothing of it may be left running.

One stack for the module (it takes about 30 s to start): each test reads from it.
"""

import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from prodstack import Stack

REPO = Path(__file__).resolve().parents[2]
PRODSTACK = REPO / "deploy" / "local" / "prodstack.py"

pytestmark = pytest.mark.slow


def prodstack(action, base, *extra, timeout=300, check=True):
    # A clean environment: the test session's DATABASE_URL etc. must not leak into the stack.
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "ES_JAVA_HOME")}
    result = subprocess.run(
        [sys.executable, str(PRODSTACK), action, "--base", str(base), *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check:
        assert result.returncode == 0, f"prodstack {action}:\n{result.stdout}\n{result.stderr}"
    return result


class Client:
    """HTTP against the running gunicorn: what an API consumer sends, nothing in-process."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"

    def request(self, method, path, *, user=None, body=None, headers=None):
        headers = dict(headers or {})
        if user:
            token = base64.b64encode(f"{user}:pw-{user}-prod".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            self.base + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def stack(services_dir):
    base = services_dir / "prod"
    started = time.monotonic()
    try:
        prodstack("start", base, "--free-ports", "--no-data")
        assert base.joinpath("env").exists(), "the stack should have started in its own folder"
        values = Stack(base).settings()
        # Two people of the production database, made the way an operator would.
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", MAKE_USERS],
            cwd=REPO,
            env=Stack(base).process_env(values),
            check=True,
            capture_output=True,
            timeout=120,
        )
        print(f"stack started in {time.monotonic() - started:.0f} s")
        yield {"base": base, "values": values, "client": Client(int(values["PORT"]))}
    finally:
        # Stopping is a test of its own (below); this makes sure nothing outlives the module,
        # also when starting failed halfway.
        prodstack("stop", base, check=False)


MAKE_USERS = """
from django.contrib.auth.models import Group, User
for name, role in (("alice", "editor"), ("bob", "reviewer")):
    user = User.objects.create_user(name, password=f"pw-{name}-prod")
    user.groups.add(Group.objects.get(name=role))
"""


def test_runs_with_production_settings_and_serves_hashed_static_files(stack):
    client = stack["client"]
    status, _, body = client.request("GET", "/healthz")
    assert status == 200, body
    checks = json.loads(body)["checks"]
    assert checks["broker"]["status"] == "up"  # a real broker, not eager mode
    assert checks["database"]["vendor"] == "postgresql"

    status, _, body = client.request("GET", "/no-such-page")
    assert status == 404
    assert b"URLconf" not in body  # DEBUG's page would list the URL patterns

    status, _, body = client.request("GET", "/search")
    stylesheet = re.search(rb'href="(/static/codeledger/site\.[0-9a-f]{12}\.css)"', body)
    assert stylesheet, "the page should link the hashed (collectstatic) name of site.css"
    status, headers, _ = client.request("GET", stylesheet.group(1).decode())
    assert status == 200
    assert "immutable" in headers["Cache-Control"]


def test_an_approved_change_is_found_through_search_via_worker_and_broker(stack):
    client, word = stack["client"], f"zymurgy{uuid.uuid4().hex[:6]}"
    status, _, body = client.request(
        "POST",
        "/api/v1/change-requests",
        user="alice",
        body={
            "system": "custom",
            "code": "SMOKE-1",
            "is_new": True,
            "base_version": 0,
            "changes": {"official_descriptor": f"Smoke test {word} disorder"},
            "rationale": "production smoke test",
        },
    )
    assert status == 201, body
    change = json.loads(body)

    request_id = f"smoke-{uuid.uuid4().hex}"
    status, _, body = client.request(
        "POST",
        f"/api/v1/change-requests/{change['change_id']}/approve",
        user="bob",
        body={"expected_version": change["version"]},
        headers={"X-Request-ID": request_id},
    )
    assert status == 200, body
    position = json.loads(body)["position"]

    # min_position waits (a few seconds) for the worker; a cold worker may need a retry.
    deadline = time.monotonic() + 60
    while True:
        status, _, body = client.request(
            "GET", f"/api/v1/codes/search?q={word}&min_position={position}", user="alice"
        )
        if status != 503 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert status == 200, body
    result = json.loads(body)
    assert result["position"] >= position
    assert [(hit["system"], hit["code"]) for hit in result["hits"]] == [("custom", "SMOKE-1")]

    # The worker, not the web process, projected it: its log names our request.
    worker_log = stack["base"] / "logs" / "worker.log"
    lines = [json.loads(line) for line in worker_log.read_text().splitlines() if line[:1] == "{"]
    ours = [line for line in lines if line.get("request_id") == request_id]
    assert any(
        line.get("task") == "events.tasks.catch_up_projections" and "succeeded" in line["message"]
        for line in ours
    ), ours or lines[-20:]


def test_metrics_are_scraped_with_the_token_and_count_worker_failures(stack):
    client, token = stack["client"], stack["values"]["METRICS_TOKEN"]
    assert client.request("GET", "/metrics")[0] == 403

    # A task that fails in the worker (no such reviewer) is counted across processes.
    from celery import Celery

    broker = Celery(broker=stack["values"]["CELERY_BROKER_URL"])
    broker.send_task("codesets.tasks.approve_release", args=[str(uuid.uuid4()), "nobody"])
    failure = 'codeledger_celery_task_failures_total{task="codesets.tasks.approve_release"} 1.0'
    deadline = time.monotonic() + 30
    while True:
        client.request("GET", "/api/v1/codes/search?q=smoke", user="alice")
        status, _, body = client.request(
            "GET", "/metrics", headers={"Authorization": f"Bearer {token}"}
        )
        text = body.decode()
        if failure in text or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == 200
    assert failure in text
    assert 'codeledger_events_total{type="ChangeRequestApproved"}' in text
    assert re.search(r'codeledger_projector_lag_events\{projector="search"\} \d', text)
    assert 'codeledger_search_latency_seconds_count{endpoint="api_search"}' in text
    assert re.search(
        r"django_http_requests_latency_seconds_by_view_method_count\{"
        r'method="POST",view="review-api:change-requests"\} 1\.0',
        text,
    )


def test_stop_leaves_nothing_running(stack):
    base, values = stack["base"], stack["values"]
    leaders = [int(p.read_text()) for p in base.joinpath("run").glob("*.pid")]
    assert len(leaders) == 3  # web, worker, beat
    prodstack("stop", base)

    assert not list(base.joinpath("run").glob("*.pid"))
    left = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()
            cmdline = entry.joinpath("cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, IndexError):
            continue
        if stat[0] == "Z":
            continue
        if int(stat[2]) in leaders or str(base).encode() in cmdline:
            left.append(f"{entry.name}: {cmdline[:200]!r}")
    assert not left, left
    for name in ("PORT", "POSTGRES_PORT", "REDIS_PORT", "ELASTICSEARCH_PORT"):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", int(values[name]))) != 0, f"{name} still open"
