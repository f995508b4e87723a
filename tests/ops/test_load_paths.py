"""The path from a commit to its projections under load (issue #26, bench/load.py).

- Production mode (a broker): a user's request that commits sends one catch-up task and
  projects nothing itself.
- `make run`'s web server (no broker): each worker follows the catch-up on a thread of its own
  (deploy/local/gunicorn.conf.py); the committing request goes on without waiting, and
  commits made while a run is going on fold into one more run, none left unprojected.
- A catch-up task runs only the projectors behind the head, and waits for one another runner
  holds instead of leaving the new events to the next periodic run.
"""

import json
import threading
from dataclasses import dataclass

import pytest
import redis
from django.db import connection, connections, transaction

from codeledger import background
from codeledger.celery import app as celery_app
from events.models import ProjectorState, StreamSummary
from events.projections import Projector, catch_up_all, register, unregister
from events.registry import event_type
from events.store import NewEvent, append, head_position
from events.tasks import catch_up_projections, projectors_behind
from review.models import ChangeRequestEntry

pytestmark = pytest.mark.django_db(transaction=True)


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
def followed(settings):
    """This process follows the catch-up on a thread, as a `make run` worker does."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EVENTS_CATCH_UP_AFTER_COMMIT = True
    follower = background.follow_in_thread(catch_up_projections)
    yield follower
    assert follower.wait_idle(30), "the follower was still projecting"
    background.stop_following(catch_up_projections)


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


# --- make run: the follower thread -------------------------------------------------------------


def test_a_followed_catch_up_runs_after_the_commit_not_in_it(followed, gate):
    written = append("account:a", [tick()])

    # append() returned while the projection waits at the gate on the follower's thread.
    assert gate.entered.wait(30)
    assert checkpoint(gate.name) < written.position
    gate.open.set()
    assert followed.wait_idle(30)
    assert gate.applied == [written.position]
    assert StreamSummary.objects.get(stream="account:a").version == 1


def test_commits_during_a_run_fold_into_one_more_run_and_none_is_left(followed, gate):
    first = append("account:a", [tick()])
    assert gate.entered.wait(30)
    runs_before = followed.runs
    later = [append(f"account:{n}", [tick(f"{n}")]) for n in range(5)]

    gate.open.set()

    assert followed.wait_idle(30)
    assert followed.runs - runs_before == 2  # the run at the gate, then one for the five
    assert gate.applied == [first.position, *(w.position for w in later)]
    assert checkpoint(gate.name) == head_position()


def test_a_request_that_rolls_back_asks_for_no_run(followed, gate):
    with pytest.raises(RuntimeError), transaction.atomic():
        append("account:a", [tick()])
        raise RuntimeError("the request failed after its append")

    assert followed.wait_idle(5)
    assert followed.runs == 0
    assert not gate.entered.is_set()


# --- the task ---------------------------------------------------------------------------------


def test_a_catch_up_with_every_projector_at_the_head_runs_none(settings):
    settings.EVENTS_CATCH_UP_AFTER_COMMIT = False
    append("account:a", [tick()])
    catch_up_all()

    assert projectors_behind() == []
    assert catch_up_projections() == []


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
