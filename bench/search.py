"""Search indexing and query speed on real services, measured against the search issue's aims.

Measures, in one run on a throwaway PostgreSQL cluster and a throwaway Elasticsearch node, after
importing the full ICD-10-CM set (`icd10cm-2026`, one CodeRegistered event per code, appended
without eager projection) and applying the curated lay terms (`lay_terms_import`, reviewed
change requests, as `make run` does):
- projection throughput: `catch_up("search")` from checkpoint 0 into the live index, next to
  `elasticsearch.helpers.bulk` of the very same documents (built beforehand by the projector's
  own `_document_actions` over the same event batches, minus the external version) into a
  scratch index with the same mapping: the floor the projector is compared with. Both are timed
  on a node that has indexed every document once already (untimed), the floor first, then the
  projector (whose process no longer holds the floor's documents);
- a full rebuild, `rebuild("search")`: a new index built from the log, then the alias swap;
- latency (p50/p95/p99) and requests/s of `/api/v1/codes/search` and `/api/v1/codes/suggest`
  at 1 and 8 concurrent clients (threads of this process), next to the identical query built
  with `build_search` / `build_suggest` (for an anonymous caller: licensed systems excluded, as
  the API does) and sent straight to Elasticsearch with the Python client; the paths take
  turns in four rounds and each row pools its rounds (ROUNDS). The API is served
  as in production: gunicorn with deploy/gunicorn.conf.py (sync workers, one per concurrent
  client: 8), production settings (DEBUG off), the throttle counts in Redis (CACHE_URL), called
  over HTTP on loopback behind a TLS proxy's X-Forwarded-Proto header. So an API row is the
  whole stack a consumer meets (HTTP parsing, middleware, DRF, throttling, the checkpoint read
  from PostgreSQL, the Elasticsearch call, JSON rendering). The API rows are anonymous callers;
  the "API key" rows send an organisation's key, as API consumers do (the key and the
  organisation's licences are read from PostgreSQL once, then kept in the worker's memory
  while the generation stamp in Redis, read on every request, says nothing changed: the
  production default, accounts/licensing.py). The "bare WSGI" rows
  serve the views' own answers (search.api.search_results / suggest_results) from
  bench/floor/bare_wsgi.py under the same gunicorn: HTTP and gunicorn without Django's request
  handling and DRF, so they split the API's cost over the direct query into the HTTP hop's
  part and the framework's part (middleware, DRF, and the throttle's Redis round trip).

The PostgreSQL cluster runs with fsync and synchronous_commit off, like the test cluster;
Elasticsearch is a single node with deploy/local's default heap (512 MB). All share the
machine's cores with this process and the gunicorn workers. Logging is set to WARNING so
per-request log lines of the Elasticsearch client are not measured (gunicorn's access log, as in
production, is).

Run from the repository root (about 5 minutes):
    .venv/bin/python bench/search.py

The aims (issue #26) are the API's over the bare WSGI floor: at one client, p95 at most
OVERHEAD_AIM_MS above the floor's; at eight, at least THROUGHPUT_AIM of its requests/s.

`--overhead [--before REV]` measures the latency rows alone, quickly, on the database, index and
alias the environment names (a `make run` clone's, say), with a throwaway Redis; with `--before
REV` the API as it was at REV (its platform/ and deploy/) is served beside the working tree's,
its rows labelled "API at REV", so a change is measured before and after in one run:
    DATABASE_URL=sqlite:////tmp/x/.local/codeledger.sqlite3 \
      ELASTICSEARCH_URL=http://127.0.0.1:9231 SEARCH_INDEX_ALIAS=codes \
      .venv/bin/python bench/search.py --overhead --before a0596ca

`--compare REV` measures something narrower, quickly, on an index you already have (e.g. the
one bench/relevance.py uses: the full import, its Alphabetic Index and the curated lay terms;
DATABASE_URL, ELASTICSEARCH_URL and SEARCH_INDEX_ALIAS from the environment): the search and
suggest queries as built by `platform/search/queries.py` at REV (before) and in the working
tree (after), the same texts sent straight to Elasticsearch, taking turns query by query in
ROUNDS rounds, so a slow spell of a shared machine falls on both alike. Elasticsearch's own
`took` and the client's wall time, p50/p95 each. Only the query changes between the two:
the API around it is the same code.
    .venv/bin/python bench/search.py --compare HEAD~3
"""

import gc
import io
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import urllib3

REPO = Path(__file__).resolve().parents[1]
# In front of bench/ (the script's own folder): `search` must be the app, not this file.
sys.path[:0] = [str(REPO / "deploy" / "local"), str(REPO / "platform")]

from localservices import ElasticsearchNode, PostgresServer, RedisServer, free_port  # noqa: E402

ALIAS = "bench-codes"
SOURCE = "icd10cm-2026"
BULK_CHUNK = 500  # the projector's streaming_bulk chunk size
REBUILD_AIM_CODES, REBUILD_AIM_SECONDS = 170_000, 60.0
CLIENT_COUNTS = (1, 8)
API_WORKERS = max(CLIENT_COUNTS)  # gunicorn sync workers: one per concurrent client
API_HEADERS = {"Accept": "application/json", "X-Forwarded-Proto": "https"}
REQUESTS_PER_RUN = {"search": 256, "suggest": 640}
# The paths (API, API key, bare WSGI, direct) take turns in this many rounds, each a share of
# the requests, and each row pools its rounds: a slow spell of the machine falls on all alike.
ROUNDS = 4
SLOWEST_SHOWN = 5
# Issue #26's aims for the API over the bare WSGI floor (bench/floor): at one client, p95 at
# most this many milliseconds above the floor's; at eight, at least this share of its requests/s.
OVERHEAD_AIM_MS = 2.0
THROUGHPUT_AIM = 0.8
PROJECTOR_AIM_RATIO = 0.7

SEARCH_QUERIES = [
    # lay terms
    "heart attack",
    "high blood pressure",
    "broken arm",
    "kidney stones",
    "sore throat",
    "back pain",
    "chest pain",
    "flu",
    "asthma",
    "migraine",
    # codes, with and without the dot
    "I21.4",
    "E11.9",
    "J45.909",
    "S72.001A",
    "i214",
    "M54.5",
    "Z00.00",
    "F32",
    # typos
    "emphysemia",
    "diabetis",
    "pnuemonia",
    "hypertention",
    "astma",
    "alzheimers diseese",
    # multi-word clinical phrases
    "type 2 diabetes mellitus with diabetic chronic kidney disease",
    "acute myocardial infarction of inferior wall",
    "fracture of neck of right femur",
    "chronic obstructive pulmonary disease with acute exacerbation",
    "major depressive disorder single episode",
    "pressure ulcer of sacral region stage 3",
    "essential hypertension",
    "sepsis due to escherichia coli",
]
SUGGEST_QUERIES = [
    "diab",
    "I21",
    "I21.",
    "heart fa",
    "pneu",
    "S72.0",
    "asth",
    "chronic kid",
    "E11.6",
    "migr",
    "fract",
    "hyperten",
    "acute myo",
    "Z00",
    "sepsis d",
    "major dep",
    "copd",
    "M54",
    "low back",
    "osteoarth",
]


STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[bench {time.monotonic() - STARTED:5.0f} s] {message}", file=sys.stderr, flush=True)


@dataclass
class Row:
    """One line of the report: a count over a wall time, optionally latencies and an aim."""

    name: str
    count: int
    seconds: float
    latencies_ms: list[float] | None = None
    by_query: dict[str, list[float]] | None = None
    ratio: str = ""
    aim: str = ""
    met: bool | None = None

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    def percentile(self, p: int) -> float:
        cuts = statistics.quantiles(self.latencies_ms, n=100, method="inclusive")
        return cuts[p - 1]


# --- services and Django -------------------------------------------------------------------


def configure_django(
    database_url: str, elasticsearch_url: str, cache_url: str, alias: str = ALIAS, migrate=True
) -> None:
    """Production settings (DEBUG off), the throwaway services, throttling out of the way (the
    gunicorn workers inherit this environment)."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="codeledger.settings",
        DATABASE_URL=database_url,
        ELASTICSEARCH_URL=elasticsearch_url,
        CACHE_URL=cache_url,
        SEARCH_INDEX_ALIAS=alias,
        EVENTS_CATCH_UP_AFTER_COMMIT="false",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(45),  # 60 characters
        EVENT_SEAL_KEYS=f"bench:{secrets.token_urlsafe(32)}",
        ALLOWED_HOSTS="localhost,127.0.0.1",
        THROTTLE_ANON="1000000/min",
        THROTTLE_USER="1000000/min",
        THROTTLE_API_KEY="1000000/min",
        LOG_LEVEL="WARNING",
    )
    import django
    from django.core.management import call_command

    # Production serves collected static files; this run serves none and has not collected any.
    warnings.filterwarnings("ignore", message="No directory at: ")
    django.setup()
    if migrate:
        call_command("migrate", verbosity=0)


def es():
    from codeledger.elastic import elasticsearch_client

    return elasticsearch_client()


# --- import --------------------------------------------------------------------------------


def import_codes() -> Row:
    from codesets.importing import import_codes as run_import
    from codesets.sources import read_source

    say(f"importing {SOURCE} (append only, no projection) ...")
    began = time.perf_counter()
    summary = run_import(
        lambda: read_source(SOURCE), system="icd10cm", source=SOURCE, release="bench"
    )
    seconds = time.perf_counter() - began
    if summary.events_written != summary.codes:
        raise RuntimeError(f"the import wrote {summary.events_written} of {summary.codes} codes")
    return Row("import (2 passes, append)", summary.codes, seconds)


# --- projection against bulk ---------------------------------------------------------------


def code_event_batches():
    """The code events in the projector's own batches (same size, same boundaries)."""
    from events.store import read_all
    from search.projector import SearchProjector

    projector = SearchProjector()
    types, after = sorted(projector.handles), 0
    while batch := read_all(after=after, limit=projector.batch_size, types=types):
        yield batch
        after = batch[-1].position


def baseline_actions(index: str) -> tuple[list[dict], Row]:
    """Exactly the projector's documents, aimed at `index`, as plain (unversioned) writes.

    Timed too: reading the log and computing the documents is the projector's share of the work
    that the bulk floor does not do.
    """
    from django.utils import timezone

    from search.projector import _document_actions

    say("building the baseline documents with _document_actions ...")
    today, actions = timezone.localdate(), []
    began = time.perf_counter()
    for batch in code_event_batches():
        for action in _document_actions(batch, index=index, today=today):
            del action["version"], action["version_type"]
            actions.append(action)
    seconds = time.perf_counter() - began
    return actions, Row("read log + build docs (no ES)", len(actions), seconds)


def create_index(name: str) -> None:
    from search.documents import index_definition

    index_definition(name).create(using=es())


def delete_index(name: str) -> None:
    es().options(ignore_status=404).indices.delete(index=name)


def bulk(actions: list[dict]) -> int:
    from elasticsearch import helpers

    written, errors = helpers.bulk(es(), actions, chunk_size=BULK_CHUNK, max_retries=5)
    if errors:
        raise RuntimeError(f"bulk indexing failed: {errors[:3]}")
    return written


def warm_up_indexing(actions: list[dict]) -> None:
    """Index every document once, untimed, so that neither side is timed on a JVM that has not
    compiled the indexing path yet (a catch-up timed after 5,000 warm-up documents took 32 s; the
    same catch-up after a full bulk, 21 s)."""
    name = f"{ALIAS}-warmup"
    say(f"warming Elasticsearch up: the same {len(actions):,} documents into a scratch index ...")
    create_index(name)
    try:
        bulk([{**action, "_index": name} for action in actions])
    finally:
        delete_index(name)


def measure_catch_up() -> Row:
    """Project every code event from checkpoint 0 into the live index (created beforehand)."""
    from events.models import ProjectorState
    from events.projections import catch_up
    from search.projector import ensure_index

    ProjectorState.objects.filter(name="search").delete()
    ensure_index()
    say("projecting (catch_up) from checkpoint 0 ...")
    began = time.perf_counter()
    result = catch_up("search", force=True)
    seconds = time.perf_counter() - began
    if result.status != "caught_up":
        raise RuntimeError(f"the search projector did not catch up: {result}")
    return Row("projector catch-up (search)", result.applied, seconds)


def measure_bulk(actions: list[dict], index: str) -> Row:
    say(f"bulk indexing the same {len(actions):,} documents into a scratch index ...")
    began = time.perf_counter()
    written = bulk(actions)
    seconds = time.perf_counter() - began
    es().indices.refresh(index=index)
    indexed = es().count(index=index)["count"]
    codes = len({action["_id"] for action in actions})  # a revised code is written twice
    if written != len(actions) or indexed != codes:
        raise RuntimeError(
            f"bulk wrote {written} of {len(actions)}, index holds {indexed} of {codes}"
        )
    return Row("helpers.bulk, same docs (floor)", written, seconds)


def projection_rows() -> list[Row]:
    """The documents are built first (the projector's own code, timed: the work the floor does not
    do), indexed once to warm Elasticsearch up, then the floor is timed; the documents are let go
    and the projector is timed on the same warmed node, its process without the floor's list."""
    scratch = f"{ALIAS}-bulk-baseline"
    actions, building = baseline_actions(scratch)
    warm_up_indexing(actions)
    create_index(scratch)
    try:
        floor = measure_bulk(actions, scratch)
    finally:
        delete_index(scratch)
    del actions
    gc.collect()
    projector = measure_catch_up()
    ratio = projector.per_second / floor.per_second
    projector.ratio = f"{ratio:.2f}x bulk"
    projector.aim = f">= {PROJECTOR_AIM_RATIO}x bulk"
    projector.met = ratio >= PROJECTOR_AIM_RATIO
    return [projector, floor, building]


def measure_rebuild() -> Row:
    from events.projections import rebuild

    say("rebuilding the search index from the log ...")
    began = time.perf_counter()
    result = rebuild("search")
    seconds = time.perf_counter() - began
    if result.status != "caught_up":
        raise RuntimeError(f"the rebuild did not finish: {result}")
    aim_rate = REBUILD_AIM_CODES / REBUILD_AIM_SECONDS
    projected = REBUILD_AIM_CODES / (result.applied / seconds)
    return Row(
        "full rebuild (search)",
        result.applied,
        seconds,
        ratio=f"170k: {projected:.0f} s",
        aim=f">= {aim_rate:,.0f}/s (170k < 60 s)",
        met=result.applied / seconds >= aim_rate,
    )


# --- query latency -------------------------------------------------------------------------


class ApiServer:
    """The API under gunicorn, as `make run-prod` serves it, on a free loopback port; with
    `app` (a WSGI callable in bench/floor), that app under the same gunicorn settings; with
    `source`, the API of another checkout (`--before REV`: its platform/ and deploy/)."""

    def __init__(self, log: Path, app: str | None = None, source: Path = REPO):
        self.port, self.log, self.app, self.source = free_port(), log, app, source
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        what = self.app or ("the API" if self.source == REPO else f"the API of {self.source}")
        say(f"starting gunicorn ({API_WORKERS} workers, {what}) on {self.url}")
        command = [str(REPO / ".venv" / "bin" / "gunicorn"), "-c", "deploy/gunicorn.conf.py"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(API_WORKERS)]
        if self.app:
            command += ["--pythonpath", str(REPO / "bench" / "floor"), self.app]
        environment = {**os.environ, "CODELEDGER_SOURCE_ROOT": str(self.source / "platform")}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.source, env=environment, stdout=log, stderr=log
            )
        pool = urllib3.HTTPConnectionPool("127.0.0.1", self.port, retries=False)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            try:
                if pool.request("GET", "/healthz", headers=API_HEADERS).status == 200:
                    return
            except urllib3.exceptions.HTTPError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"gunicorn did not answer /healthz within 60 s; see {self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


API: ApiServer | None = None
FLOOR: ApiServer | None = None  # bench/floor/bare_wsgi.py: the API's answers without the framework
BEFORE: ApiServer | None = None  # --before REV: the API as it was at REV, beside the working tree's
BEFORE_REV = ""
# The paths each latency measurement takes turns over (--overhead: no "api key"; with --before
# REV, "before" too).
PATHS = ["api", "api key", "floor", "direct"]


API_KEY: str | None = None  # an API consumer's key (make_api_key), for the "API key" rows


def make_api_key() -> str:
    """A key of an organisation holding no licence: the anonymous caller's query, plus the key
    and licence resolution every API consumer's request makes."""
    from rest_framework_api_key.models import APIKey

    from accounts.models import Organisation, OrganisationApiKey

    organisation = Organisation.objects.create(name="Bench consumer")
    api_key, key = APIKey.objects.create_key(name="bench")
    OrganisationApiKey.objects.create(api_key=api_key, organisation=organisation)
    return key


def api_get(pool: urllib3.HTTPConnectionPool, endpoint: str, q: str, key: str | None = None):
    headers = {**API_HEADERS, "Authorization": f"Api-Key {key}"} if key else API_HEADERS
    response = pool.request("GET", f"/api/v1/codes/{endpoint}", fields={"q": q}, headers=headers)
    if response.status != 200:
        raise RuntimeError(f"{endpoint}?q={q}: {response.status} {response.data[:300]}")
    return json.loads(response.data)


def api_caller(endpoint: str, key: str | None, server: ApiServer) -> Callable[[str], None]:
    """One client's caller: its own HTTP connection pool to the server."""
    pool = urllib3.HTTPConnectionPool("127.0.0.1", server.port, maxsize=1, retries=False)

    def call(q: str) -> None:
        api_get(pool, endpoint, q, key)

    return call


def hidden_from_anonymous() -> list[str]:
    """The licensed systems the API's callers here may not see (anonymous, or an organisation
    holding no licence): the API excludes them from its query, so the direct query does too."""
    from django.http import HttpRequest

    from accounts.licensing import unlicensed_systems

    return unlicensed_systems(HttpRequest())


def direct_search(q: str):
    from search.queries import build_search

    search = build_search(q=q, filters={}, size=20, cursor=None, hidden=hidden_from_anonymous())
    return search.using(es()).execute()


def direct_suggest(q: str):
    from search.queries import build_suggest

    search = build_suggest(q=q, system=None, hidden=hidden_from_anonymous())
    return search.using(es()).execute()


DIRECT = {"search": direct_search, "suggest": direct_suggest}
QUERIES = {"search": SEARCH_QUERIES, "suggest": SUGGEST_QUERIES}


def make_caller(endpoint: str, via: str) -> Callable[[str], None]:
    if via == "direct":
        return DIRECT[endpoint]
    if via == "floor":
        return api_caller(endpoint, None, FLOOR)
    if via == "before":
        return api_caller(endpoint, None, BEFORE)
    return api_caller(endpoint, API_KEY if via == "api key" else None, API)


def client_loop(endpoint, via, offset, count, start: threading.Barrier) -> list[tuple]:
    """One client: connect and warm up, wait for the others, then time `count` requests."""
    from django.db import connection

    queries = QUERIES[endpoint]
    try:
        call = make_caller(endpoint, via)
        for q in queries[offset % len(queries) :][:3]:
            call(q)  # the client's own DB connection and first request are not measured
        start.wait()
        latencies = []
        for n in range(count):
            q = queries[(offset + n) % len(queries)]
            began = time.perf_counter()
            call(q)
            latencies.append((q, (time.perf_counter() - began) * 1000))
        return latencies
    except BaseException:
        start.abort()  # release the others rather than leave them waiting at the barrier
        raise
    finally:
        connection.close()


def measure_load(endpoint: str, via: str, clients: int) -> Row:
    """One round: each client makes its share of the round's requests."""
    count = REQUESTS_PER_RUN[endpoint] // clients // ROUNDS
    stride = max(1, len(QUERIES[endpoint]) // clients)  # clients start on different queries
    start = threading.Barrier(clients + 1)
    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [
            pool.submit(client_loop, endpoint, via, index * stride, count, start)
            for index in range(clients)
        ]
        try:
            start.wait()
        except threading.BrokenBarrierError:
            for future in futures:
                future.result()  # raises the client's own error
            raise
        began = time.perf_counter()
        samples = [sample for future in futures for sample in future.result()]
        seconds = time.perf_counter() - began
    by_query: dict[str, list[float]] = {}
    for q, ms in samples:
        by_query.setdefault(q, []).append(ms)
    what = {
        "api": "API (HTTP)",
        "api key": "API, API key",
        "before": f"API at {BEFORE_REV}",
        "floor": "bare WSGI (HTTP)",
        "direct": "direct ES",
    }[via]
    noun = "client" if clients == 1 else "clients"
    name = f"{endpoint} {what}, {clients} {noun}"
    return Row(name, len(samples), seconds, [ms for _, ms in samples], by_query)


def pooled(runs: list[Row]) -> Row:
    """The rounds of one path as one row."""
    by_query: dict[str, list[float]] = {}
    for run in runs:
        for q, latencies in run.by_query.items():
            by_query.setdefault(q, []).extend(latencies)
    return Row(
        runs[0].name,
        sum(run.count for run in runs),
        sum(run.seconds for run in runs),
        [ms for run in runs for ms in run.latencies_ms],
        by_query,
    )


def check_same_answers(endpoint: str) -> None:
    """Warm every query up on every path and make sure the API and the direct query find the
    same codes (and the floor the same answers as the API)."""
    pool = urllib3.HTTPConnectionPool("127.0.0.1", API.port, retries=False)
    floor = urllib3.HTTPConnectionPool("127.0.0.1", FLOOR.port, retries=False)
    before = BEFORE and urllib3.HTTPConnectionPool("127.0.0.1", BEFORE.port, retries=False)
    for q in QUERIES[endpoint]:
        for _ in range(2):
            body = api_get(pool, endpoint, q)
            if "api key" in PATHS:
                api_get(pool, endpoint, q, API_KEY)  # the keyed rows are warmed alike
            if before:
                api_get(before, endpoint, q)
            bare = api_get(floor, endpoint, q)
            direct = DIRECT[endpoint](q)
        api_codes = [hit["code"] for hit in body["hits" if endpoint == "search" else "suggestions"]]
        if body.get("corrected_query"):
            say(f"note: search {q!r} is answered for {body['corrected_query']!r} (a second query)")
        elif api_codes != [hit.code for hit in direct]:
            say(f"warning: {endpoint} {q!r}: the API and the direct query disagree")
        if bare != body:
            say(f"warning: {endpoint} {q!r}: the bare WSGI floor answers differently")
        if not api_codes:
            say(f"note: {endpoint} {q!r} finds nothing")


def latency_rows(endpoint: str) -> list[Row]:
    """Each path of PATHS against the others, in ROUNDS rounds (the order turning each round,
    so no path is always the first after a pause), pooled; the API's rows set against the
    issue's aims over the bare WSGI floor: at one client, p95 at most OVERHEAD_AIM_MS above
    the floor's; at eight, requests/s at least THROUGHPUT_AIM times the floor's."""
    say(f"warming up and measuring {endpoint} latency ...")
    check_same_answers(endpoint)
    rows = []
    for clients in CLIENT_COUNTS:
        runs: dict[str, list[Row]] = {via: [] for via in PATHS}
        for round_ in range(ROUNDS):
            turn = round_ % len(PATHS)
            for via in PATHS[turn:] + PATHS[:turn]:
                runs[via].append(measure_load(endpoint, via, clients))
        by_path = {via: pooled(runs[via]) for via in PATHS}
        floor, direct = by_path["floor"], by_path["direct"]
        floor.ratio = f"p95 {floor.percentile(95) / direct.percentile(95):.2f}x direct"
        for via in ("api", "api key", "before"):
            if via not in by_path:
                continue
            row = by_path[via]
            if clients == 1:
                over = row.percentile(95) - floor.percentile(95)
                row.ratio = f"p95 {over:+.1f} ms bare"
                row.aim, row.met = f"p95 <= bare + {OVERHEAD_AIM_MS:g} ms", over <= OVERHEAD_AIM_MS
            else:
                share = row.per_second / floor.per_second
                row.ratio = f"{share:.2f}x bare req/s"
                row.aim, row.met = f">= {THROUGHPUT_AIM:g}x bare req/s", share >= THROUGHPUT_AIM
            if via == "api key":
                row.aim, row.met = "", None  # the aims are the anonymous caller's
        rows += by_path.values()
    return rows


# --- report --------------------------------------------------------------------------------


def machine_facts() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]} (fsync=off)"
        else:  # --compare on the embedded product's database
            database = f"{connection.vendor} {connection.Database.sqlite_version}"
    nodes = es().nodes.info()["nodes"]
    es_version = ", ".join(sorted({node["version"] for node in nodes.values()}))
    health = es().cluster.health()
    return (
        f"nproc {len(os.sched_getaffinity(0))}, Elasticsearch {es_version} "
        f"({health['number_of_nodes']} node, {health['status']}), {database}, "
        f"Python {sys.version.split()[0]}"
    )


def slowest_queries(rows: list[Row]) -> str:
    """The slowest search queries of the 1-client runs: median ms via the API / direct."""
    api, direct = (
        next(r for r in rows if r.name == f"search {what}, 1 client")
        for what in ("API (HTTP)", "direct ES")
    )
    medians = {q: statistics.median(ms) for q, ms in direct.by_query.items()}
    slowest = sorted(medians, key=medians.get, reverse=True)[:SLOWEST_SHOWN]
    cells = [f"{q!r} {statistics.median(api.by_query[q]):.0f}/{medians[q]:.0f}" for q in slowest]
    return "slowest search queries, 1 client, median ms API/direct: " + ", ".join(cells)


def print_table(rows: list[Row], facts: str) -> None:
    header = ("measurement", "count", "seconds", "per s", "p50 ms", "p95 ms", "p99 ms")
    header += ("vs baseline", "aim", "result")

    def latency(row: Row, p: int) -> str:
        return "" if row.latencies_ms is None else f"{row.percentile(p):.1f}"

    lines = [
        (
            row.name,
            f"{row.count:,}",
            f"{row.seconds:.2f}",
            f"{row.per_second:,.0f}" if row.per_second >= 100 else f"{row.per_second:.1f}",
            latency(row, 50),
            latency(row, 95),
            latency(row, 99),
            row.ratio,
            row.aim,
            {True: "met", False: "MISSED", None: ""}[row.met],
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    left_aligned = {0, 7, 8, 9}

    def line(cells) -> str:
        return "  ".join(
            cell.ljust(width) if i in left_aligned else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    print()
    print(facts)
    print(
        f"API rows: HTTP to gunicorn ({API_WORKERS} sync workers, production settings, Redis "
        "cache); bare WSGI rows: the API views' answers from a bare WSGI app under the same "
        "gunicorn (no middleware, no DRF); direct rows: the same query with the Python "
        "Elasticsearch client."
    )
    print(line(header))
    print("  ".join("-" * width for width in widths))
    for cells in lines:
        print(line(cells))
    print(slowest_queries(rows))


def apply_lay_terms() -> Row:
    from django.core.management import call_command

    from review.management.commands.lay_terms_import import SEED_FILE, read_seed

    say("applying the curated lay terms (reviewed change requests) ...")
    began = time.perf_counter()
    call_command("lay_terms_import", stdout=io.StringIO(), stderr=io.StringIO())
    return Row(
        "lay terms (submit + approve)", len(read_seed(SEED_FILE)), time.perf_counter() - began
    )


def run(base: Path) -> None:
    global API, API_KEY, FLOOR
    rows = [import_codes(), apply_lay_terms()]
    API_KEY = make_api_key()
    rows += projection_rows()
    rows.append(measure_rebuild())
    API = ApiServer(base / "gunicorn.log")
    FLOOR = ApiServer(base / "gunicorn-floor.log", app="bare_wsgi:application")
    try:
        API.start()
        FLOOR.start()
        rows += latency_rows("search")
        rows += latency_rows("suggest")
    finally:
        API.stop()
        FLOOR.stop()
    print_table(rows, machine_facts())


def queries_at(rev: str):
    """platform/search/queries.py as it was at `rev`, loaded as a module of its own (its
    imports resolve to the working tree's search.accents and search.documents)."""
    import importlib.util

    text = subprocess.run(
        ["git", "show", f"{rev}:platform/search/queries.py"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    spec = importlib.util.spec_from_loader(f"queries_at_{rev}", loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(compile(text, f"{rev}:platform/search/queries.py", "exec"), module.__dict__)
    return module


def compare(rev: str) -> None:
    """The queries of `rev` against the working tree's, interleaved (see the docstring)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codeledger.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from search import queries as after

    versions = {f"before ({rev})": queries_at(rev), "after (working tree)": after}
    hidden = hidden_from_anonymous()
    build = {
        "search": lambda module, q: module.build_search(
            q=q, filters={}, size=20, cursor=None, hidden=hidden
        ),
        "suggest": lambda module, q: module.build_suggest(q=q, system=None, hidden=hidden),
    }
    texts = {"search": SEARCH_QUERIES, "suggest": SUGGEST_QUERIES}
    took = {(endpoint, name): [] for endpoint in build for name in versions}
    wall = {(endpoint, name): [] for endpoint in build for name in versions}
    for endpoint, make in build.items():
        for module in versions.values():  # warm up: caches, connections
            for q in texts[endpoint]:
                make(module, q).using(es()).execute()
        for _ in range(ROUNDS * 2):
            for q in texts[endpoint]:
                for name, module in versions.items():
                    search = make(module, q)
                    began = time.perf_counter()
                    response = search.using(es()).execute()
                    wall[endpoint, name].append((time.perf_counter() - began) * 1000)
                    took[endpoint, name].append(response.took)
    header = f"{'version':<24}{'n':>5}  {'took p50':>8} {'p95':>6}  {'wall p50':>8} {'p95':>6}"
    print(f"\n{'query':<9}{header}")
    for endpoint, name in took:
        cut_took = statistics.quantiles(took[endpoint, name], n=100, method="inclusive")
        cut_wall = statistics.quantiles(wall[endpoint, name], n=100, method="inclusive")
        print(
            f"{endpoint:<9}{name:<24}{len(took[endpoint, name]):>5}  {cut_took[49]:>6.1f}ms "
            f"{cut_took[94]:>4.1f}ms  {cut_wall[49]:>6.1f}ms {cut_wall[94]:>4.1f}ms"
        )
    print(f"\n{machine_facts()}")


def checkout(rev: str, into: Path) -> Path:
    """platform/ and deploy/ as they were at `rev`, under `into` (served with this venv)."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", rev, "platform", "deploy"], cwd=REPO, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def overhead(before: str | None) -> None:
    """`--overhead`: the latency rows alone, on the database, index and alias the environment
    names (e.g. a `make run` clone's: the full import, its Alphabetic Index, the lay terms),
    with a throwaway Redis for the throttle counts, as production has; without the API key
    rows (they would write a key into that database); with `--before REV`, the API as it was
    at REV served beside the working tree's, so a change is measured before and after in one
    run."""
    global API, FLOOR, BEFORE, BEFORE_REV, PATHS
    base = Path(tempfile.mkdtemp(prefix="codeledger-bench-"))
    base.chmod(0o755)
    redis = RedisServer(base=base / "redis")
    redis.start()
    servers = []
    try:
        configure_django(
            os.environ["DATABASE_URL"],
            os.environ["ELASTICSEARCH_URL"],
            redis.url,
            alias=os.environ.get("SEARCH_INDEX_ALIAS", "codes"),
            migrate=False,
        )
        PATHS = ["api", "floor", "direct"]
        API = ApiServer(base / "gunicorn.log")
        FLOOR = ApiServer(base / "gunicorn-floor.log", app="bare_wsgi:application")
        servers = [API, FLOOR]
        if before:
            BEFORE_REV = before
            BEFORE = ApiServer(base / "gunicorn-before.log", source=checkout(before, base / "at"))
            servers.append(BEFORE)
            PATHS.insert(1, "before")
        for server in servers:
            server.start()
        rows = latency_rows("search") + latency_rows("suggest")
        load, facts = os.getloadavg(), machine_facts()
    finally:
        for server in servers:
            server.stop()
        from django.db import connections

        connections.close_all()
        redis.stop()
        shutil.rmtree(base, ignore_errors=True)
    print_table(rows, facts)
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min)")


def main() -> None:
    # Stopped with SIGTERM, still stop the servers started (the `finally` blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if len(sys.argv) == 3 and sys.argv[1] == "--compare":
        compare(sys.argv[2])
        return
    if sys.argv[1:2] == ["--overhead"]:
        rest = sys.argv[2:]
        overhead(rest[1] if rest[:1] == ["--before"] and len(rest) == 2 else None)
        return
    base = Path(tempfile.mkdtemp(prefix="codeledger-bench-"))
    base.chmod(0o755)  # Elasticsearch and PostgreSQL run as the service user when we are root
    server = PostgresServer(base=base / "postgres")
    node = ElasticsearchNode(base=base / "elasticsearch")
    redis = RedisServer(base=base / "redis")
    try:
        server.start()
        node.start()
        redis.start()
        configure_django(server.url, node.url, redis.url)
        from django.db import connections

        try:
            run(base)
        finally:
            connections.close_all()  # before the server goes away
    finally:
        redis.stop()
        node.stop()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
