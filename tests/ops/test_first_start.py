"""A first start shows what it is doing in a plain log, and a later start does nothing again.

`make run` is often run with its output going to a file or a CI log, not a terminal. There,
`manage.py first_start` (what run.sh runs before serving) must still say which step it is in
(`[setup] phase=NAME state=begin|end` lines, which bench/first_start.py reads too) and how far a
long step is (progress lines: done/total, and the time left). Run here as run.sh runs it, in a
subprocess whose output is a pipe, on a slice of the packaged code set, the sample Alphabetic
Index and a few lay terms, against a SQLite database of its own.
"""

import io
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from events.progress import LineProgress

REPO = Path(__file__).resolve().parents[2]
INDEX_SAMPLE = REPO / "tests" / "alphabetic_index" / "data" / "index-2025-sample.csv"
LAY_TERMS = "system,code,lay_terms\nicd10cm,J18.9,chest infection\n"
STEPS = ["migrate", "codes", "index", "lay_terms", "glossary", "demo_users", "projections"]
PHASE = re.compile(r"^\[setup\] phase=(\S+) state=(\S+)", re.MULTILINE)


def phases(output: str) -> list[tuple[str, str]]:
    return PHASE.findall(output)


@pytest.fixture
def first_start(tmp_path, es_namespace):
    """Runs `manage.py first_start` on the slice; returns its output (stdout and stderr)."""
    lay_terms = tmp_path / "lay_terms.csv"
    lay_terms.write_text(LAY_TERMS)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'codeledger.sqlite3'}",
        ELASTICSEARCH_URL=os.environ["ELASTICSEARCH_URL"],
        SEARCH_INDEX_ALIAS=f"{es_namespace}-codes",
    )
    command = [
        sys.executable,
        "manage.py",
        "first_start",
        *("--only", "J18,E11"),
        *("--index-file", str(INDEX_SAMPLE)),
        *("--lay-terms-file", str(lay_terms)),
    ]

    def run() -> str:
        done = subprocess.run(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert done.returncode == 0, done.stdout
        return done.stdout

    run.events = lambda: (
        sqlite3.connect(tmp_path / "codeledger.sqlite3")
        .execute("SELECT count(*) FROM events_event")
        .fetchone()[0]
    )
    return run


@pytest.mark.slow
@pytest.mark.elasticsearch
def test_each_step_and_its_progress_show_in_a_plain_log(first_start):
    output = first_start()

    expected = [("first_start", "begin")]
    for step in STEPS:
        if step == "projections":
            expected.append(("search_ready", "begin"))
            expected.append(("search_ready", "end"))
        expected += [(step, "begin"), (step, "end")]
    expected.append(("first_start", "end"))
    assert phases(output) == expected
    # Progress of the imports (their own bars, as lines) and of each projection, to the end.
    assert re.search(r"^importing icd10cm-2026: \d+", output, re.MULTILINE), output
    assert re.search(r"^projecting codes: (\d+)/\1 events \(100%\)", output, re.MULTILINE)
    assert re.search(r"^projecting search: ", output, re.MULTILINE), output
    assert "\r" not in output  # no terminal redraws in a log


@pytest.mark.slow
@pytest.mark.elasticsearch
def test_a_later_start_finds_everything_done_and_writes_nothing(first_start):
    first_start()
    events = first_start.events()

    output = first_start()

    assert first_start.events() == events
    assert "icd10cm: codes already imported, nothing to do" in output
    assert "an Alphabetic Index was imported before, nothing to do" in output
    assert "1 codes, 0 changed" in output
    assert ("search_ready", "begin") not in phases(output)  # nothing to project
    assert not re.search(r"^projecting ", output, re.MULTILINE)


def test_a_progress_line_says_how_far_and_how_long_is_left():
    log = io.StringIO()
    progress = LineProgress(desc="projecting codes", total=4, unit="event", stream=log, interval=0)

    progress.update(1)
    progress.update(3)
    progress.close()

    assert log.getvalue().splitlines() == [
        "projecting codes: 1/4 events (25%) in 0 s, about 0 s left",
        "projecting codes: 4/4 events (100%) in 0 s",
    ]
