"""After a commit, one catch-up task reaches a real Celery worker through a real Redis broker."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from codeledger.celery import app as celery_app
from events.models import ProjectorState, StreamSummary
from events.store import NewEvent, append

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def celery_worker_process(redis_url, settings):
    """A worker subprocess on the test database and broker; the test process sends to it."""
    db = django_settings.DATABASES["default"]
    database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "PYTHONPATH": str(REPO / "platform"),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "codeledger",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    previous = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=redis_url)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url
    settings.EVENTS_CATCH_UP_AFTER_COMMIT = True
    yield worker
    celery_app.conf.update(previous)
    worker.terminate()
    worker.wait(timeout=30)


def wait_until(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_an_append_is_projected_by_the_worker_after_commit(celery_worker_process):
    result = append("account:a", [NewEvent(type="test.Deposited", data={"amount": 5})])

    def projected():
        state = ProjectorState.objects.filter(name="streams").first()
        return state is not None and state.checkpoint >= result.position

    assert wait_until(projected), "the worker never caught the projection up"
    assert StreamSummary.objects.get(stream="account:a").version == 1


@pytest.mark.slow  # a Django subprocess that waits out the broker timeout
def test_the_catch_up_request_gives_up_on_a_broker_that_does_not_answer(hung_redis):
    """After a commit, the request for a catch-up task must not hold the request that committed:
    against a broker that takes the connection and never answers, it gives up after
    BROKER_TIMEOUT and says so (the beat's periodic catch-up runs the work). Without a socket
    timeout kombu would wait forever: the subprocess's own timeout would fail this test."""
    code = (
        "import django; django.setup()\n"
        "from events.tasks import request_catch_up\n"
        "request_catch_up()\n"
        "print('returned')\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "platform"),
        "DJANGO_SETTINGS_MODULE": "codeledger.settings",
        "CELERY_BROKER_URL": hung_redis.url,
        "BROKER_TIMEOUT": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "returned", done.stderr[-2000:]
    assert "could not enqueue the catch-up task" in done.stderr
    assert hung_redis.connections >= 1  # it did try the broker
