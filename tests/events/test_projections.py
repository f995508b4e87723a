"""Projector runs: exactly-once effect under crashes, bounded retries, halts, skips, rebuilds."""

import threading
from collections import Counter

import pytest
import redis
from django.db import connection

from events import projections
from events.models import ProjectorState, SkippedEvent, StreamSummary
from events.projections import (
    MAX_FAILURES,
    Projector,
    catch_up,
    rebuild,
    register,
    resume,
    skip,
    status,
    unregister,
)
from events.store import NewEvent, append, read_all
from events.testing import assert_projection_matches_rebuild


class Crash(BaseException):
    """A process dying mid-run: not an Exception, so no handler in the runner catches it."""


def deposit(account="a", amount=1):
    return NewEvent(type="test.Deposited", data={"account": account, "amount": amount})


def expected_summary():
    """The streams read model, folded straight from the log."""
    rows = {}
    for event in read_all(limit=100_000, upcast=False):
        row = rows.setdefault(event.stream, {"count": 0, "first": event.position})
        row.update(version=event.version, last=event.position, type=event.type)
        row["count"] += 1
    return {
        stream: (r["version"], r["count"], r["first"], r["last"], r["type"])
        for stream, r in rows.items()
    }


def summary():
    return {
        s.stream: (s.version, s.event_count, s.first_position, s.last_position, s.last_type)
        for s in StreamSummary.objects.all()
    }


class RedisBalances(Projector):
    """A projector into a store without transactions: idempotent by each stream's version."""

    name = "test-redis-balances"
    transactional = False
    handles = frozenset({"test.Deposited"})
    batch_size = 3
    # Apply only when the event is newer than what the hash holds: a replay is a no-op.
    SCRIPT = """
    local seen = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
    if tonumber(ARGV[1]) > seen then
        redis.call('HSET', KEYS[1], 'version', ARGV[1])
        redis.call('HINCRBY', KEYS[1], 'balance', ARGV[2])
    end
    """

    def __init__(self, url):
        self.client = redis.Redis.from_url(url)
        self.prefix = f"test:{id(self)}:"
        self.script = self.client.register_script(self.SCRIPT)

    def apply(self, events):
        for event in events:
            self.script(
                keys=[self.prefix + event.stream], args=[event.version, event.data["amount"]]
            )

    def clear(self):
        for key in self.client.scan_iter(self.prefix + "*"):
            self.client.delete(key)

    def snapshot(self):
        return {
            key.decode().removeprefix(self.prefix): int(self.client.hget(key, "balance"))
            for key in self.client.scan_iter(self.prefix + "*")
        }


@pytest.fixture
def redis_balances(redis_url):
    projector = register(RedisBalances(redis_url))
    yield projector
    projector.clear()
    unregister(projector.name)


def expected_balances():
    balances = Counter()
    for event in read_all(types=["test.Deposited"], limit=100_000):
        balances[event.stream] += event.data["amount"]
    return dict(balances)


def crash_before_apply(monkeypatch, projector):
    monkeypatch.setattr(projector, "apply", lambda events: (_ for _ in ()).throw(Crash()))


def crash_after_apply_before_checkpoint(monkeypatch, projector):
    def save(self, *args, **kwargs):
        raise Crash

    monkeypatch.setattr(ProjectorState, "save", save)


def crash_after_checkpoint(monkeypatch, projector):
    original = projections._run_batch

    def run_then_die(*args, **kwargs):
        original(*args, **kwargs)
        raise Crash

    monkeypatch.setattr(projections, "_run_batch", run_then_die)


CRASHES = [crash_before_apply, crash_after_apply_before_checkpoint, crash_after_checkpoint]


@pytest.mark.django_db
@pytest.mark.parametrize("crash", CRASHES)
def test_database_projection_survives_a_crash_at_each_step(crash, monkeypatch):
    for n in range(7):
        append(f"account:{n % 3}", [deposit(amount=n)])
    catch_up("streams")
    append("account:0", [deposit(), deposit()])
    append("account:9", [deposit()])

    with monkeypatch.context() as patch:
        crash(patch, projections.get_projector("streams"))
        with pytest.raises(Crash):
            catch_up("streams")
    catch_up("streams")  # the restart

    assert summary() == expected_summary()
    assert_projection_matches_rebuild("streams")


@pytest.mark.django_db
@pytest.mark.parametrize("crash", CRASHES)
def test_idempotent_external_projection_survives_a_crash_at_each_step(
    crash, monkeypatch, redis_balances
):
    for n in range(10):
        append(f"account:{n % 2}", [deposit(amount=n + 1)])
    catch_up(redis_balances.name)
    for n in range(5):
        append(f"account:{n % 3}", [deposit(amount=100)])

    with monkeypatch.context() as patch:
        crash(patch, redis_balances)
        with pytest.raises(Crash):
            catch_up(redis_balances.name)
    catch_up(redis_balances.name)

    assert redis_balances.snapshot() == expected_balances()


class Fussy(Projector):
    """Fails on events whose amount is negative, until `fixed` is set. All or nothing per call."""

    name = "test-fussy"
    handles = frozenset({"test.Deposited"})

    def __init__(self):
        self.totals, self.fixed, self.transient = Counter(), False, False

    def apply(self, events):
        if self.transient:
            raise ConnectionError("the store is down")
        batch = Counter()
        for event in events:
            if event.data["amount"] < 0 and not self.fixed:
                raise ValueError(f"negative amount in {event.stream}")
            batch[event.stream] += event.data["amount"]
        self.totals.update(batch)

    def clear(self):
        self.totals.clear()

    def snapshot(self):
        return dict(self.totals)

    def is_transient(self, error):
        return isinstance(error, ConnectionError)


@pytest.fixture
def fussy():
    projector = register(Fussy())
    yield projector
    unregister(projector.name)


@pytest.mark.django_db
def test_a_failing_event_is_retried_with_backoff_then_halts_the_projector_there(fussy):
    append("account:a", [deposit(amount=5)])
    bad = append("account:b", [deposit("b", -1)]).position
    append("account:c", [deposit("c", 7)])

    first = catch_up(fussy.name)
    assert first.status == "failed"
    assert first.checkpoint == bad - 1  # the event before it was applied
    assert fussy.totals == {"account:a": 5}
    assert catch_up(fussy.name).status == "waiting"  # backoff: not retried at once

    for _ in range(MAX_FAILURES - 1):
        catch_up(fussy.name, force=True)
    halted = catch_up(fussy.name, force=True)
    assert halted.status == "halted"
    assert "negative amount" in halted.error
    [row] = [row for row in status() if row.name == fussy.name]
    assert (row.halted, row.failing_position, row.lag) == (True, bad, 2)

    fussy.fixed = True
    resume(fussy.name)
    assert catch_up(fussy.name).status == "caught_up"
    assert fussy.totals == {"account:a": 5, "account:b": -1, "account:c": 7}


@pytest.mark.django_db
def test_an_operator_can_skip_the_failing_event_with_a_recorded_reason(fussy):
    bad = append("account:b", [deposit("b", -1)]).position
    append("account:c", [deposit("c", 7)])
    for _ in range(MAX_FAILURES):
        catch_up(fussy.name, force=True)

    with pytest.raises(ValueError, match="not stopped at position"):
        skip(fussy.name, position=bad + 1, reason="wrong one")
    skip(fussy.name, position=bad, reason="test data entered by mistake")

    assert catch_up(fussy.name).status == "caught_up"
    assert fussy.totals == {"account:c": 7}
    recorded = SkippedEvent.objects.get(projector=fussy.name)
    assert (recorded.position, recorded.reason) == (bad, "test data entered by mistake")
    assert "negative amount" in recorded.error


@pytest.mark.django_db
def test_transient_store_errors_wait_and_retry_but_never_halt(fussy):
    append("account:a", [deposit(amount=3)])
    fussy.transient = True
    for _ in range(MAX_FAILURES * 2):
        assert catch_up(fussy.name, force=True).status == "failed"
    fussy.transient = False
    assert catch_up(fussy.name, force=True).status == "caught_up"
    assert fussy.totals == {"account:a": 3}


@pytest.mark.django_db
def test_checkpoint_passes_events_the_projector_does_not_handle(fussy):
    append("account:a", [NewEvent(type="test.Withdrawn", data={"account": "a", "amount": 1})])
    result = catch_up(fussy.name)
    assert result.checkpoint == read_all()[-1].position
    assert [row.lag for row in status() if row.name == fussy.name] == [0]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_rebuild_while_writers_append_never_shows_readers_an_empty_model():
    for n in range(2000):
        append(f"account:{n % 50}", [deposit(amount=n)])
    catch_up("streams")
    stop, sizes = threading.Event(), []

    def read_continuously():
        try:
            while not stop.is_set():
                sizes.append(StreamSummary.objects.count())
        finally:
            connection.close()

    def write_continuously():
        try:
            n = 0
            while not stop.is_set():
                append(f"account:new-{n % 7}", [deposit(amount=n)])
                n += 1
        finally:
            connection.close()

    threads = [
        threading.Thread(target=read_continuously),
        threading.Thread(target=write_continuously),
    ]
    for thread in threads:
        thread.start()
    try:
        result = rebuild("streams")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    assert result.applied >= 2000
    assert sizes and min(sizes) >= 50  # readers always saw a complete model
    catch_up("streams")
    assert summary() == expected_summary()
