"""Metadata carried into every event appended within a context: actor, request, correlation."""

import contextlib
from contextvars import ContextVar, Token

META_KEYS = ("actor", "correlation_id", "causation_id", "request_id", "source")

_current: ContextVar[dict] = ContextVar("event_meta", default={})  # noqa: B039 (never mutated)


@contextlib.contextmanager
def event_meta(**values):
    """Add metadata (e.g. `actor="alice"`, `source="import"`) to events appended inside."""
    token = bind_meta(**values)
    try:
        yield
    finally:
        reset_meta(token)


def bind_meta(**values) -> Token:
    """Like `event_meta`, for code that enters and leaves in two places (e.g. the Celery signals
    before and after a task): returns the token to pass to `reset_meta`."""
    return _current.set({**_current.get(), **{k: v for k, v in values.items() if v is not None}})


def reset_meta(token: Token) -> None:
    _current.reset(token)


def current_meta() -> dict:
    return dict(_current.get())


def propagated_meta() -> dict:
    """The part of the current metadata that follows work into a background task: who asked and
    within which request, so the task's log lines and events can be traced back to it."""
    meta = _current.get()
    return {key: meta[key] for key in ("actor", "correlation_id", "request_id") if key in meta}
