#!/usr/bin/env bash
# The web server of `make run` on a migrated database: the embedded default (SQLite under
# .local/, tasks in-process after commit, secrets generated into .local/) with DEBUG off, so
# users see the product's 404 and 500 pages, never Django's debug pages. Static files are
# collected into .local/static (STATIC_ROOT; only changed files are copied again) and served
# by WhiteNoise; gunicorn runs several workers (deploy/local/gunicorn.conf.py). PORT: 8000.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEBUG=false EMBEDDED=true
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost,[::1]}"
.venv/bin/python manage.py collectstatic --noinput --verbosity 0
echo "CodeLedger: http://127.0.0.1:${PORT:-8000}/  (API docs: /api/docs/, health: /healthz)"
exec .venv/bin/gunicorn -c deploy/local/gunicorn.conf.py
