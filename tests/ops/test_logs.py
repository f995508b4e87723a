"""Structured logs: one JSON object per line, naming the request (and task) it belongs to."""

import io
import json
import logging

import pytest
from celery import shared_task
from django.utils.module_loading import import_string

from codeledger.logs import ContextFilter, logging_config
from events.context import current_meta, event_meta


@pytest.fixture
def json_log():
    """The production log format (LOG_FORMAT=json) on a logger of its own, into a buffer."""
    spec = dict(logging_config(level="INFO", json=True)["formatters"]["main"])
    formatter = import_string(spec.pop("()"))(spec.pop("format"), **spec)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("codeledger.test-json")
    logger.addHandler(handler)
    logger.propagate = False
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_a_line_is_json_with_the_request_id(json_log):
    logger = logging.getLogger("codeledger.test-json")
    with event_meta(request_id="req-42", actor="alice"):
        logger.info("approved %s", "I21.4")
    logger.info("outside any request")
    inside, outside = json_log()
    assert inside["message"] == "approved I21.4"
    assert (inside["level"], inside["logger"]) == ("INFO", "codeledger.test-json")
    assert (inside["request_id"], inside["actor"]) == ("req-42", "alice")
    assert "time" in inside
    assert "request_id" not in outside


def test_a_task_published_within_a_request_carries_its_request_id_in_a_header():
    """The publishing side (event meta of a request: tests/review/test_api.py)."""
    from celery import signals

    from codeledger.celery import META_HEADER

    headers = {}
    with event_meta(request_id="req-9", actor="alice", source="web"):
        signals.before_task_publish.send(sender="some.task", headers=headers, body=None)
    assert headers[META_HEADER] == {"request_id": "req-9", "actor": "alice"}


@shared_task
def _meta_inside_task():
    logging.getLogger("codeledger.test-json").info("inside the task")
    return current_meta()


def test_a_task_binds_the_publishers_request_id_and_its_own_id(json_log):
    """What the worker does with the header: meta for events, ids on log lines (the real
    worker and broker: test_prod_stack.py)."""
    from codeledger.celery import META_HEADER

    result = _meta_inside_task.apply(headers={META_HEADER: {"request_id": "req-7", "actor": "bob"}})
    meta = result.get()
    assert (meta["request_id"], meta["actor"]) == ("req-7", "bob")
    assert meta["causation_id"] == result.id
    assert meta["source"].startswith("task:")
    assert current_meta() == {}  # unbound after the task
    (line,) = json_log()
    assert (line["message"], line["request_id"]) == ("inside the task", "req-7")
    assert (line["task_id"], line["task"]) == (result.id, _meta_inside_task.name)
