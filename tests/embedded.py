"""Run Django against an embedded SQLite file in a subprocess: for tests of what the embedded
default (`make run`) does to its database, apart from the suite's PostgreSQL."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_django(
    database: Path, *args: str, code: str | None = None, tree: Path = REPO, check: bool = True
) -> subprocess.CompletedProcess:
    """`manage.py ARGS` (or `python -c CODE` after django.setup() by the caller) in `tree`, on the
    SQLite file `database`, with projections caught up by hand and no Elasticsearch."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "codeledger.settings",
        "PYTHONPATH": str(tree / "platform"),
        "SECRET_KEY": "embedded-test-only",
        "EVENTS_CATCH_UP_AFTER_COMMIT": "false",
        "ELASTICSEARCH_URL": "http://127.0.0.1:9",
    }
    env.pop("CELERY_BROKER_URL", None)
    command = [sys.executable, "-c", code] if code else [sys.executable, "manage.py", *args]
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert done.returncode == 0, done.stderr[-4000:]
    return done
