#!/usr/bin/env bash
# The web server of `make run` on a migrated database: the embedded default (SQLite under
# .local/, tasks in-process after commit, secrets generated into .local/) with DEBUG off, so
# users see the product's 404 and 500 pages, never Django's debug pages. Static files are
# collected into .local/static (STATIC_ROOT; only changed files are copied again) and served
# by WhiteNoise; gunicorn runs several workers (deploy/local/gunicorn.conf.py). PORT: 8000.
# Projections run in a follower process beside it (deploy/local/follow.py), not in the requests
# that commit: no user waits for them, and one runner takes SQLite's write lock for them.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEBUG=false EMBEDDED=true
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost,[::1]}"
# run.sh collects them beside the set-up (SKIP_COLLECTSTATIC=1): a start need not wait for it.
if [ -z "${SKIP_COLLECTSTATIC:-}" ]; then
  .venv/bin/python manage.py collectstatic --noinput --verbosity 0
fi
.venv/bin/python deploy/local/follow.py &
follower=$!
trap 'kill "$follower" 2>/dev/null; wait "$follower" 2>/dev/null || true' EXIT
echo "CodeLedger: http://127.0.0.1:${PORT:-8000}/  (API docs: /api/docs/, health: /healthz)"
EVENTS_CATCH_UP_AFTER_COMMIT=false .venv/bin/gunicorn -c deploy/local/gunicorn.conf.py
