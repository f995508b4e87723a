"""A first start shows what it is doing in a plain log, and a later start does nothing again.

`make run` is often run with its output going to a file or a CI log, not a terminal. There,
`manage.py first_start` (what run.sh runs before serving) must still say which step it is in
(`[setup] phase=NAME state=begin|end` lines, which bench/first_start.py reads too) and how far a
long step is (progress lines: done/total, and the time left). Run here as run.sh runs it, in a
subprocess whose output is a pipe, on a slice of the packaged code set, the sample Alphabetic
Index and a few lay terms, against a SQLite database of its own.
"""

import contextlib
import io
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from events.progress import LineProgress
from events.projections import projector_names

REPO = Path(__file__).resolve().parents[2]
INDEX_SAMPLE = REPO / "tests" / "alphabetic_index" / "data" / "index-2025-sample.csv"
LAY_TERMS = "system,code,lay_terms\nicd10cm,J18.9,chest infection\n"
PHASE = re.compile(r"^\[setup\] phase=(\S+) state=(\S+)", re.MULTILINE)
# The search index is built in a process of its own from the end of the Alphabetic Index's
# import (search_index) while the rest is imported and projected.
EXPECTED_PHASES = [
    ("first_start", "begin"),
    *[(step, state) for step in ("migrate", "codes", "index") for state in ("begin", "end")],
    ("search_ready", "begin"),
    ("search_ready", "end"),
    ("search_index", "begin"),
    *[
        (step, state)
        for step in ("lay_terms", "glossary", "demo_users")
        for state in ("begin", "end")
    ],
    ("projections", "begin"),
    ("search_index", "end"),
    ("projections", "end"),
    ("first_start", "end"),
]


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

    def manage(*argv: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *argv],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert done.returncode == 0, done.stdout
        return done.stdout

    def run(*flags: str) -> str:
        return manage(*command[2:], *flags)

    run.manage = manage

    def query(sql: str) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(tmp_path / "codeledger.sqlite3")) as db:
            return db.execute(sql).fetchall()

    run.events = lambda: query("SELECT count(*) FROM events_event")[0][0]

    def lags() -> dict[str, int]:
        """Each projector's distance behind the head (0: caught up; one that never ran has
        no state row, and is as far behind as the head)."""
        head = query("SELECT max(position) FROM events_event")[0][0]
        checkpoints = dict(query("SELECT name, checkpoint FROM events_projectorstate"))
        return {name: head - checkpoints.get(name, 0) for name in projector_names()}

    run.lags = lags
    run.search = lambda text: [
        hit["_source"]["code"]
        for hit in Elasticsearch(os.environ["ELASTICSEARCH_URL"]).search(
            index=f"{es_namespace}-codes", query={"match_phrase": {"lay_terms": text}}
        )["hits"]["hits"]
    ]
    return run


@pytest.mark.slow
@pytest.mark.elasticsearch
def test_each_step_and_its_progress_show_in_a_plain_log(first_start):
    output = first_start()

    assert phases(output) == EXPECTED_PHASES
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


@pytest.mark.slow
@pytest.mark.elasticsearch
def test_every_projection_is_at_the_head_the_index_with_what_was_imported_beside_it(first_start):
    first_start()

    assert set(first_start.lags().values()) == {0}
    # The lay terms were imported while the index was being built: it holds them too.
    assert first_start.search("chest infection") == ["J18.9"]


@pytest.mark.slow
@pytest.mark.elasticsearch
def test_with_a_follower_the_audit_projections_are_left_to_it(first_start):
    first_start("--follower")

    lags = first_start.lags()
    assert {name for name, lag in lags.items() if lag} == {"changelog", "streams"}
    assert first_start.search("chest infection") == ["J18.9"]
    # What the follower runs on its first look at the log (events.tasks.catch_up_projections).
    first_start.manage("projections_catch_up")
    assert set(first_start.lags().values()) == {0}


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
