"""Background work after a commit: run a task in this process when tasks run eagerly (the
embedded default, no broker), or send it to the broker. The one place that makes that choice.

Eagerly, a task runs in the request that committed, after the commit and before the answer,
unless this process follows it on a thread of its own (`follow_in_thread`): `make run`'s web
server does that for the projection catch-up (deploy/local/gunicorn.conf.py), so a user's
request never waits for projections, as with a broker. Tests, management commands and
`make dev` keep the in-request default: what they committed is projected when they go on.
"""

import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connections, transaction

log = logging.getLogger(__name__)


class Follower:
    """Runs one idempotent task without arguments on a thread of its own, whenever asked.

    At most one run at a time; the asks that arrive during a run fold into one more run after
    it, so a burst of commits costs two runs, not one each, and none is left unseen (the run
    after the last ask starts after that ask). The thread starts on the first ask: gunicorn
    forks its workers after loading the application, and a thread does not survive a fork.
    """

    def __init__(self, task: Callable[[], object]):
        self.task = task
        self.runs = 0  # finished runs (tests and diagnostics)
        self._asked = False
        self._running = False
        self._stopping = False
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def ask(self) -> None:
        with self._wake:
            self._asked = True
            if self._thread is None or not self._thread.is_alive():
                name = f"follower:{getattr(self.task, 'name', self.task)}"
                self._thread = threading.Thread(target=self._follow, name=name, daemon=True)
                self._thread.start()
            self._wake.notify()

    def wait_idle(self, timeout: float) -> bool:
        """True once no run is asked for or running (tests; a clean shutdown)."""
        with self._wake:
            return self._wake.wait_for(lambda: not self._asked and not self._running, timeout)

    def stop(self, timeout: float = 30) -> None:
        """Let the run asked for finish, then end the thread and its database connections."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def _follow(self) -> None:
        try:
            while self._next_run():
                self._run()
        finally:
            connections.close_all()

    def _next_run(self) -> bool:
        with self._wake:
            self._wake.wait_for(lambda: self._asked or self._stopping)
            if not self._asked:
                return False
            self._asked, self._running = False, True
            return True

    def _run(self) -> None:
        # Like a Celery worker between tasks: no connection kept past its age or broken.
        close_old_connections()
        try:
            self.task()
        except Exception:
            log.exception("background run of %s failed", self.name)
        finally:
            close_old_connections()
            with self._wake:
                self._running = False
                self.runs += 1
                self._wake.notify_all()

    @property
    def name(self) -> str:
        return getattr(self.task, "name", repr(self.task))


# Tasks this process follows on a thread, by task name (follow_in_thread).
_followers: dict[str, Follower] = {}


def follow_in_thread(task) -> Follower:
    """From now on, this process runs `task` (idempotent, no arguments) on a follower thread
    when it would have run eagerly after a commit. With a broker nothing changes."""
    follower = _followers.get(task.name)
    if follower is None:
        follower = _followers[task.name] = Follower(task)
    return follower


def stop_following(task) -> None:
    """Back to running `task` in the committing request (tests)."""
    follower = _followers.pop(task.name, None)
    if follower is not None:
        follower.stop()


def run_after_commit(
    task,
    *args,
    robust: bool = False,
    retry: bool = True,
    on_refused: Callable[[Exception], None] | None = None,
) -> None:
    """Once the current transaction commits (at once outside one), run `task(*args)`.

    Eager: the task's body runs here (or its follower is asked, when this process follows it);
    with `robust`, an error in it is logged instead of raised to the committer. With a broker:
    the message is sent with Celery's publish retries, or without them (`retry=False`) where a
    later run makes up for a lost message (each retry waits BROKER_TIMEOUT against a broker
    that does not answer); a broker that does not take it is logged and handed to
    `on_refused`, or raised to the committer when there is none.
    """

    def send():
        if settings.CELERY_TASK_ALWAYS_EAGER:
            follower = None if args else _followers.get(task.name)
            if follower is not None:
                follower.ask()
            else:
                task(*args)
            return
        try:
            task.apply_async(args, retry=retry)
        except Exception as error:
            log.warning("could not send the task %s to the broker", task.name, exc_info=True)
            if on_refused is None:
                raise
            on_refused(error)

    transaction.on_commit(send, robust=robust)
