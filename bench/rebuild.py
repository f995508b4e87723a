"""Projection throughput: the search index rebuilt from the log, next to the raw bulk floor, and
the database projectors, measured against the aims of issue #26 ("Rebuild").

In one run, on a PostgreSQL cluster and an Elasticsearch node (throwaway ones by default):
- if the log holds no codes yet, the ICD-10-CM and ICD-10-PCS first imports (`import_codes`,
  codes and sections, without eager projection), then each projector's first catch-up, timed
  one by one (what `codes_import` and a first `make run` spend projecting);
- the raw floor: every code's document built up front by the projector's own
  `_document_actions` (untimed), then sent with `helpers.bulk` and with `helpers.parallel_bulk`
  (2 threads) to a fresh index with the same mapping and settings (refresh off, no replicas):
  only the sending is timed;
- `rebuild("search")`: a new index from the log (read, build, send), then the alias swap;
- `rebuild(name)` of each database projector (one transaction: clear, then every batch).

`--compare REV` runs the measurements (not the import) twice more in child processes, once with
`platform/` as it was at REV (exported by `git archive`) and once with the working tree, taking
turns, against the same database and node: the before/after table of one run. Only ratios
measured within one run count on a shared machine; the load average is printed beside them.

Run from the repository root:
    .venv/bin/python bench/rebuild.py                      # throwaway services, ~6 minutes
    .venv/bin/python bench/rebuild.py --compare HEAD~5
    DATABASE_URL=... ELASTICSEARCH_URL=... .venv/bin/python bench/rebuild.py --reuse
"""

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ALIAS = "bench-rebuild-codes"
SOURCES = ("icd10cm-2026", "icd10pcs-2025")
REBUILD_AIM_SECONDS = 20.0
RATIO_AIM = 0.9


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def load_average() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def configure_django(platform: Path) -> None:
    sys.path.insert(0, str(platform))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="codeledger.settings",
        SEARCH_INDEX_ALIAS=ALIAS,
        EVENTS_CATCH_UP_AFTER_COMMIT="false",
        DEBUG="false",
        ALLOWED_HOSTS="localhost",
        LOG_LEVEL="WARNING",
    )
    # A busy shared machine can take more than the default 10 s over one bulk request.
    os.environ.setdefault("ELASTICSEARCH_TIMEOUT", "120")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(45))
    os.environ.setdefault("EVENT_SEAL_KEYS", f"bench:{secrets.token_urlsafe(32)}")
    import django

    warnings.filterwarnings("ignore", message="No directory at: ")
    django.setup()


def timed(function, *args, **kwargs) -> float:
    began = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - began


# --- the data set -------------------------------------------------------------------------


def prepare() -> list[dict]:
    """Import both sets unless the log has them, then each projector's first catch-up; then
    the Alphabetic Index and the curated lay terms (as `make run` does), untimed: the index's
    terms go into the documents, and lay terms give codes histories of more than one event."""
    from django.core.management import call_command

    from codesets.importing import import_codes, system_has_codes
    from codesets.sources import SOURCES as KNOWN
    from codesets.sources import read_sections, read_source
    from events.projections import catch_up, projector_names

    call_command("migrate", verbosity=0)
    rows = []
    imported = 0
    for source in SOURCES:
        spec = KNOWN[source]
        if system_has_codes(spec.system):
            continue
        say(f"importing {source} ...")
        began = time.perf_counter()
        summary = import_codes(
            lambda source=source: read_source(source),
            system=spec.system,
            source=source,
            release=spec.release,
            effective_from=spec.effective_from,
            sections=lambda source=source: read_sections(source),
        )
        imported += summary.events_written
        rows.append(
            {
                "step": f"import {source}",
                "items": summary.events_written,
                "seconds": time.perf_counter() - began,
            }
        )
    if imported:
        # The search projector reads the alphabetic_index read model's checkpoint: first.
        names = sorted(projector_names(), key=lambda name: name != "alphabetic_index")
        for name in names:
            say(f"first catch-up of {name} ...")
            began = time.perf_counter()
            result = catch_up(name, force=True)
            rows.append(
                {
                    "step": f"first catch-up: {name}",
                    "items": result.applied,
                    "seconds": time.perf_counter() - began,
                }
            )
    say("the Alphabetic Index and the lay terms ...")
    call_command("index_import", "--if-empty", verbosity=0)
    call_command("lay_terms_import", verbosity=0)
    return rows


# --- the measurements (run in this process or, with --compare, in a child per version) -------


def building_settings() -> dict:
    """The settings the measured version's rebuild gives its new index (the floor's too)."""
    from search import projector

    return getattr(projector, "BUILDING_SETTINGS", {"index": {"refresh_interval": "-1"}})


def raw_floor() -> list[dict]:
    """The documents built up front, then only their sending timed (bulk and parallel_bulk)."""
    from django.utils import timezone
    from elasticsearch import helpers

    from codeledger.elastic import elasticsearch_client
    from events.store import read_all
    from search.documents import index_definition, new_index_name
    from search.projector import SearchProjector, _document_actions

    client = elasticsearch_client()
    types = sorted(SearchProjector.handles)
    documents, after = [], 0
    while batch := read_all(after=after, limit=5000, types=types):
        documents += _document_actions(batch, index="-", today=timezone.localdate())
        after = batch[-1].position
    rows = []
    for label, send in (
        ("raw helpers.bulk (floor)", lambda actions: helpers.bulk(client, actions, chunk_size=500)),
        (
            "raw helpers.parallel_bulk (floor)",
            lambda actions: sum(
                1 for _ in helpers.parallel_bulk(client, actions, thread_count=2, chunk_size=500)
            ),
        ),
    ):
        name = new_index_name()
        index_definition(name).create(using=client)
        client.indices.put_settings(index=name, settings=building_settings())
        for document in documents:
            document["_index"] = name
        began = time.perf_counter()
        send(iter(documents))
        client.indices.refresh(index=name)
        rows.append(
            {"step": label, "items": len(documents), "seconds": time.perf_counter() - began}
        )
        client.indices.delete(index=name)
    return rows


def rebuild_all() -> list[dict]:
    from events.projections import projector_names, rebuild

    rows = []
    # The search index first, then each database projector.
    for name in sorted(projector_names(), key=lambda name: name != "search"):
        say(f"rebuilding {name} ...")
        began = time.perf_counter()
        result = rebuild(name)
        rows.append(
            {
                "step": f"rebuild: {name}",
                "items": result.applied,
                "seconds": time.perf_counter() - began,
            }
        )
    return rows


def measure() -> list[dict]:
    return raw_floor() + rebuild_all()


# --- the table ------------------------------------------------------------------------------


def print_table(columns: dict[str, list[dict]]) -> None:
    steps = list(dict.fromkeys(row["step"] for rows in columns.values() for row in rows))
    found = {(label, row["step"]): row for label, rows in columns.items() for row in rows}
    header = f"{'step':<38}{'events/docs':>12}"
    for label in columns:
        header += f"  {label[:22]:>22}"
    print()
    print(header + "   (seconds, docs/s)")
    for step in steps:
        items = next(found[label, step]["items"] for label in columns if (label, step) in found)
        line = f"{step:<38}{items:>12,}"
        for label in columns:
            row = found.get((label, step))
            cell = (
                f"{row['seconds']:6.1f} s {row['items'] / row['seconds']:>7,.0f}/s" if row else "-"
            )
            line += f"  {cell:>22}"
        print(line)
    print()
    for label, rows in columns.items():
        by_step = {row["step"]: row for row in rows}
        search = by_step.get("rebuild: search")
        floor = by_step.get("raw helpers.bulk (floor)")
        if search and floor:
            # The same documents either way (the floor's are the rebuild's batches' own):
            # the throughput ratio is the ratio of the times.
            ratio = floor["seconds"] / search["seconds"]
            print(
                f"{label}: search rebuild {search['seconds']:.1f} s "
                f"(aim < {REBUILD_AIM_SECONDS:.0f} s: "
                f"{'met' if search['seconds'] < REBUILD_AIM_SECONDS else 'missed'}); "
                f"projection/raw bulk {ratio:.2f}x "
                f"(aim >= {RATIO_AIM}x: {'met' if ratio >= RATIO_AIM else 'missed'})"
            )
    print(load_average())


def export_platform(rev: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", rev, "platform"], cwd=REPO, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "platform"


def measure_in_child(platform: Path) -> list[dict]:
    output = subprocess.run(
        [sys.executable, __file__, "--measure", "--platform", str(platform)],
        cwd=REPO,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(output.splitlines()[-1])


def run(args) -> None:
    configure_django(REPO / "platform")
    first = prepare()
    if first:
        print_table({"first import": first})
    if not args.compare:
        rows = measure()
        print_table({"working tree": rows})
        return
    scratch = Path(tempfile.mkdtemp(prefix="bench-rebuild-"))
    try:
        before = export_platform(args.compare, scratch)
        columns: dict[str, list[dict]] = {f"before ({args.compare})": [], "after": []}
        for _ in range(args.rounds):
            for label, platform in zip(columns, (before, REPO / "platform"), strict=True):
                say(f"measuring {label} ...")
                columns[label] += measure_in_child(platform)
        print_table(columns)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", metavar="REV", help="before (REV) and after, taking turns")
    parser.add_argument("--rounds", type=int, default=1, help="turns of --compare")
    parser.add_argument(
        "--reuse", action="store_true", help="DATABASE_URL and ELASTICSEARCH_URL from the env"
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--platform", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # a child of --compare: the services are the parent's
        configure_django(args.platform)
        rows = measure()
        print(json.dumps(rows))
        return
    if args.reuse:
        run(args)
        return
    sys.path.insert(0, str(REPO / "deploy" / "local"))
    from localservices import ElasticsearchNode, PostgresServer

    base = Path(tempfile.mkdtemp(prefix="codeledger-bench-"))
    base.chmod(0o755)  # the services run as the service user when we are root
    server = PostgresServer(base=base / "postgres")
    node = ElasticsearchNode(base=base / "elasticsearch")
    try:
        server.start()
        node.start()
        os.environ.update(DATABASE_URL=server.url, ELASTICSEARCH_URL=node.url)
        run(args)
    finally:
        node.stop()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
