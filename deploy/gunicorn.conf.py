"""Gunicorn settings for CodeLedger (make run-prod and the container image).

Command-line options and GUNICORN_CMD_ARGS override these. Run from the repository (or image)
root: `gunicorn -c deploy/gunicorn.conf.py codeledger.wsgi:application`.
"""

import os

chdir = os.environ.get(
    "CODELEDGER_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", "platform")
)
wsgi_app = "codeledger.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Requests are short; a stuck one is killed rather than holding a worker forever.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
# Its control socket (gunicorn 27) defaults to one path per user: two stacks would share it.
control_socket_disable = True
# Recycle workers now and then (memory creep of long-lived processes), not all at once.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
# One JSON object per line, like the application's own logs (LOG_FORMAT=json).
access_log_format = (
    '{"time": "%(t)s", "logger": "gunicorn.access", "method": "%(m)s", "path": "%(U)s", '
    '"query": "%(q)s", "status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s, '
    '"request_id": "%({x-request-id}o)s", "remote": "%(h)s"}'
)
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    """Multiprocess metrics: a dead worker's live gauges must not be reported any more."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
