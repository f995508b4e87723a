"""The path from a commit to its projections under load (issue #26, bench/load.py).

- Production mode (a broker): a user's request that commits sends one catch-up task and
  projects nothing itself.
- `make run` (no broker): a follower process beside the web server (deploy/local/follow.py,
  events.tasks.follow_the_log) projects what the requests commit, those made during one of
  its runs in the next, none left unprojected; the requests do not project.
- A catch-up task runs only the projectors behind the head, and waits for one another runner
  holds instead of leaving the new events to the next periodic run.
"""

import json
import threading
import time
from dataclasses import dataclass

import pytest
import redis
from django.db import connection, connections, transaction

from codeledger.celery import app as celery_app
from events.models import ProjectorState, StreamSummary
from events.projections import (
    Projector,
    catch_up_all,
    get_projector,
    projector_names,
    register,
    unregister,
)
from events.registry import event_type
from events.store import NewEvent, append, head_position
from events.tasks import catch_up_projections, follow_the_log, projectors_behind
from review.models import ChangeRequestEntry

pytestmark = pytest.mark.django_db(transaction=True)


@event_type("test.Other")
@dataclass(frozen=True)
class Other:
    pass


@event_type("test.LoadTicked")
@dataclass(frozen=True)
class LoadTicked:
    account: str


def tick(account="a"):
    return NewEvent(type="test.LoadTicked", data={"account": account})


class Gate(Projector):
    """A projector whose runs wait at a gate the test opens: a slow projection, on demand."""

    name = "test-gate"
    handles = frozenset({"test.LoadTicked"})

    def __init__(self):
        self.entered = threading.Event()
        self.open = threading.Event()
        self.applied: list[int] = []

    def apply(self, events):
        self.entered.set()
        assert self.open.wait(30), "the test never opened the gate"
        self.applied.extend(event.position for event in events)

    def clear(self):
        self.applied.clear()


@pytest.fixture
def gate():
    projector = register(Gate())
    yield projector
    projector.open.set()
    unregister(projector.name)


@pytest.fixture
def follower(settings):
    """The log followed by a thread of this process, as `make run`'s follower process does,
    the commits themselves asking for no catch-up (as under serve.sh)."""
    settings.EVENTS_CATCH_UP_AFTER_COMMIT = False
    stop = threading.Event()
    thread = threading.Thread(target=follow_and_close, args=(stop,))
    thread.start()
    yield
    stop.set()
    thread.join(30)


def follow_and_close(stop):
    try:
        follow_the_log(poll=0.005, stop=stop)
    finally:
        connections.close_all()


def wait_until(condition, timeout=30):
    """A condition another thread makes true: checked until it holds or the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def checkpoint(name):
    state = ProjectorState.objects.filter(name=name).first()
    return state.checkpoint if state else 0


# --- production mode ------------------------------------------------------------------------


@pytest.mark.redis
def test_a_proposal_in_production_mode_queues_the_catch_up_and_projects_nothing(
    settings, redis_url, as_user, nstemi
):
    # nstemi's registration was projected in the test's eager default; from here on, a broker.
    catch_up_all()
    queue = redis.Redis.from_url(redis_url)
    queue.delete("celery")
    previous = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=redis_url)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url
    settings.EVENTS_CATCH_UP_AFTER_COMMIT = True
    try:
        answer = as_user("alice").post(
            "/api/v1/change-requests",
            {
                "system": "icd10cm",
                "code": "I21.4",
                "base_version": 1,
                "changes": {"short_descriptor": "NSTEMI"},
                "rationale": "CMS short form",
            },
            format="json",
        )
        messages = [json.loads(message) for message in queue.lrange("celery", 0, -1)]
    finally:
        celery_app.conf.update(previous)
        queue.delete("celery")

    assert answer.status_code == 201, answer.content
    # The catch-up for the worker (and the reviewers' mail), queued, not run.
    assert sorted(m["headers"]["task"] for m in messages) == [
        "events.tasks.catch_up_projections",
        "review.tasks.send_change_request_mail",
    ]
    # The request answered with its write in the log and no read model moved to it.
    assert head_position() == answer.json()["position"]
    assert checkpoint("review") < answer.json()["position"]
    assert not ChangeRequestEntry.objects.exists()


# --- make run: the follower process -------------------------------------------------------


def test_the_follower_projects_a_commit_no_request_asked_for(follower, gate):
    gate.open.set()
    written = append("account:a", [tick()])

    assert wait_until(lambda: checkpoint(gate.name) == written.position)
    assert gate.applied == [written.position]
    # The stream summary, for auditors, is caught up after the projectors for readers.
    assert wait_until(lambda: StreamSummary.objects.filter(stream="account:a", version=1).exists())


def test_commits_during_a_run_are_projected_by_the_next_one(follower, gate):
    first = append("account:a", [tick()])
    assert gate.entered.wait(30)  # the follower's run waits at the gate with the first event
    later = [append(f"account:{n}", [tick(f"{n}")]) for n in range(5)]

    gate.open.set()

    assert wait_until(lambda: checkpoint(gate.name) == later[-1].position)
    assert gate.applied == [first.position, *(w.position for w in later)]


# --- the task ---------------------------------------------------------------------------------


def test_a_catch_up_with_every_projector_at_the_head_runs_none(settings):
    settings.EVENTS_CATCH_UP_AFTER_COMMIT = False
    append("account:a", [tick()])
    catch_up_all()

    assert projectors_behind() == []
    assert catch_up_projections() == []


def test_projectors_with_events_to_apply_run_before_those_that_only_move_their_checkpoint(
    settings, gate
):
    settings.EVENTS_CATCH_UP_AFTER_COMMIT = False
    gate.open.set()
    catch_up_all()
    append("account:a", [NewEvent(type="test.Other", data={})])
    catch_up_all()  # every projector at the head: the next event is the only one behind
    append("account:a", [tick()])

    behind = projectors_behind()

    # Those that handle the tick (every event type, or the tick's) first: those for readers in
    # name order, then those for auditors (the audit log, the stream summary) in name order;
    # every other projector is behind too, with nothing of its types to apply.
    ticked = [
        name
        for name in projector_names()
        if get_projector(name).handles is None or "test.LoadTicked" in get_projector(name).handles
    ]
    for_auditors = [name for name in ticked if get_projector(name).for_auditors]
    assert gate.name in ticked and len(ticked) < len(projector_names())
    assert for_auditors == ["changelog", "streams"]
    readers_first = [name for name in ticked if name not in for_auditors] + for_auditors
    assert behind[: len(ticked)] == readers_first
    assert sorted(behind[len(ticked) :]) == sorted(set(projector_names()) - set(ticked))


def test_a_projector_another_runner_holds_is_waited_for_not_left_behind(
    settings, gate, monkeypatch
):
    """The holder read the head before this commit: without the wait the event would stay
    unprojected until the next commit or the periodic catch-up."""
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL's row locks make a projector busy")
    settings.EVENTS_CATCH_UP_AFTER_COMMIT = False
    gate.open.set()
    catch_up_all()
    held, release = threading.Event(), threading.Event()

    def hold_the_gate():
        with transaction.atomic():
            ProjectorState.objects.select_for_update().get(name=gate.name)
            held.set()
            release.wait(30)
        connections.close_all()

    holder = threading.Thread(target=hold_the_gate)
    holder.start()
    assert held.wait(30)
    written = append("account:a", [tick()])
    pauses = []

    def holder_finishes():  # the task found the gate busy and pauses: the holder ends meanwhile
        pauses.append(True)
        release.set()
        holder.join(30)

    monkeypatch.setattr("events.tasks._pause_for_the_holder", holder_finishes)

    results = {r["name"]: r for r in catch_up_projections()}

    assert pauses == [True]
    assert (results[gate.name]["status"], results[gate.name]["checkpoint"]) == (
        "caught_up",
        written.position,
    )
    assert gate.applied[-1] == written.position
