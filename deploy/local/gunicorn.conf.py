"""Gunicorn settings for `make run` (deploy/local/serve.sh): the embedded default, served the
way the product is served, on this machine.

Several worker processes with a few threads each, so one user's slow request (a search that
waits for the index, a write that waits for SQLite's lock, an import in the request path) does
not hold up everyone else's, as the single development server did. SQLite takes the concurrent
writers (WAL; a write that waits too long answers 503, codeledger/middleware.py). Production
(`make run-prod`, the image) uses deploy/gunicorn.conf.py. Environment: PORT (8000),
WEB_CONCURRENCY (workers, 3), WEB_THREADS (threads per worker, 2).
"""

import os

chdir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "platform")
wsgi_app = "codeledger.wsgi:application"
bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# gthread workers: a request waiting on Elasticsearch or the database leaves the others running.
threads = int(os.environ.get("WEB_THREADS", "2"))
worker_class = "gthread"
# The embedded default projects in the request after a commit (tasks run in-process): give a
# large change set time rather than killing its worker mid-write.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
# A terminal, not a log collector: one short line per request, its duration in milliseconds.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'
# No control socket: its default path (~/.gunicorn/gunicorn.ctl) is one per user, and a second
# server on this machine (a test's, `make run-prod`'s) would take it over.
control_socket_disable = True
