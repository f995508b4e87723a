"""Metadata carried into every event appended within a context: actor, request, correlation."""

import contextlib
from contextvars import ContextVar

META_KEYS = ("actor", "correlation_id", "causation_id", "request_id", "source")

_current: ContextVar[dict] = ContextVar("event_meta", default={})  # noqa: B039 (never mutated)


@contextlib.contextmanager
def event_meta(**values):
    """Add metadata (e.g. `actor="alice"`, `source="import"`) to events appended inside."""
    token = _current.set({**_current.get(), **{k: v for k, v in values.items() if v is not None}})
    try:
        yield
    finally:
        _current.reset(token)


def current_meta() -> dict:
    return dict(_current.get())
