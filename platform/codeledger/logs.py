"""Log records that say which request or task they belong to.

`ContextFilter` adds `request_id` (and `actor`, `correlation_id` when known) from the event
metadata context, and `task_id`/`task` inside a Celery task. With LOG_FORMAT=json (the default in
production mode) every line is one JSON object with those fields, ready for a log shipper.
"""

import logging

from events.context import current_meta


class ContextFilter(logging.Filter):
    """Never drops a record; only annotates it."""

    def filter(self, record: logging.LogRecord) -> bool:
        meta = current_meta()
        for key in ("request_id", "actor", "correlation_id"):
            if key in meta and not hasattr(record, key):
                setattr(record, key, meta[key])
        task = _current_task()
        if task is not None and not hasattr(record, "task_id"):
            record.task_id = task.request.id
            record.task = task.name
        return True


def _current_task():
    from celery import current_task

    # Outside a worker current_task is a proxy to None; its request id is None as well.
    try:
        return current_task if current_task and current_task.request.id else None
    except Exception:  # no app configured yet: no task either
        return None


def logging_config(*, level: str, json: bool) -> dict:
    """The LOGGING setting: one console handler, JSON or plain lines, context on every record."""
    formatter = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if json
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "codeledger.logs.ContextFilter"}},
        "formatters": {"main": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"elastic_transport": {"level": "WARNING"}},
    }
