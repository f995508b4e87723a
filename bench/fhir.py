"""The FHIR terminology service's latency beside the REST API's, for the same codes and texts,
in one run on the same stack (issue #25's aims):

- CodeSystem/$lookup and CodeSystem/$validate-code p95 beside the REST code lookup
  (`/api/v1/codes/icd10cm/<code>`) of the same code: aim <= 1.5x;
- ValueSet/$expand with a text `filter` (20 concepts) beside `/api/v1/codes/search` for the
  same text (20 hits): aim <= 1.5x.

Data: ICD-10-CM April 2026 (`icd10cm-2026`; `--codes N` keeps the first N codes, for a quick
run), imported through the event store and projected into the read models and Elasticsearch.
Served as in production: gunicorn with deploy/gunicorn.conf.py, production settings (DEBUG
off), one client over HTTP on loopback sending an organisation's API key (the REST API then
returns the metered sections too, and $lookup its lay terms and notes: the same content on both
sides). The paths take turns request by request, so a slow spell of the machine falls on all
alike. Throttles are set out of the way.

Run from the repository root (about 6 minutes with the full set):
    .venv/bin/python bench/fhir.py [--codes N]
"""

import argparse
import faulthandler
import itertools
import json
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import urlencode

import urllib3

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "deploy" / "local"), str(REPO / "platform")]

from localservices import ElasticsearchNode, PostgresServer, free_port  # noqa: E402

SOURCE = "icd10cm-2026"
ALIAS = "bench-fhir-codes"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SEED = 25  # the sample of codes
CODES_SAMPLED = 60
ROUNDS = 5  # each code and text is asked this many times per path
WORKERS = 2
AIM = 1.5
# Production settings redirect plain HTTP: the requests come "through a TLS proxy".
HEADERS = {"X-Forwarded-Proto": "https"}
TEXTS = [
    "heart attack",
    "asthma",
    "type 2 diabetes mellitus",
    "fracture of neck of femur",
    "essential hypertension",
    "chronic kidney disease",
    "migraine",
    "pneumonia",
    "major depressive disorder",
    "sepsis",
    "pressure ulcer",
    "back pain",
]

STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[bench {time.monotonic() - STARTED:5.0f} s] {message}", file=sys.stderr, flush=True)


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
        ALLOWED_HOSTS="localhost,127.0.0.1",
        THROTTLE_ANON="1000000/min",
        THROTTLE_USER="1000000/min",
        THROTTLE_API_KEY="1000000/min",
        LOG_LEVEL="WARNING",
        # On a busy machine a bulk request of the projection can take longer than the default
        # 10 s; a timed-out batch is then applied event by event, a refresh each (an hour).
        ELASTICSEARCH_TIMEOUT="120",
    )
    import django
    from django.core.management import call_command

    warnings.filterwarnings("ignore", message="No directory at: ")
    django.setup()
    call_command("migrate", verbosity=0)


def load(codes: int | None) -> list[str]:
    """Import (the first `codes` of) ICD-10-CM and project it; the codes imported."""
    from codesets.importing import import_codes
    from codesets.sources import read_source
    from events.projections import catch_up
    from search.projector import ensure_index

    chosen = list(itertools.islice(read_source(SOURCE), codes))
    say(f"importing {len(chosen):,} codes of {SOURCE} ...")
    import_codes(lambda: iter(chosen), system="icd10cm", source=SOURCE, release="bench")
    say("projecting into the read models ...")
    for name in ("codes", "review", "codesets"):
        catch_up(name, force=True)
    say("projecting into Elasticsearch ...")
    ensure_index()
    result = catch_up("search", force=True)
    if result.status != "caught_up":
        raise RuntimeError(f"the search projector did not catch up: {result}")
    from codeledger.elastic import elasticsearch_client

    elasticsearch_client().indices.refresh(index=ALIAS)
    return [code.code for code in chosen]


def make_api_key() -> str:
    from rest_framework_api_key.models import APIKey

    from accounts.models import Organisation, OrganisationApiKey

    organisation = Organisation.objects.create(name="Bench consumer")
    api_key, key = APIKey.objects.create_key(name="bench")
    OrganisationApiKey.objects.create(api_key=api_key, organisation=organisation)
    return key


class Server:
    """gunicorn, as `make run-prod` serves the product, on a free loopback port."""

    def __init__(self, log: Path):
        self.port, self.log, self.process = free_port(), log, None

    def start(self) -> None:
        command = [str(REPO / ".venv" / "bin" / "gunicorn"), "-c", "deploy/gunicorn.conf.py"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(WORKERS)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=log)
        pool = urllib3.HTTPConnectionPool("127.0.0.1", self.port, retries=False)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                if pool.request("GET", "/healthz", headers=HEADERS).status in (200, 503):
                    return
            except urllib3.exceptions.HTTPError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"gunicorn did not answer in 60 s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def paths(code: str, text: str) -> dict[str, str]:
    """The same question to each path: a code's lookup, or a text's first 20 matches."""
    return {
        "REST lookup": f"/api/v1/codes/icd10cm/{code}",
        "FHIR $lookup": "/fhir/CodeSystem/$lookup?" + urlencode({"system": ICD10CM, "code": code}),
        "FHIR $validate-code": "/fhir/CodeSystem/$validate-code?"
        + urlencode({"url": ICD10CM, "code": code}),
        "REST search": "/api/v1/codes/search?" + urlencode({"q": text, "system": "icd10cm"}),
        "FHIR $expand filter": "/fhir/ValueSet/$expand?"
        + urlencode({"url": f"{ICD10CM}?fhir_vs", "filter": text, "count": 20}),
    }


BASELINES = {
    "FHIR $lookup": "REST lookup",
    "FHIR $validate-code": "REST lookup",
    "FHIR $expand filter": "REST search",
}


def measure(server: Server, key: str, codes: list[str]) -> dict[str, list[float]]:
    pool = urllib3.HTTPConnectionPool("127.0.0.1", server.port, maxsize=1, retries=False)
    headers = {**HEADERS, "Authorization": f"Api-Key {key}"}
    sample = random.Random(SEED).sample(codes, min(CODES_SAMPLED, len(codes)))
    questions = list(zip(sample, itertools.cycle(TEXTS), strict=False))
    timings: dict[str, list[float]] = {}
    for _ in range(2):  # warm-up, untimed: every worker has imported and connected
        for code, text in questions[:10]:
            for url in paths(code, text).values():
                pool.request("GET", url, headers=headers)
    say(f"timing {len(questions)} codes and texts x {ROUNDS} rounds x 5 paths ...")
    for _round in range(ROUNDS):
        for code, text in questions:
            for name, url in paths(code, text).items():
                began = time.perf_counter()
                response = pool.request("GET", url, headers=headers)
                elapsed = (time.perf_counter() - began) * 1000
                if response.status != 200:
                    raise RuntimeError(f"{url}: {response.status} {response.data[:300]!r}")
                json.loads(response.data)
                timings.setdefault(name, []).append(elapsed)
    return timings


def report(timings: dict[str, list[float]], codes: int) -> None:
    def p(values, n):
        return statistics.quantiles(values, n=100, method="inclusive")[n - 1]

    print(f"\nFHIR terminology service beside the REST API ({codes:,} ICD-10-CM codes)\n")
    print(f"{'path':<22}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  p95 vs baseline")
    for name, values in timings.items():
        line = f"{name:<22}{len(values):>6}{p(values, 50):>9.1f}{p(values, 95):>9.1f}"
        line += f"{p(values, 99):>9.1f}"
        if name in BASELINES:
            ratio = p(values, 95) / p(timings[BASELINES[name]], 95)
            verdict = "met" if ratio <= AIM else "NOT met"
            line += f"  {ratio:.2f}x {BASELINES[name]} (aim <= {AIM}x: {verdict})"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=None, help="the first N codes only")
    args = parser.parse_args()
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>`: where a slow run is
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the services on the way out
    base = Path(tempfile.mkdtemp(prefix="codeledger-bench-fhir-"))
    base.chmod(0o755)  # the services run as their own user when we are root
    postgres = PostgresServer(base=base / "postgres")
    node = ElasticsearchNode(base=base / "elasticsearch")
    server = None
    try:
        postgres.start()
        node.start()
        configure_django(postgres.url, node.url)
        from django.db import connections

        codes = load(args.codes)
        key = make_api_key()
        connections.close_all()
        server = Server(base / "gunicorn.log")
        server.start()
        report(measure(server, key, codes), len(codes))
    finally:
        if server:
            server.stop()
        node.stop()
        postgres.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
