"""What authenticating costs an API request (issue #26): one cheap authenticated GET, the code
lookup `/api/v1/codes/icd10cm/<code>` (read models only, a few kB), sent by the same editor

- with a session cookie (what a person's browser sends),
- with a personal access token (`Authorization: Bearer clt_...`, accounts/tokens.py),
- with HTTP Basic (the password, hashed on every request with Django's PBKDF2),
- and anonymously (no credential: the floor; the answer then withholds the metered sections).

Aim: token p50 and p95 about the session's (ratio ~1.0); Basic is documented as slow.

Served as in production: gunicorn with deploy/gunicorn.conf.py, production settings (DEBUG off,
Django's default password hashers), PostgreSQL; Elasticsearch is not needed (the lookup reads
the read models), so it points at a port nobody listens on. One client over loopback; the four
kinds take turns request by request, so a slow spell of a shared machine falls on all alike.
Only the ratios within one run mean anything: the load average is printed beside them.

Run from the repository root (about 2 minutes at the default 60 rounds):
    .venv/bin/python bench/auth.py [--rounds N]
"""

import argparse
import base64
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import urllib3

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "deploy" / "local"), str(REPO / "platform")]

from localservices import PostgresServer, free_port  # noqa: E402

CODES = ["I21.4", "J45.909", "E11.9", "K64.9", "M54.5"]
USERNAME = "bench-editor"
WORKERS = 2
WARM_UP = 5  # rounds, untimed: every worker has imported, connected and cached
# Production settings redirect plain HTTP: the requests come "through a TLS proxy".
HEADERS = {"X-Forwarded-Proto": "https"}
STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[bench {time.monotonic() - STARTED:5.0f} s] {message}", file=sys.stderr, flush=True)


def configure_django(database_url: str, elasticsearch_url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="codeledger.settings",
        DATABASE_URL=database_url,
        ELASTICSEARCH_URL=elasticsearch_url,
        EVENTS_CATCH_UP_AFTER_COMMIT="false",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(45),
        EVENT_SEAL_KEYS=f"bench:{secrets.token_urlsafe(32)}",
        ALLOWED_HOSTS="localhost,127.0.0.1",
        THROTTLE_ANON="1000000/min",
        THROTTLE_USER="1000000/min",
        THROTTLE_API_KEY="1000000/min",
        LOG_LEVEL="WARNING",
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def load_codes() -> None:
    from codesets.actions import code_register
    from events.projections import catch_up

    for code in CODES:
        content = {
            "official_descriptor": f"Official descriptor of {code}",
            "common_description": f"Plain words about {code}",
            "notes": {"excludes1": [f"Excluded from {code}"]},
            "lay_terms": [f"lay term of {code}"],
            "billable": True,
        }
        code_register(system="icd10cm", code=code, content=content, source="bench")
    for name in ("codes", "review", "codesets"):
        catch_up(name, force=True)


def credentials() -> dict[str, dict[str, str]]:
    """The headers of each kind, all for one editor."""
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from accounts.tokens import token_create

    password = secrets.token_urlsafe(16)
    user = User.objects.create_user(USERNAME, password=password)  # PBKDF2, as in production
    user.groups.add(Group.objects.get_or_create(name="editor")[0])
    browser = Client()
    browser.force_login(user)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    _, token = token_create(user=user, name="bench")
    basic = base64.b64encode(f"{USERNAME}:{password}".encode()).decode()
    return {
        "session": {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
        "token": {"Authorization": f"Bearer {token}"},
        "basic": {"Authorization": f"Basic {basic}"},
        "anonymous": {},
    }


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
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                if pool.request("GET", "/healthz", headers=HEADERS).status in (200, 503):
                    return
            except urllib3.exceptions.HTTPError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"gunicorn did not answer in 120 s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def measure(server: Server, kinds: dict[str, dict[str, str]], rounds: int) -> dict:
    pool = urllib3.HTTPConnectionPool("127.0.0.1", server.port, maxsize=1, retries=False)
    timings: dict[str, list[float]] = {kind: [] for kind in kinds}
    for number in range(WARM_UP + rounds):
        if number == WARM_UP:
            say(f"timing {rounds} rounds x {len(kinds)} kinds ...")
        code = CODES[number % len(CODES)]
        order = list(kinds)
        order = order[number % len(order) :] + order[: number % len(order)]  # who goes first
        for kind in order:
            began = time.perf_counter()
            response = pool.request(
                "GET", f"/api/v1/codes/icd10cm/{code}", headers={**HEADERS, **kinds[kind]}
            )
            elapsed = (time.perf_counter() - began) * 1000
            if response.status != 200:
                raise RuntimeError(f"{kind}: {response.status} {response.data[:300]!r}")
            if kind != "anonymous" and b"lay term of" not in response.data:
                raise RuntimeError(f"{kind} was answered as an anonymous caller")
            if number >= WARM_UP:
                timings[kind].append(elapsed)
    return timings


def report(timings: dict[str, list[float]], load: tuple[float, float]) -> None:
    def p(values, n):
        return statistics.quantiles(values, n=100, method="inclusive")[n - 1]

    session = timings["session"]
    print("\nOne authenticated API GET (/api/v1/codes/icd10cm/<code>) by kind of credential")
    print(f"load average (1 min) {load[0]:.1f} at the start, {load[1]:.1f} at the end\n")
    header = f"{'credential':<12}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}"
    print(header + f"{'p50 / session':>15}{'p95 / session':>15}")
    for kind, values in timings.items():
        print(
            f"{kind:<12}{len(values):>5}{p(values, 50):>9.1f}{p(values, 95):>9.1f}"
            f"{p(values, 50) / p(session, 50):>14.2f}x{p(values, 95) / p(session, 95):>14.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60, help="timed requests per kind")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="codeledger-bench-auth-"))
    base.chmod(0o755)  # PostgreSQL runs as its own user when we are root
    postgres = PostgresServer(base=base / "postgres")
    # Bound, never listening: the search projector is refused at once (it is not needed).
    unreachable = socket.socket()
    unreachable.bind(("127.0.0.1", 0))
    server = None
    try:
        postgres.start()
        configure_django(postgres.url, f"http://127.0.0.1:{unreachable.getsockname()[1]}")
        load_codes()
        kinds = credentials()
        from django.db import connections

        connections.close_all()
        server = Server(base / "gunicorn.log")
        server.start()
        started_load = os.getloadavg()[0]
        timings = measure(server, kinds, args.rounds)
        report(timings, (started_load, os.getloadavg()[0]))
    finally:
        if server:
            server.stop()
        postgres.stop()
        unreachable.close()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
