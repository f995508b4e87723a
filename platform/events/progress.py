"""Progress of long work in management commands, shown in a terminal and in a plain log alike.

A terminal gets tqdm bars. A log that is not a terminal (`make run` piped to a file, CI, a
service manager) gets a plain line every few seconds instead: what is happening, how far, and
how long is left. tqdm's own `disable=None` would print nothing there, so a first start would
stay silent for a minute.

Steps of a set-up print one machine-readable line as they begin and end (`phase`): bench/
first_start.py times a first start from them, and a person reading the log sees where it is.

Imports and release decisions project right after their commit, with progress
(`project_with_progress`), not silently inside it. A set-up that runs several imports defers
those passes (`projections_deferred`) and projects once at the end.
"""

import contextlib
import time

from django.conf import settings
from tqdm import tqdm

from events.projections import catch_up_all, status

PHASE_TAG = "[setup]"
LINE_INTERVAL = 5.0  # seconds between two progress lines in a plain log


def plural(unit: str) -> str:
    return unit[:-1] + "ies" if unit.endswith("y") else unit + "s"


class LineProgress:
    """What tqdm shows, as a line at most every `interval` seconds and one at the end. Offers
    the part of tqdm's interface the commands use (update, total, n, refresh, set_description,
    close, and use as a context manager)."""

    def __init__(self, *, desc: str, total: int | None, unit: str, stream, interval: float):
        self.desc, self.total, self.unit, self.stream = desc, total, unit, stream
        self.interval = interval
        self.n = 0
        self._started = self._shown = time.monotonic()
        self._shown_n = None
        self._closed = False

    def update(self, n: int = 1) -> None:
        self.n += n
        if time.monotonic() - self._shown >= self.interval:
            self.refresh()

    def set_description(self, desc: str) -> None:
        self.desc = desc

    def refresh(self) -> None:
        self._shown, self._shown_n = time.monotonic(), self.n
        self.stream.write(self.line() + "\n")
        self.stream.flush()

    def line(self) -> str:
        elapsed = time.monotonic() - self._started
        done = f"{self.n:,}"
        left = ""
        if self.total:
            done += f"/{self.total:,} {plural(self.unit)} ({100 * self.n / self.total:.0f}%)"
            if 0 < self.n < self.total:
                left = f", about {elapsed * (self.total - self.n) / self.n:.0f} s left"
        else:
            done += f" {plural(self.unit)}"
        return f"{self.desc}: {done} in {elapsed:.0f} s{left}"

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            # A step with nothing to do says nothing; the last line is not said twice.
            if (self.n or self.total) and self._shown_n != self.n:
                self.refresh()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class BarsAsLines:
    """A stream for commands that draw tqdm bars only on a terminal (`disable=None`), to give
    them when the output is a plain log: it says it is a terminal, so they draw, and it writes
    the latest state of the bar as a line at most every `interval` seconds, and the last one.
    Other text passes through."""

    def __init__(self, stream, *, interval: float = LINE_INTERVAL):
        self.stream, self.interval = stream, interval
        self._bar, self._shown = "", time.monotonic()

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        for part in text.replace("\x1b[A", "").split("\r"):
            *lines, rest = part.split("\n")
            for line in lines:
                self._emit(line or self._bar)
                self._bar = ""
            if rest.strip():
                self._bar = rest.strip()
                if time.monotonic() - self._shown >= self.interval:
                    self._emit(self._bar)
        return len(text)

    def _emit(self, line: str) -> None:
        if line.strip():
            self.stream.write(line.strip() + "\n")
            self.stream.flush()
        self._shown = time.monotonic()

    def flush(self) -> None:
        self.stream.flush()


def progress_bar(*, desc: str, unit: str, stream, total: int | None = None):
    """A tqdm bar on a terminal, a LineProgress anywhere else."""
    if isinstance(stream, BarsAsLines):
        stream = stream.stream
    if getattr(stream, "isatty", lambda: False)():
        return tqdm(total=total, unit=unit, desc=desc, file=stream)
    return LineProgress(desc=desc, total=total, unit=unit, stream=stream, interval=LINE_INTERVAL)


@contextlib.contextmanager
def phase(name: str, stream):
    """One line as the step begins and one as it ends (`[setup] phase=NAME state=end
    seconds=S`), whatever the stream: these lines are the log's outline of a set-up."""
    started = time.monotonic()
    stream.write(f"{PHASE_TAG} phase={name} state=begin\n")
    stream.flush()
    state = "failed"
    try:
        yield
        state = "end"
    finally:
        stream.write(
            f"{PHASE_TAG} phase={name} state={state} seconds={time.monotonic() - started:.2f}\n"
        )
        stream.flush()


@contextlib.contextmanager
def projected_afterwards():
    """The import's commit does not catch the projections up (in the embedded default that
    would run in-process, minutes without a word): this command does it next, with progress."""
    previous = settings.EVENTS_CATCH_UP_AFTER_COMMIT
    settings.EVENTS_CATCH_UP_AFTER_COMMIT = False
    try:
        yield
    finally:
        settings.EVENTS_CATCH_UP_AFTER_COMMIT = previous


_deferred = False


@contextlib.contextmanager
def projections_deferred():
    """Within: no catch-up after commits, and `project_with_progress` does nothing. For a
    set-up that runs several imports and projects once at its end: the search index would
    otherwise index each code again for each import that touches it."""
    global _deferred
    previous = _deferred
    _deferred = True
    try:
        with projected_afterwards():
            yield
    finally:
        _deferred = previous


def project_with_progress(stream) -> list:
    """Catch the read models and the search index up, with progress per projector (nothing,
    within `projections_deferred`)."""
    if _deferred:
        return []
    lags = {row.name: row.lag for row in status()}
    bars = []

    def progress_for(name):
        bar = progress_bar(
            total=lags.get(name, 0), unit="event", desc=f"projecting {name}", stream=stream
        )
        bars.append(bar)
        return bar.update

    try:
        return catch_up_all(force=True, progress=progress_for)
    finally:
        for bar in bars:
            bar.close()
