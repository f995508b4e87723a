"""Projectors and the runner that keeps each one caught up with the global feed.

A projector has a name, the event types it handles and a checkpoint (ProjectorState). One batch
is one database transaction that locks the projector's state row (so only one runner works on a
projector at a time), reads the events after the checkpoint, applies them and advances the
checkpoint:
- a database projector writes its read model in that same transaction: exactly-once effect;
- a projector into another store (`transactional = False`, e.g. Elasticsearch) must write
  idempotently; it writes outside any transaction, under a claim on its state row
  (_run_external_batch); a crash after its write and before the checkpoint replays the batch
  harmlessly.

A failing batch is retried event by event to find the failing event; failures are counted and
retried with backoff; after MAX_FAILURES the projector halts at that event and shows the error
until an operator resumes it or skips the event with a reason. Transient errors of the target
store (`is_transient`) never halt a projector: it waits and retries.
"""

import logging
import multiprocessing
import os
import signal
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from django.db import connections, transaction
from django.utils import timezone

from events.bulk import cyclic_gc_paused
from events.models import Event, ProjectorState, SkippedEvent
from events.store import RecordedEvent, head_position, read_all

log = logging.getLogger(__name__)

MAX_FAILURES = 5
MAX_BACKOFF_SECONDS = 300
APART_ATTEMPTS = 4  # ProjectedApart's child: 2 + 4 + 8 s of waiting at most


class Projector:
    """Base class. Subclasses set `name` and `handles` and implement `apply` and `clear`."""

    name: str = ""
    handles: frozenset[str] | None = None  # None: every event type
    transactional: bool = True
    batch_size: int = 500
    upcast: bool = True  # False for projectors that read only the envelope, not the data
    # What auditors read (the audit log, the stream summary), not a reader's page or search:
    # after a commit it is caught up after the others, and a first start may leave it to the
    # follower (first_start --follower).
    for_auditors: bool = False

    def apply(self, events: Sequence[RecordedEvent]) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        """Remove all read-model state (a rebuild starts from here)."""
        raise NotImplementedError

    def snapshot(self):
        """The read model as comparable data (the projection property test compares these)."""
        raise NotImplementedError

    def is_transient(self, error: Exception) -> bool:
        """True when the error is the target store being unavailable, not the event's fault."""
        return False


_projectors: dict[str, Projector] = {}


def register(projector: Projector) -> Projector:
    if not projector.name:
        raise ValueError("a projector needs a name")
    _projectors[projector.name] = projector
    return projector


def unregister(name: str) -> None:
    _projectors.pop(name, None)


def get_projector(name: str) -> Projector:
    try:
        return _projectors[name]
    except KeyError:
        known = ", ".join(sorted(_projectors)) or "none"
        raise LookupError(f"no projector named {name!r} (registered: {known})") from None


def projector_names() -> list[str]:
    return sorted(_projectors)


@dataclass
class RunResult:
    name: str
    status: str  # caught_up | busy | halted | waiting | failed
    applied: int = 0
    checkpoint: int = 0
    error: str = ""


def backoff(failures: int) -> timedelta:
    return timedelta(seconds=min(2**failures, MAX_BACKOFF_SECONDS))


def _state(name: str, *, skip_locked: bool) -> ProjectorState | None:
    ProjectorState.objects.get_or_create(name=name)
    rows = ProjectorState.objects.select_for_update(skip_locked=skip_locked).filter(name=name)
    return rows.first()


def _read_batch(projector: Projector, after: int, upto: int) -> tuple[list[RecordedEvent], int]:
    """The next events to apply and the checkpoint to store once they are applied."""
    events = read_all(
        after=after,
        limit=projector.batch_size,
        upto=upto,
        types=None if projector.handles is None else sorted(projector.handles),
        upcast=projector.upcast,
    )
    # A short batch means everything up to `upto` (a committed head) has been seen, including
    # events of types this projector ignores: the checkpoint can move to `upto` itself.
    checkpoint = events[-1].position if len(events) == projector.batch_size else upto
    return events, checkpoint


def _record_failure(
    state: ProjectorState, projector: Projector, event: RecordedEvent | None, error: Exception
) -> None:
    transient = projector.is_transient(error)
    if not transient:
        state.failures += 1
    state.last_error = f"{type(error).__name__}: {error}"[:2000]
    state.last_error_at = timezone.now()
    state.failing_position = event.position if event else None
    state.retry_after = timezone.now() + backoff(max(state.failures, 1))
    if state.failures >= MAX_FAILURES:
        state.halted = True
        log.error(
            "projector %s halted at position %s: %s",
            projector.name,
            state.failing_position,
            state.last_error,
        )
    else:
        log.warning(
            "projector %s failed at position %s (%s, failure %d): %s",
            projector.name,
            state.failing_position,
            "transient" if transient else "event",
            state.failures,
            state.last_error,
        )


def _apply_one_by_one(projector, state, events) -> tuple[int, Exception | None, RecordedEvent]:
    """Find the failing event of a failed batch, keeping the events before it applied (the
    error is None when each applied alone)."""
    for applied, event in enumerate(events):
        try:
            with transaction.atomic():
                projector.apply([event])
        except Exception as error:
            return applied, error, event
        state.checkpoint = event.position
    # Applied alone, every event went through (the batch's failure was its size or a passing
    # fault): the batch is done, and the checkpoint stands after its last event.
    return len(events), None, events[-1]


def _locked_state(projector: Projector, *, force: bool) -> tuple[ProjectorState | None, RunResult]:
    """The projector's state row, locked, and the result so far: "busy" when another runner
    holds it, "halted" or "waiting" (its backoff) when it may not run now."""
    state = _state(projector.name, skip_locked=True)
    if state is None:
        return None, RunResult(projector.name, "busy")
    result = RunResult(projector.name, "caught_up", checkpoint=state.checkpoint)
    if state.halted:
        result.status, result.error = "halted", state.last_error
    elif not force and state.retry_after and timezone.now() < state.retry_after:
        result.status, result.error = "waiting", state.last_error
    return state, result


def _run_batch(projector: Projector, *, force: bool) -> RunResult:
    """One transaction: lock the state, read, apply, advance the checkpoint."""
    if not projector.transactional:
        return _run_external_batch(projector, force=force)
    with transaction.atomic():
        state, result = _locked_state(projector, force=force)
        if result.status != "caught_up":
            return result
        events, checkpoint = _read_batch(projector, state.checkpoint, head_position())
        if not events and checkpoint == state.checkpoint:
            return result
        try:
            with transaction.atomic():
                if events:
                    projector.apply(events)
        except Exception as error:
            applied, error, failed = (
                _apply_one_by_one(projector, state, events)
                if len(events) > 1 and not projector.is_transient(error)
                else (0, error, events[0])
            )
            if error is not None:
                _record_failure(state, projector, failed, error)
                state.save()
                result.status, result.applied, result.error = "failed", applied, state.last_error
                result.checkpoint = state.checkpoint
                return result
        state.checkpoint = checkpoint
        state.last_success_at = timezone.now()
        state.failures, state.retry_after, state.failing_position = 0, None, None
        state.save()
        result.applied, result.checkpoint = len(events), checkpoint
        result.status = "more" if len(events) == projector.batch_size else "caught_up"
        return result


# How long a runner may write one batch to another store before others may take it over
# (a runner killed outright holds it no longer; one that overruns it is harmless, as both
# runners' writes are idempotent and only the one holding the claim moves the checkpoint).
CLAIM_SECONDS = 120


def _release_claim(name: str, claim: str) -> None:
    with transaction.atomic():
        ProjectorState.objects.filter(name=name, claim=claim).update(claim="", claimed_until=None)


def _run_external_batch(projector: Projector, *, force: bool) -> RunResult:
    """A batch of a projector into another store (Elasticsearch), written outside any database
    transaction: on SQLite a transaction that holds the state row holds the write lock of the
    whole database, and every proposal and approval would wait for Elasticsearch's bulk write
    and refresh.

    A short transaction claims the batch (the state row's `claim`, so two runners never write
    the same events) and reads it; the batch is written; a second short transaction moves the
    checkpoint and lets the claim go. The checkpoint moves only if nobody moved it meanwhile: a
    rebuild that swapped in a new index while this batch went to the old one has moved it, and
    this batch's events are then written again by the next run, into the new index.
    """
    claim = uuid.uuid4().hex
    with transaction.atomic():
        state, result = _locked_state(projector, force=force)
        if result.status != "caught_up":
            return result
        if state.claim and state.claimed_until and state.claimed_until > timezone.now():
            result.status = "busy"
            return result
        start = state.checkpoint
        events, checkpoint = _read_batch(projector, start, head_position())
        if not events and checkpoint == start:
            return result
        if not events:  # only events of types it ignores: nothing to write
            state.checkpoint = checkpoint
            state.save(update_fields=["checkpoint"])
            result.checkpoint = checkpoint
            return result
        state.claim = claim
        state.claimed_until = timezone.now() + timedelta(seconds=CLAIM_SECONDS)
        state.save(update_fields=["claim", "claimed_until"])
    failure: tuple[Exception, RecordedEvent] | None = None
    try:
        projector.apply(events)
    except BaseException as error:
        if not isinstance(error, Exception):  # interrupted: let the claim go, then stop
            _release_claim(projector.name, claim)
            raise
        applied, error, failed = (
            _apply_one_by_one(projector, state, events)
            if len(events) > 1 and not projector.is_transient(error)
            else (0, error, events[0])
        )
        if error is not None:  # stop before the failing event, keeping those applied
            failure, events = (error, failed), events[:applied]
            checkpoint = events[-1].position if events else start
    with transaction.atomic():
        current = _state(projector.name, skip_locked=False)
        if current.claim != claim or current.checkpoint != start:
            # Taken over after the claim ran out, or moved by a rebuild: its word stands.
            if current.claim == claim:
                current.claim, current.claimed_until = "", None
                current.save(update_fields=["claim", "claimed_until"])
            result.status, result.checkpoint = "busy", current.checkpoint
            return result
        current.claim, current.claimed_until = "", None
        current.checkpoint = checkpoint
        if failure:
            _record_failure(current, projector, failure[1], failure[0])
            result.status, result.error = "failed", current.last_error
        else:
            current.last_success_at = timezone.now()
            current.failures, current.retry_after, current.failing_position = 0, None, None
            result.status = "more" if len(events) == projector.batch_size else "caught_up"
        current.save()
    result.applied, result.checkpoint = len(events), current.checkpoint
    return result


def catch_up(
    name: str,
    *,
    force: bool = False,
    max_batches: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Apply every event after the projector's checkpoint, batch by batch (`progress` gets the
    number of events each batch applied)."""
    projector = get_projector(name)
    total, batches = 0, 0
    while True:
        with cyclic_gc_paused():
            result = _run_batch(projector, force=force)
        total += result.applied
        batches += 1
        if progress and result.applied:
            progress(result.applied)
        if result.status != "more" or (max_batches and batches >= max_batches):
            result.applied = total
            if result.status == "more":
                result.status = "caught_up" if max_batches is None else "more"
            return result


def catch_up_all(
    *, force: bool = False, progress: Callable[[str], Callable[[int], None]] | None = None
) -> list[RunResult]:
    """Catch every projector up; `progress(name)` gives each projector's progress callback."""
    results = []
    for name in projector_names():
        try:
            results.append(catch_up(name, force=force, progress=progress and progress(name)))
        except Exception as error:  # a broken projector must not stop the others
            log.exception("catch-up of %s failed", name)
            results.append(RunResult(name, "failed", error=str(error)))
    return results


class Bar(Protocol):
    """A progress display (tqdm's interface, or events.progress.LineProgress)."""

    def update(self, n: int = 1) -> object: ...

    def close(self) -> object: ...


def catch_up_shown(name: str, bars: Callable[[str], Bar] | None) -> RunResult:
    bar = bars(name) if bars else None
    try:
        return catch_up(name, force=True, progress=bar and bar.update)
    except Exception as error:  # a broken projector must not stop the others
        log.exception("catch-up of %s failed", name)
        return RunResult(name, "failed", error=f"{type(error).__name__}: {error}")
    finally:
        if bar:
            bar.close()


def _project_apart(name: str, bars: Callable[[str], Bar] | None, pipe) -> None:
    """The child's work in `ProjectedApart`: a bulk load when the projector never ran and
    can rebuild itself, else (or when the bulk load fails: the store may be slow to answer on
    a busy machine) catch-ups, retried while their failures are transient. Sends its
    RunResult back."""
    # An interrupt (ProjectedApart.stop, or Ctrl-C) raises here whatever the parent made of
    # SIGINT: the rebuild's cleanup runs on the way out.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    result = None
    try:
        state = ProjectorState.objects.filter(name=name).first()
        if (state is None or not state.checkpoint) and hasattr(get_projector(name), "rebuild"):
            bar = bars(name) if bars else None
            done = 0

            def moved(checkpoint, head):  # positions, not events: shown against the head
                nonlocal done
                if bar and checkpoint > done:
                    bar.total = head
                    bar.update(checkpoint - done)
                done = checkpoint

            try:
                result = rebuild(name, progress=moved)
            except Exception:
                log.exception("the bulk load of %s failed; catching it up instead", name)
            finally:
                if bar:
                    bar.close()
        for failures in range(APART_ATTEMPTS):
            if result is not None and result.status == "caught_up":
                break
            if failures:
                time.sleep(backoff(failures).total_seconds())
            result = catch_up_shown(name, bars)
    except Exception as error:
        log.exception("projecting %s apart failed", name)
        result = RunResult(name, "failed", error=f"{type(error).__name__}: {error}")
    finally:
        connections.close_all()
    pipe.send(result)
    pipe.close()


class ProjectedApart:
    """One projector caught up in a child process while this one goes on: a bulk load (a first
    start) on two cores instead of one. `bars(name)` gives its progress display.

    Meant for a projector into another store (the search index), which only reads the
    database: database projectors write one at a time however many processes run them (SQLite
    has one writer), so they stay in this process, and so do the imports, whose events the
    child reads when it has loaded what it found (its catch-up reads to the head it sees last).
    The read models it reads must be caught up before it starts. A projector that never ran
    and has its own `rebuild` is rebuilt, not caught up: a rebuild reads the log outside any
    transaction (a catch-up batch holds SQLite's write lock throughout, which would make this
    process wait), and the search rebuild writes with refresh off. The runner's guarantees
    hold: each projector has one runner at a time (its state row), and a failure is the
    projector's result, not this process's.

        apart = ProjectedApart("search", bars)   # forks
        ...                                      # imports, other projectors
        result = apart.join()                    # its RunResult
    """

    def __init__(self, name: str, bars: Callable[[str], Bar] | None = None):
        self.name = name
        # The child must not share this process's database connections: each opens its own.
        connections.close_all()
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._child = context.Process(target=_project_apart, args=(name, bars, send), daemon=True)
        self._child.start()
        send.close()

    def join(self) -> RunResult:
        try:
            result = self._receive.recv()
        except EOFError:  # the child died without a word (killed, or out of memory)
            self._child.join()
            result = RunResult(self.name, "failed", error=f"exit code {self._child.exitcode}")
        self._child.join()
        return result

    def stop(self) -> None:
        """Stop the child and wait for it (this process failed, or was interrupted): an
        interrupt, so that its rebuild removes the index it was building."""
        if self._child.is_alive():
            os.kill(self._child.pid, signal.SIGINT)
        self._child.join()


def rebuild(name: str, *, progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Rebuild a database projection from position 0 in one transaction.

    The transaction is the shadow copy: until it commits, every reader keeps seeing the previous
    read model (MVCC on PostgreSQL, WAL snapshots on SQLite), so nobody sees it empty or half
    built. Appends go on meanwhile; the rebuild catches up to the head it finds at its end.
    Projectors into other stores provide their own `rebuild` (e.g. a new index and an alias swap).
    """
    projector = get_projector(name)
    if hasattr(projector, "rebuild"):
        return projector.rebuild(progress=progress)
    if not projector.transactional:
        raise NotImplementedError(f"projector {name!r} does not support rebuilds")
    applied = 0
    with transaction.atomic():
        state = _state(name, skip_locked=False)
        projector.clear()
        checkpoint = 0
        while True:
            head = head_position()
            with cyclic_gc_paused():
                events, next_checkpoint = _read_batch(projector, checkpoint, head)
                if events:
                    projector.apply(events)
            applied += len(events)
            checkpoint = next_checkpoint
            if progress:
                progress(checkpoint, head)
            if len(events) < projector.batch_size and checkpoint >= head_position():
                break
        state.checkpoint = checkpoint
        state.failures, state.halted, state.retry_after, state.failing_position = (
            0,
            False,
            None,
            None,
        )
        state.last_success_at = timezone.now()
        state.save()
    return RunResult(name, "caught_up", applied=applied, checkpoint=checkpoint)


def resume(name: str) -> ProjectorState:
    """Clear a halted projector's failures so the next run retries the failing event."""
    get_projector(name)
    with transaction.atomic():
        state = _state(name, skip_locked=False)
        state.halted, state.failures, state.retry_after = False, 0, None
        state.save()
    return state


def skip(name: str, *, position: int, reason: str) -> ProjectorState:
    """Let a halted projector pass over the event that stops it, recording why."""
    if not reason.strip():
        raise ValueError("skipping an event needs a reason")
    get_projector(name)
    with transaction.atomic():
        state = _state(name, skip_locked=False)
        if not state.halted:
            raise ValueError(
                f"{name} is not halted: only a halted projector's event can be "
                "skipped (a failing one is still being retried)"
            )
        if state.failing_position != position:
            raise ValueError(
                f"{name} is not stopped at position {position} "
                f"(failing position: {state.failing_position}); only that event can be skipped"
            )
        SkippedEvent.objects.create(
            projector=name, position=position, reason=reason, error=state.last_error
        )
        state.checkpoint = position
        state.halted, state.failures, state.retry_after, state.failing_position = (
            False,
            0,
            None,
            None,
        )
        state.save()
    return state


def unapplied(name: str, checkpoint: int | None = None):
    """The events of the projector's types after its checkpoint (read unless given), as a
    queryset."""
    if checkpoint is None:
        state = ProjectorState.objects.filter(name=name).values_list("checkpoint", flat=True)
        checkpoint = next(iter(state), 0)
    events = Event.objects.filter(position__gt=checkpoint)
    if (handles := get_projector(name).handles) is not None:
        events = events.filter(type__in=sorted(handles))
    return events


def pending_events(name: str) -> int:
    """How many events the projector has still to apply: those of its types after its
    checkpoint (what its progress counts; `status` counts every event, for the lag)."""
    return unapplied(name).count()


@dataclass
class Status:
    name: str
    checkpoint: int
    lag: int
    last_success_at: object
    failures: int
    halted: bool
    failing_position: int | None
    last_error: str


def status() -> list[Status]:
    """Each projector's checkpoint and lag: the events stored after its checkpoint (counted,
    not subtracted, because positions have gaps where appends rolled back)."""
    states = {state.name: state for state in ProjectorState.objects.all()}
    rows = []
    for name in projector_names():
        state = states.get(name) or ProjectorState(name=name)
        rows.append(
            Status(
                name,
                state.checkpoint,
                Event.objects.filter(position__gt=state.checkpoint).count(),
                state.last_success_at,
                state.failures,
                state.halted,
                state.failing_position,
                state.last_error,
            )
        )
    return rows
