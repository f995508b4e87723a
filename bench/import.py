"""Code-set import speed and memory, measured against the aims of the code-sets issue.

In one run, on a throwaway PostgreSQL cluster and a throwaway Elasticsearch node:
- the full ICD-10-CM import (`icd10cm-2026`, 98,186 codes) through `import_codes` (every code
  checked, its event built, chained and streamed into one COPY, in one transaction), from codes
  already read from the package;
- side by side, a raw COPY of the very rows that import stored (same content, meta and hashes,
  one COPY in one transaction, like the import) into a scratch table built like events_event:
  the floor;
- projection of those events into the read models and the Elasticsearch index;
- then ICD-10-PCS (`icd10pcs-2025`) imported and projected the same way;
- wall time for both sets from package to searchable, and this process's peak memory.

PostgreSQL runs with fsync off like the test cluster: the figures are CPU and lock costs.
Elasticsearch is one node with deploy/local's default heap (512 MB).

Run from the repository root (about 5 minutes on a quiet machine):
    .venv/bin/python bench/import.py
"""

import os
import resource
import secrets
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "deploy" / "local"), str(REPO / "platform")]

from localservices import ElasticsearchNode, PostgresServer  # noqa: E402

ALIAS = "bench-import-codes"
TOTAL_AIM_SECONDS = 300.0
MEMORY_AIM_MB = 1536.0


@dataclass
class Row:
    name: str
    items: int
    seconds: float
    note: str = ""

    @property
    def per_second(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def configure_django(database_url: str, elasticsearch_url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="codeledger.settings",
        DATABASE_URL=database_url,
        ELASTICSEARCH_URL=elasticsearch_url,
        SEARCH_INDEX_ALIAS=ALIAS,
        EVENTS_CATCH_UP_AFTER_COMMIT="false",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(45),
        EVENT_SEAL_KEYS=f"bench:{secrets.token_urlsafe(32)}",
        ALLOWED_HOSTS="localhost",
        LOG_LEVEL="WARNING",
    )
    import django
    from django.core.management import call_command

    warnings.filterwarnings("ignore", message="No directory at: ")
    django.setup()
    call_command("migrate", verbosity=0)


def read(source: str) -> tuple[list, Row]:
    from codesets.sources import read_source

    began = time.perf_counter()
    codes = list(read_source(source))
    return codes, Row(f"read {source} from its package", len(codes), time.perf_counter() - began)


def import_set(source: str, codes: list) -> Row:
    from codesets.importing import import_codes
    from codesets.sources import SOURCES

    began = time.perf_counter()
    summary = import_codes(
        lambda: iter(codes), system=SOURCES[source].system, source=source, release="bench"
    )
    seconds = time.perf_counter() - began
    if summary.events_written != len(codes):
        raise RuntimeError(f"{source}: wrote {summary.events_written} of {len(codes)} codes")
    return Row(f"import {source} (check + load)", len(codes), seconds)


def copy_floor(source: str) -> Row:
    """COPY the rows the import stored, in one transaction, as the import writes them."""
    from django.db import connection, transaction
    from psycopg.types.json import Jsonb

    from events.models import Event

    columns = ("stream", "version", "event_id", "type", "schema", "data", "meta")
    columns += ("recorded_at", "prev_hash", "hash")
    rows = [
        (*row[:5], Jsonb(row[5]), Jsonb(row[6]), *row[7:])
        for row in Event.objects.filter(meta__source=source)
        .order_by("position")
        .values_list(*columns)
    ]
    statement = f"COPY bench_copy_scratch ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_copy_scratch (LIKE events_event INCLUDING ALL)")
    try:
        began = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        seconds = time.perf_counter() - began
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_copy_scratch")
    return Row("raw COPY of the same rows (floor)", len(rows), seconds)


def project(label: str, events: int) -> Row:
    from codeledger.elastic import elasticsearch_client
    from events.projections import catch_up_all
    from search.documents import alias

    began = time.perf_counter()
    for result in catch_up_all(force=True):
        if result.status != "caught_up":
            say(f"projector {result.name}: {result.status}")
    elasticsearch_client().indices.refresh(index=alias())
    return Row(f"project {label} (read models + index)", events, time.perf_counter() - began)


def searchable(code: str) -> bool:
    from codeledger.elastic import elasticsearch_client
    from search.documents import alias

    hits = elasticsearch_client().search(index=alias(), query={"term": {"code": code}}, size=1)
    return bool(hits["hits"]["hits"])


def run() -> None:
    rows: list[Row] = []
    started = time.perf_counter()
    say("reading icd10cm-2026 ...")
    cm, row = read("icd10cm-2026")
    rows.append(row)
    say("importing icd10cm-2026 ...")
    cm_import = import_set("icd10cm-2026", cm)
    rows.append(cm_import)
    del cm
    say("COPY floor ...")
    floor = copy_floor("icd10cm-2026")
    rows.append(floor)
    ratio = cm_import.per_second / floor.per_second
    cm_import.note = f"{ratio:.2f}x COPY (aim >= 0.5x: {'met' if ratio >= 0.5 else 'missed'})"
    say("projecting icd10cm-2026 ...")
    rows.append(project("icd10cm-2026", cm_import.items))
    say("reading, importing and projecting icd10pcs-2025 ...")
    pcs, row = read("icd10pcs-2025")
    rows.append(row)
    rows.append(import_set("icd10pcs-2025", pcs))
    del pcs
    rows.append(project("icd10pcs-2025", rows[-1].items))
    copy_seconds = floor.seconds  # not part of an import
    total = time.perf_counter() - started - copy_seconds
    found = searchable("I21.4") and searchable("0DTJ4ZZ")
    memory = peak_mb()

    print()
    print(f"{'step':<48} {'items':>8} {'seconds':>8} {'per s':>9}  note")
    for row in rows:
        print(
            f"{row.name:<48} {row.items:>8,} {row.seconds:>8.1f} {row.per_second:>9,.0f}  "
            f"{row.note}"
        )
    print()
    met = total <= TOTAL_AIM_SECONDS and found
    print(
        f"both sets from package to searchable: {total:.0f} s "
        f"(aim < {TOTAL_AIM_SECONDS:.0f} s: {'met' if met else 'missed'}; "
        f"I21.4 and 0DTJ4ZZ searchable: {found})"
    )
    print(
        f"peak memory of the importing process: {memory:.0f} MB "
        f"(aim < {MEMORY_AIM_MB:.0f} MB: {'met' if memory < MEMORY_AIM_MB else 'missed'})"
    )


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="codeledger-bench-"))
    base.chmod(0o755)  # PostgreSQL and Elasticsearch run as the service user when we are root
    server = PostgresServer(base=base / "postgres")
    node = ElasticsearchNode(base=base / "elasticsearch")
    try:
        server.start()
        node.start()
        configure_django(server.url, node.url)
        from django.db import connections

        try:
            run()
        finally:
            connections.close_all()
    finally:
        node.stop()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
