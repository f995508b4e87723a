"""How long `make run` takes to serve on a fresh clone, and again on its second start.

Clones the repository's HEAD (or --rev) into a temporary folder and runs `make run` there with a
PORT and an ELASTICSEARCH_PORT of its own, so it runs beside any other stack on this machine.
Each line of its output is timed from the moment `make run` started; the set-up prints
`[setup] phase=NAME state=begin|end seconds=S` lines (deploy/local/run.sh and `manage.py
first_start`), from which the phases are read. A start counts as done ("serving") once
/healthz answers 200 and a search for "pneumonia" answers J18.9 first: the full code set, its
index terms and lay terms searchable. The server is then stopped (SIGINT, as Ctrl-C) and
started again on the same clone: the second start's phases and total. Package caches are
whatever this machine has (warm, on a developer's machine, after the first `make run`).

The machine's load average is printed before and after: on a shared machine only figures
measured in the same run compare. --baseline REV measures a second clone at REV first, in the
same run (its phases only if it prints the lines; its totals always).

    .venv/bin/python bench/first_start.py [--rev HEAD] [--baseline REV] [--keep]
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PHASE = re.compile(r"\[setup\] phase=(\S+) state=(\S+)(?: seconds=([\d.]+))?")
TIMEOUT = 1800  # seconds (--timeout): a first start on a busy machine, with margin
# The environment of someone who just cloned: nothing pointing at other services.
CLEARED = ("DATABASE_URL", "ELASTICSEARCH_URL", "DEBUG", "EMBEDDED", "SEARCH_INDEX_ALIAS")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""
    except (urllib.error.URLError, OSError):
        return 0, b""


def serving(base: str) -> bool:
    """Healthy, and the full search answers: J18.9 first for "pneumonia"."""
    if fetch(f"{base}/healthz")[0] != 200:
        return False
    status, body = fetch(f"{base}/api/v1/codes/search?q=pneumonia")
    if status != 200:
        return False
    hits = json.loads(body).get("hits") or []
    return bool(hits) and hits[0].get("code") == "J18.9"


class Start:
    """One `make run` in the clone, its output timed line by line, until it serves."""

    def __init__(self, clone: Path, *, port: int, es_port: int, log):
        self.clone, self.port, self.log = clone, port, log
        env = {k: v for k, v in os.environ.items() if k not in CLEARED and not k.startswith("UV_")}
        env.update(PORT=str(port), ELASTICSEARCH_PORT=str(es_port), PYTHONUNBUFFERED="1")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            ["make", "run"],
            cwd=clone,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.phases: dict[str, list[float | None]] = {}  # name -> [begin, end, own seconds]
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            at = time.monotonic() - self.started
            for part in line.rstrip("\n").split("\r"):
                if not part.strip():
                    continue
                self.lines.append(part)
                self.log.write(f"{at:8.2f} {part}\n")
                if match := PHASE.search(part):
                    name, state, seconds = match.groups()
                    row = self.phases.setdefault(name, [None, None, None])
                    if state == "begin":
                        row[0] = at
                    else:
                        row[1], row[2] = at, float(seconds) if seconds else None

    def wait_serving(self, timeout: float) -> float | None:
        """Seconds from the start to serving; None if it did not serve within `timeout`."""
        base = f"http://127.0.0.1:{self.port}"
        while time.monotonic() - self.started < timeout:
            if self.process.poll() is not None:
                tail = "\n".join(self.lines[-30:])
                raise SystemExit(f"make run exited with {self.process.returncode}:\n{tail}")
            if serving(base):
                return time.monotonic() - self.started
            time.sleep(0.5)
        return None

    def stop(self):
        """Ctrl-C, as a person would: run.sh stops its Elasticsearch node on the way out."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.reader.join(timeout=5)


def measure(rev: str, folder: Path, log, timeout: float) -> list[tuple[str, dict, float | None]]:
    clone = folder / f"clone-{rev.replace('/', '_')}"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    subprocess.run(["git", "checkout", "--quiet", rev], cwd=clone, check=True)
    port, es_port = free_port(), free_port()
    runs = []
    for label in ("first start", "second start"):
        log.write(f"--- {rev}: {label}\n")
        start = Start(clone, port=port, es_port=es_port, log=log)
        try:
            ready = start.wait_serving(timeout)
        finally:
            start.stop()
        runs.append((label, start.phases, ready))
        if ready is None:  # a second start would only finish the first one's work
            print(f"{rev} {label}: not serving after {timeout:.0f} s", file=sys.stderr)
            break
        print(f"{rev} {label}: serving after {ready:.1f} s", file=sys.stderr)
    return runs


def table(rev: str, runs) -> None:
    names = list(dict.fromkeys(name for _, phases, _ in runs for name in phases))
    print(f"\n{rev}")
    header = "".join(f"{label:>26}" for label, _, _ in runs)
    print(f"{'phase':<16}{header}")
    print(f"{'':<16}" + "".join(f"{'seconds':>10}{'from start':>16}" for _ in runs))
    for name in names:
        cells = []
        for _, phases, ready in runs:
            begin, end, seconds = phases.get(name, [None, None, None])
            if name == "serve" and begin is not None:  # it ends when the product serves
                end = ready
            took = seconds if seconds is not None else (end - begin if begin and end else None)
            span = f"{begin:.1f}-{end:.1f}" if begin is not None and end is not None else ""
            cells.append(f"{took:>10.1f}{span:>16}" if took is not None else f"{'':>10}{span:>16}")
        print(f"{name:<16}" + "".join(cells))
    print(
        f"{'serving':<16}"
        + "".join(
            f"{ready:>10.1f}{'':>16}" if ready is not None else f"{'not yet':>10}{'':>16}"
            for _, _, ready in runs
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", default="HEAD", help="the revision to start (default: HEAD)")
    parser.add_argument("--baseline", help="a revision to measure first, in the same run")
    parser.add_argument("--keep", action="store_true", help="leave the clones and the log")
    parser.add_argument(
        "--timeout",
        type=float,
        default=TIMEOUT,
        help=f"seconds a start may take before it counts as not serving (default {TIMEOUT})",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="codeledger-first-start-"))
    log_path = folder / "output.log"
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = []
    with log_path.open("w", buffering=1) as log:  # line by line: follow it with tail -f
        for rev in filter(None, (args.baseline, args.rev)):
            results.append((rev, measure(rev, folder, log, args.timeout)))
    for rev, runs in results:
        table(rev, runs)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.keep:
        print(f"clones and output: {folder}")
    else:
        subprocess.run(["rm", "-rf", str(folder)], check=False)


if __name__ == "__main__":
    main()
