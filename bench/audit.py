"""The auditors' change log on a log of 200,000 events: first pages and export rates.

Builds, on a throwaway PostgreSQL cluster, a log shaped like a busy editorial year: 20,000 codes
registered by an import, then 47,500 change requests by four editors, each submitted, commented
on by a reviewer, and approved (with its code revision) or rejected. Then measures, side by side
with a baseline in the same run:
- projecting the log into the change-log read model (the `changelog` projector);
- the first page of `GET /api/v1/audit/log` with typical filters (server time: the request
  handled in-process, JSON included), against the same filter as a direct SQL query on the
  events table (what the log would cost without its read model);
- exporting the whole log as CSV and as JSON Lines (rows/s), against PostgreSQL's own
  `COPY (SELECT ...) TO STDOUT` of the same rows.

Aims (audit issue): first page under 200 ms; export at 20,000 rows/s or more.

Run from the repository root (about 3 minutes on a quiet machine):
    .venv/bin/python bench/audit.py
"""

import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "deploy" / "local"), str(REPO / "platform")]

from localservices import PostgresServer  # noqa: E402

CODES = 20_000
REQUESTS = 47_500
EDITORS = ("alice", "eve", "mallory", "trent")
REVIEWERS = ("bob", "carol")
PAGE_RUNS = 20
TITLE = "Type 2 diabetes mellitus with diabetic chronic kidney disease, stage {n}"


def configure_django(database_url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="codeledger.settings",
        DATABASE_URL=database_url,
        EVENTS_CATCH_UP_AFTER_COMMIT="false",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        EVENT_SEAL_KEYS=f"bench:{secrets.token_urlsafe(32)}",
        ALLOWED_HOSTS="localhost,testserver",
        SECURE_SSL_REDIRECT="false",  # requests come from the in-process test client
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def build_log() -> int:
    """Append the year's events in batches; the number appended."""
    from tqdm import tqdm

    from codes.events import CodeRegistered, CodeRevised
    from events.store import NewEvent, StreamAppend, append_streams
    from review.events import (
        ChangeRequestApproved,
        ChangeRequestCommented,
        ChangeRequestRejected,
        ChangeRequestSubmitted,
    )

    def code(n: int) -> str:
        return f"E{11 + n // 1000:02d}.{n % 1000:03d}"

    total = 0
    versions = [1] * CODES
    with tqdm(total=CODES + REQUESTS, desc="building the log", unit="item") as bar:
        batch: list[StreamAppend] = []

        def flush():
            nonlocal total, batch
            append_streams(batch)
            total += sum(len(a.events) for a in batch)
            batch = []

        for n in range(CODES):
            content = {"official_descriptor": TITLE.format(n=n), "billable": True}
            event = CodeRegistered(system="icd10cm", code=code(n), content=content)
            meta = {"actor": "system", "source": "bench", "release": "FY2026"}
            batch.append(StreamAppend(f"code:icd10cm:{code(n)}", [NewEvent.of(event, meta=meta)]))
            if len(batch) == 1000:
                flush()
            bar.update()
        for r in range(REQUESTS):
            n = (r * 7919) % CODES
            change_id = str(uuid.uuid4())
            editor, reviewer = EDITORS[r % len(EDITORS)], REVIEWERS[r % len(REVIEWERS)]
            changes = {"short_descriptor": f"T2DM CKD stage {r}"}
            events = [
                NewEvent.of(
                    ChangeRequestSubmitted(
                        change_id=change_id,
                        system="icd10cm",
                        code=code(n),
                        is_new=False,
                        base_version=versions[n],
                        changes=changes,
                        rationale="Shorter form used by the CMS file",
                        proposer=editor,
                    ),
                    meta={"actor": editor},
                ),
                NewEvent.of(
                    ChangeRequestCommented(
                        change_id=change_id,
                        comment_id=str(uuid.uuid4()),
                        author=reviewer,
                        text="Checked against the tabular list.",
                    ),
                    meta={"actor": reviewer},
                ),
            ]
            appends = []
            if r % 5 == 4:
                reject = ChangeRequestRejected(
                    change_id=change_id, reviewer=reviewer, reason="Not the CMS wording"
                )
                events.append(NewEvent.of(reject, meta={"actor": reviewer}))
            else:
                versions[n] += 1
                approve = ChangeRequestApproved(
                    change_id=change_id, reviewer=reviewer, code_version=versions[n]
                )
                events.append(NewEvent.of(approve, meta={"actor": reviewer}))
                revised = CodeRevised(
                    system="icd10cm",
                    code=code(n),
                    changes={"short_descriptor": {"from": "", "to": changes["short_descriptor"]}},
                    change_request=change_id,
                    proposer=editor,
                    reviewer=reviewer,
                )
                appends.append(
                    StreamAppend(
                        f"code:icd10cm:{code(n)}", [NewEvent.of(revised, meta={"actor": reviewer})]
                    )
                )
            batch.append(StreamAppend(f"change:{change_id}", events))
            batch.extend(appends)
            if len(batch) >= 1000:
                flush()
            bar.update()
        if batch:
            flush()
    return total


def timed(fn, runs: int) -> tuple[float, float]:
    """(median, p95) milliseconds of `runs` calls, after one warm-up call."""
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def run() -> None:
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from rest_framework.test import APIClient

    from events.models import Event
    from events.projections import catch_up

    start = time.perf_counter()
    total = build_log()
    print(f"log: {total:,} events in {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    catch_up("changelog")
    seconds = time.perf_counter() - start
    print(f"changelog projection: {total / seconds:,.0f} events/s ({seconds:.1f} s)")

    auditor = User.objects.create_user("audrey")
    auditor.groups.add(Group.objects.get_or_create(name="auditor")[0])
    for name in REVIEWERS:
        User.objects.create_user(name).groups.add(Group.objects.get_or_create(name="reviewer")[0])
    client = APIClient()
    client.force_authenticate(auditor)

    print("\nfirst page (50 rows), ms: ours median / p95 vs direct SQL on the events table")
    pages = [
        ("actor=carol", {"actor": "carol"}, "meta->>'actor' = 'carol'"),
        ("code E15.123", {"system": "icd10cm", "code": "E15.123"}, None),
        (
            "role=reviewer, this week",
            {"role": "reviewer", "since": time.strftime("%Y-%m-%d")},
            None,
        ),
        (
            "type=ChangeRequestRejected",
            {"type": "ChangeRequestRejected"},
            "type = 'ChangeRequestRejected'",
        ),
        ("this week", {"since": time.strftime("%Y-%m-%d")}, "recorded_at >= current_date"),
    ]
    for label, params, where in pages:

        def page(params=params):
            response = client.get("/api/v1/audit/log", params)
            assert response.status_code == 200, (response.status_code, response.content)
            return response

        rows = len(page().json()["results"])
        median, p95 = timed(page, PAGE_RUNS)
        line = f"  {label:<28} {median:7.1f} / {p95:7.1f}  ({rows} rows)"
        if where:

            def direct(where=where):
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT position, type, meta, data FROM events_event WHERE {where} "
                        "ORDER BY position DESC LIMIT 50"
                    )
                    return cursor.fetchall()

            d_median, d_p95 = timed(direct, PAGE_RUNS)
            line += f"   direct SQL {d_median:7.1f} / {d_p95:7.1f}"
        met = "met" if p95 < 200 else "MISSED"
        print(line + f"   aim p95 < 200 ms: {met}")

    print("\nexport of the whole log, rows/s: ours vs COPY of the same rows")
    with connection.cursor() as cursor:
        start = time.perf_counter()
        copied = 0
        with cursor.copy(
            "COPY (SELECT e.position, e.recorded_at, e.type, l.actor, l.system, l.code, "
            "l.summary, e.stream, e.version, e.event_id, e.prev_hash, e.hash, e.data, e.meta "
            "FROM audit_logentry l JOIN events_event e ON e.position = l.position "
            "ORDER BY e.position) TO STDOUT"
        ) as copy:
            for block in copy:
                copied += bytes(block).count(b"\n")
        copy_rate = copied / (time.perf_counter() - start)
    print(f"  COPY (baseline)               {copy_rate:9,.0f} rows/s")
    for fmt in ("csv", "jsonl"):
        start = time.perf_counter()
        response = client.get(f"/api/v1/audit/log/export.{fmt}")
        lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
        rows = lines - (1 if fmt == "csv" else 0)
        rate = rows / (time.perf_counter() - start)
        met = "met" if rate >= 20_000 else "MISSED"
        print(
            f"  {fmt:<6} {rows:,} rows         {rate:9,.0f} rows/s = {rate / copy_rate:.2f}x COPY"
            f"   aim >= 20,000 rows/s: {met}"
        )
    assert Event.objects.count() == total


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="codeledger-bench-"))
    server = PostgresServer(base=base / "postgres")
    try:
        server.start()
        configure_django(server.url)
        from django.db import connections

        try:
            run()
        finally:
            connections.close_all()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
