"""Bring-your-own code-set import (issue #25) speed and memory, against the packaged import.

In one run, on a throwaway PostgreSQL cluster:
- a generated FHIR CodeSystem of 100,000 concepts (1,000 headers of 99 codes each, a display,
  a short-descriptor designation and a notSelectable flag on the headers) written to a file,
  then imported with `codesets.files.import_file` into a system the file defines (`bench-set`,
  its definition recorded from the resource's metadata): the check pass over the whole file,
  then the write pass into the first-import path (`import_codes`); the file is streamed with
  ijson when it is installed (the line `reader:` says which);
- the baseline in the same run: the packaged ICD-10-CM import (`icd10cm-2026`, 98,186 codes),
  read from its package and imported through `import_codes`, the same steps;
- the file import's peak memory: the process's peak resident set (getrusage), taken before the
  baseline runs (its package parse stays resident).

PostgreSQL runs with fsync off like the test cluster. Projection is left out of both (the same
projectors run afterwards whichever way the codes came in; bench/import.py measures it).

Run from the repository root (a few minutes on a quiet machine):
    .venv/bin/python bench/import_file.py
"""

import json
import os
import resource
import secrets
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "deploy" / "local"), str(REPO / "platform")]

from localservices import PostgresServer  # noqa: E402

HEADERS, CHILDREN = 1_000, 99
RATE_AIM = 0.5  # at least half the packaged import's codes per second
MEMORY_AIM_MB = 500.0


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def configure_django(database_url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="codeledger.settings",
        DATABASE_URL=database_url,
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


def write_code_system(path: Path) -> int:
    """An invented hierarchical CodeSystem (no one's codes), written one concept at a time."""
    short = {"system": "urn:codeledger:fhir:designation-use", "code": "short-descriptor"}
    with path.open("w", encoding="utf-8") as out:
        out.write('{"resourceType": "CodeSystem", "url": "https://example.org/bench", ')
        out.write('"status": "active", "content": "complete", "concept": [')
        for h in range(HEADERS):
            children = [
                {
                    "code": f"B{h:04d}.{c:02d}",
                    "display": f"Generated bench concept {c} of group {h}, an invented activity",
                    "designation": [{"use": short, "value": f"Bench {h}.{c}"}],
                }
                for c in range(CHILDREN)
            ]
            header = {
                "code": f"B{h:04d}",
                "display": f"Generated bench group {h}",
                "property": [{"code": "notSelectable", "valueBoolean": True}],
                "concept": children,
            }
            out.write(("," if h else "") + json.dumps(header))
        out.write("]}")
    return HEADERS * (CHILDREN + 1)


def run(workdir: Path) -> None:
    from codesets.files import import_file
    from codesets.importing import import_codes
    from codesets.readers import fhir_stream
    from codesets.sources import read_source

    path = workdir / "bench-codesystem.json"
    concepts = write_code_system(path)
    say(f"wrote {concepts:,} concepts ({path.stat().st_size / 1e6:.0f} MB); importing the file ...")
    began = time.perf_counter()
    summary = import_file(path, system="bench-set", file_format="fhir", release="bench")
    file_seconds = time.perf_counter() - began
    if summary.events_written != concepts:
        raise RuntimeError(f"wrote {summary.events_written} of {concepts}")
    # Before the baseline, whose package parse stays resident (codesets.sources).
    resident_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB

    say("baseline: the packaged icd10cm-2026 import ...")
    began = time.perf_counter()
    codes = list(read_source("icd10cm-2026"))
    baseline = import_codes(
        lambda: iter(codes), system="icd10cm", source="icd10cm-2026", release="bench"
    )
    baseline_seconds = time.perf_counter() - began

    reader = "ijson " + fhir_stream.ijson.backend if fhir_stream.ijson else "json.load (no ijson)"
    file_rate = concepts / file_seconds
    baseline_rate = baseline.codes / baseline_seconds
    ratio = file_rate / baseline_rate
    print()
    print(f"reader: {reader}; load average {' '.join(f'{n:.1f}' for n in os.getloadavg())}")
    print(f"{'import':<56} {'codes':>8} {'seconds':>8} {'per s':>8}")
    print(
        f"{'FHIR CodeSystem file (read, check, import_codes)':<56} {concepts:>8,} "
        f"{file_seconds:>8.1f} {file_rate:>8,.0f}"
    )
    print(
        f"{'packaged icd10cm-2026 (read, import_codes)':<56} {baseline.codes:>8,} "
        f"{baseline_seconds:>8.1f} {baseline_rate:>8,.0f}"
    )
    print()
    print(
        f"file rate / packaged rate: {ratio:.2f}x (aim >= {RATE_AIM}x: "
        f"{'met' if ratio >= RATE_AIM else 'missed'})"
    )
    print(
        f"peak resident set of the process through the file import (Django included): "
        f"{resident_mb:.0f} MB (aim < {MEMORY_AIM_MB:.0f} MB: "
        f"{'met' if resident_mb < MEMORY_AIM_MB else 'missed'})"
    )


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="codeledger-bench-"))
    base.chmod(0o755)  # PostgreSQL runs as the service user when we are root
    server = PostgresServer(base=base / "postgres")
    try:
        server.start()
        configure_django(server.url)
        from django.db import connections

        try:
            run(base)
        finally:
            connections.close_all()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
