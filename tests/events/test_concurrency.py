"""Real threads against real PostgreSQL: optimistic concurrency and a feed that never skips."""

import threading
import uuid

import pytest
from django.db import connection, transaction

from events.models import Event
from events.projections import Projector, catch_up, register, unregister
from events.store import ConcurrencyError, NewEvent, append, read_all, stream_version

pytestmark = pytest.mark.django_db(transaction=True)


def deposit(n=0):
    return NewEvent(type="test.Deposited", data={"account": "a", "amount": n})


def run_threads(count, target):
    """Start `count` threads on target(index), wait for all; re-raise the first error."""
    errors = []

    def run(index):
        try:
            target(index)
        except BaseException as error:  # reported to the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]


@pytest.mark.slow
def test_fifty_writers_with_the_same_expected_version_exactly_one_wins_each_round():
    writers, rounds = 50, 20
    for round_number in range(rounds):
        barrier = threading.Barrier(writers)
        outcomes = []

        def write(index, expected=round_number, barrier=barrier, outcomes=outcomes):
            barrier.wait()
            try:
                append("account:shared", [deposit(index)], expected)
                outcomes.append("ok")
            except ConcurrencyError:
                outcomes.append("conflict")

        run_threads(writers, write)
        assert outcomes.count("ok") == 1, f"round {round_number}: {outcomes.count('ok')} won"
        assert outcomes.count("conflict") == writers - 1
    versions = list(
        Event.objects.filter(stream="account:shared")
        .order_by("version")
        .values_list("version", flat=True)
    )
    assert versions == list(range(1, rounds + 1))


class RecordingProjector(Projector):
    """Remembers every position it was given, in order (a store outside the database)."""

    name = "test-recorder"
    transactional = False
    batch_size = 100

    def __init__(self):
        self.applied: list[int] = []
        self.lock = threading.Lock()

    def apply(self, events):
        with self.lock:
            self.applied.extend(event.position for event in events)

    def clear(self):
        self.applied.clear()

    def snapshot(self):
        return list(self.applied)


@pytest.fixture
def recorder():
    projector = register(RecordingProjector())
    yield projector
    unregister(projector.name)


@pytest.mark.slow
def test_a_polling_projector_applies_every_event_once_in_order_under_concurrent_writers(recorder):
    writers, per_writer = 8, 500
    done = threading.Event()
    start = threading.Barrier(writers + 1)

    def write(index):
        start.wait()
        for n in range(per_writer):
            append(f"account:{index}", [deposit(n)])

    def poll():
        start.wait()
        try:
            while not done.is_set():
                catch_up(recorder.name)
            catch_up(recorder.name)
        finally:
            connection.close()

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        run_threads(writers, write)
    finally:
        done.set()
        poller.join(timeout=120)

    stored = list(Event.objects.order_by("position").values_list("position", flat=True))
    assert len(stored) == writers * per_writer
    assert recorder.applied == stored  # every event, once, in position order
    for index in range(writers):
        assert stream_version(f"account:{index}") == per_writer


def test_a_writer_held_before_commit_is_never_passed_and_is_applied_once(recorder):
    append("account:a", [deposit(1)])
    catch_up(recorder.name)
    drawn, release = threading.Event(), threading.Event()
    held = {}

    def held_writer(_):
        with transaction.atomic():
            held["position"] = append("account:b", [deposit(2)]).position
            drawn.set()
            release.wait(timeout=60)

    thread = threading.Thread(target=run_threads, args=(1, held_writer))
    thread.start()
    assert drawn.wait(timeout=60)

    result = catch_up(recorder.name)
    assert result.checkpoint < held["position"]  # the uncommitted event is not passed
    assert held["position"] not in recorder.applied

    release.set()
    thread.join(timeout=60)
    catch_up(recorder.name)
    assert recorder.applied.count(held["position"]) == 1
    assert recorder.applied == [e.position for e in read_all()]


def test_a_rolled_back_append_leaves_a_gap_the_projector_moves_past_at_once(recorder):
    drawn, release = threading.Event(), threading.Event()
    rolled_back = {}

    class Abort(Exception):
        pass

    def doomed_writer(_):
        try:
            with transaction.atomic():
                rolled_back["position"] = append("account:b", [deposit()]).position
                drawn.set()
                release.wait(timeout=60)
                raise Abort
        except Abort:
            pass

    thread = threading.Thread(target=run_threads, args=(1, doomed_writer))
    thread.start()
    assert drawn.wait(timeout=60)
    release.set()
    thread.join(timeout=60)

    later = append("account:c", [deposit(), deposit()])
    result = catch_up(recorder.name)

    assert rolled_back["position"] < min(later.positions)
    assert result.status == "caught_up"
    assert result.checkpoint == later.position
    assert recorder.applied == later.positions
    assert not Event.objects.filter(position=rolled_back["position"]).exists()


def test_concurrent_runners_of_one_projector_never_apply_an_event_twice(recorder):
    append("account:a", [deposit(n) for n in range(1000)])
    barrier = threading.Barrier(4)

    def run(_):
        barrier.wait()
        while catch_up(recorder.name).status == "busy":
            pass

    run_threads(4, run)
    catch_up(recorder.name)
    assert recorder.applied == [e.position for e in read_all(limit=2000)]
    assert len(set(recorder.applied)) == 1000


def test_unique_event_ids_hold_even_between_racing_retries():
    events = [
        NewEvent(type="test.Deposited", data={"n": n}, event_id=uuid.uuid4()) for n in range(3)
    ]
    barrier = threading.Barrier(10)
    results = []

    def resend(_):
        barrier.wait()
        results.append(append("account:a", events).written)

    run_threads(10, resend)
    assert results.count(True) == 1
    assert Event.objects.count() == 3
