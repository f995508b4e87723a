"""Catching the projections up from a management command, with a progress bar per projector
(imports and release decisions project right after their commit, with bars, instead of
silently inside it)."""

import contextlib

from django.conf import settings
from tqdm import tqdm

from events.projections import catch_up_all, status


@contextlib.contextmanager
def projected_afterwards():
    """The import's commit does not catch the projections up (in the embedded default that
    would run in-process, minutes without a word): this command does it next, with bars."""
    previous = settings.EVENTS_CATCH_UP_AFTER_COMMIT
    settings.EVENTS_CATCH_UP_AFTER_COMMIT = False
    try:
        yield
    finally:
        settings.EVENTS_CATCH_UP_AFTER_COMMIT = previous


def project_with_progress(stream) -> list:
    """Catch the read models and the search index up, with a progress bar per projector."""
    lags = {row.name: row.lag for row in status()}
    bars = []

    def progress_for(name):
        bar = tqdm(
            total=lags.get(name, 0),
            unit="event",
            desc=f"projecting: {name}",
            disable=None,
            file=stream,
        )
        bars.append(bar)
        return bar.update

    try:
        return catch_up_all(force=True, progress=progress_for)
    finally:
        for bar in bars:
            bar.close()
