#!/usr/bin/env bash
# `make run`: the embedded default, served like the product. Starts the local Elasticsearch node
# (unless ELASTICSEARCH_URL points elsewhere) in the background; `manage.py first_start` migrates
# and, on the first start, sets up the content: the ICD-10-CM code set, its Alphabetic Index, the
# curated lay terms and glossary, one demo login per role, then the read models and the search
# index projected from them (a later start finds all of it done in about a second); the audit
# log of that import is projected by the follower beside the server (serve.sh) as it starts.
# Then it serves http://127.0.0.1:8000 with gunicorn, DEBUG off (deploy/local/serve.sh).
# The node boots beside the migrations and the imports: first_start waits for it only before it
# projects the search index, and the server starts once the node is up.
# Each step prints `[setup] phase=NAME state=begin|end seconds=S` (bench/first_start.py times a
# start from these lines); long steps print a progress line every few seconds, in a log too.
# Ctrl-C stops everything. `make dev` (run.sh --dev): the development server instead, DEBUG on
# (its error pages), the debug toolbar and the reloader, which restarts it when a source file changes.
# PORT (8000) and ELASTICSEARCH_PORT (9200) move the server and the local node.
# CODELEDGER_SKIP_FIRST_IMPORT=1 leaves out the code set, content and demo logins (tests).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python

# step NAME COMMAND...: runs the command between the two phase lines of NAME.
step() {
  local name=$1 started=$EPOCHREALTIME
  shift
  echo "[setup] phase=$name state=begin"
  "$@"
  echo "[setup] phase=$name state=end seconds=$(awk "BEGIN {printf \"%.2f\", $EPOCHREALTIME - $started}")"
}

if [ -z "${ELASTICSEARCH_URL:-}" ]; then
  "$PY" deploy/local/localservices.py elasticsearch start &
  es_started=$!
  trap '"$PY" deploy/local/localservices.py elasticsearch stop' EXIT
  export ELASTICSEARCH_URL="http://127.0.0.1:${ELASTICSEARCH_PORT:-9200}"
fi
if [ "${1:-}" != "--dev" ]; then
  # The static files serve.sh serves, collected beside the set-up (settings as serve.sh's).
  DEBUG=false EMBEDDED=true ALLOWED_HOSTS=127.0.0.1 \
    "$PY" manage.py collectstatic --noinput --verbosity 0 &
  static_collected=$!
fi
if [ -z "${CODELEDGER_SKIP_FIRST_IMPORT:-}" ]; then
  # migrates first; under `make run` the audit log is projected by serve.sh's follower
  if [ "${1:-}" = "--dev" ]; then "$PY" manage.py first_start; else "$PY" manage.py first_start --follower; fi
else
  step migrate "$PY" manage.py migrate --noinput
fi
if [ -n "${es_started:-}" ]; then step elasticsearch wait "$es_started"; fi
if [ "${1:-}" = "--dev" ]; then
  echo "CodeLedger (development server, debug toolbar on): http://127.0.0.1:${PORT:-8000}/"
  DEBUG_TOOLBAR=true "$PY" manage.py runserver "127.0.0.1:${PORT:-8000}"
else
  step static wait "$static_collected"
  echo "[setup] phase=serve state=begin"
  SKIP_COLLECTSTATIC=1 deploy/local/serve.sh
fi
