#!/usr/bin/env bash
# `make run`: the embedded default, served like the product. Starts the local Elasticsearch node
# (unless ELASTICSEARCH_URL points elsewhere), migrates, imports the code set on the first start,
# and serves http://127.0.0.1:8000 with gunicorn, DEBUG off (deploy/local/serve.sh).
# Ctrl-C stops everything. `make dev` (run.sh --dev): the development server instead, DEBUG on
# (its error pages), the debug toolbar and the reloader, which restarts it when a source file changes.
# PORT (8000) and ELASTICSEARCH_PORT (9200) move the server and the local node.
# CODELEDGER_SKIP_FIRST_IMPORT=1 leaves out the code set, content and demo logins (tests).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python

if [ -z "${ELASTICSEARCH_URL:-}" ]; then
  # The node takes ~20 s to boot: let it, while the database is migrated.
  "$PY" deploy/local/localservices.py elasticsearch start &
  es_started=$!
  trap '"$PY" deploy/local/localservices.py elasticsearch stop' EXIT
  export ELASTICSEARCH_URL="http://127.0.0.1:${ELASTICSEARCH_PORT:-9200}"
fi
"$PY" manage.py migrate --noinput
if [ -n "${es_started:-}" ]; then wait "$es_started"; fi
if [ -z "${CODELEDGER_SKIP_FIRST_IMPORT:-}" ]; then
  # First start: the real ICD-10-CM code set (April 2026) and one demo login per role.
  "$PY" manage.py codes_import icd10cm-2026 --if-empty
  # Its Alphabetic Index (FY2025, vendored), checked against those codes (about 10 s, once).
  "$PY" manage.py index_import --if-empty
  # Curated lay terms and abbreviations, as reviewed change requests (re-runs change nothing).
  "$PY" manage.py lay_terms_import
  # The glossary the explanations use (reviewed content, platform/knowledge/data/glossary.csv).
  "$PY" manage.py glossary_import
  "$PY" manage.py demo_users
fi
if [ "${1:-}" = "--dev" ]; then
  echo "CodeLedger (development server, debug toolbar on): http://127.0.0.1:${PORT:-8000}/"
  DEBUG_TOOLBAR=true "$PY" manage.py runserver "127.0.0.1:${PORT:-8000}"
else
  deploy/local/serve.sh
fi
