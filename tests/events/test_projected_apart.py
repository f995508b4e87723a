"""A projector caught up in a child process (events.projections.ProjectedApart), as a first
start builds the search index beside its imports: when the parent fails or is interrupted, it
stops the child so that the child's rebuild cleans up (a half-built index is removed), rather
than leaving it to be killed at exit without its cleanup."""

import signal
import time

import pytest

from events.projections import ProjectedApart, Projector, register, unregister


class Blocking(Projector):
    """A rebuild that runs until it is stopped, and says whether its cleanup ran."""

    name = "test-blocking"

    def __init__(self, folder):
        self.folder = folder

    def apply(self, events):
        pass

    def rebuild(self, *, progress=None):
        (self.folder / "started").touch()
        try:
            time.sleep(60)
        except BaseException:
            (self.folder / "cleaned-up").touch()
            raise


def wait_for(path, seconds=30.0) -> bool:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.django_db(transaction=True)  # the child reads the committed state table
def test_a_stopped_child_runs_its_rebuilds_cleanup_and_is_waited_for(tmp_path):
    register(Blocking(tmp_path))
    try:
        apart = ProjectedApart("test-blocking")
        assert wait_for(tmp_path / "started")

        started = time.monotonic()
        apart.stop()

        assert time.monotonic() - started < 30  # interrupted, not slept out
        assert (tmp_path / "cleaned-up").exists()
        assert not apart._child.is_alive()
    finally:
        unregister("test-blocking")


@pytest.mark.django_db(transaction=True)
def test_the_child_is_stopped_even_when_this_process_ignores_interrupts(tmp_path):
    """What the parent does with SIGINT (a server's handler, an ignoring library) is no
    reason for the child to keep building: it was stopped 60 s late in a full test run."""
    register(Blocking(tmp_path))
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        apart = ProjectedApart("test-blocking")
        assert wait_for(tmp_path / "started")

        started = time.monotonic()
        apart.stop()

        assert time.monotonic() - started < 30
        assert (tmp_path / "cleaned-up").exists()
    finally:
        signal.signal(signal.SIGINT, previous)
        unregister("test-blocking")
