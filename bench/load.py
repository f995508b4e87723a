"""Load on a running CodeLedger: how fast an approved change becomes searchable (issue #26).

N clients (threads of this process, each a signed-in person with its own HTTP session) send
requests back to back for D seconds against a running product (`make run`, `make run-prod`, a
deployment). Each client picks its next request at random with these weights (MIX), those of a
coding reference that people mostly read and a few editors keep up to date:

    search      45  GET /api/v1/codes/search?q=<a common term>
    lookup_api  15  GET /api/v1/codes/icd10cm/<code>
    code_page   20  GET /codes/icd10cm/<code>
    propose     10  GET the code's current version (counted as a lookup_api), then
                    POST /api/v1/change-requests: a new common-language description holding a
                    word made for this proposal alone (e.g. "zqa1b2c3d0042"), on a code no
                    other proposal of this run touches
    approve     10  POST /api/v1/change-requests/<id>/approve on a proposal another client
                    made (four eyes); with none waiting, the client searches instead

Every client is an editor and a reviewer, signed in through the sign-in form like a person
(CSRF token, session cookie), so throttles count per person and code pages are not metered.
`--auth basic` sends HTTP Basic on every request instead (what an integration without a token
does; each request then hashes the password on the server). `--auth token` sends each API
request with a personal access token of the client's person (`Authorization: Bearer ...`,
platform/accounts/tokens.py; made by --manage, named "bench/load.py", the previous run's
revoked) and no cookie; its code pages still go through its signed-in session. The observers
always use sessions.

Approval to searchable. For each approval, two observers (threads with sessions of their own,
whose requests are not counted as load) poll until the approved text is visible:
  (a) search: /api/v1/codes/search?q=<the unique word> until a hit is that code;
  (b) page:   /codes/icd10cm/<code> until the page holds the unique word.
The time reported runs from just before the approve request is sent until the end of the first
poll response that shows the text, so it includes the approve request itself, the projection
after the commit (in the request, a thread or a Celery worker, as the server does it), the index
refresh and the observer's poll interval (POLL, default 40 ms: the figure is late by up to one
interval plus one poll). "after answer" is the same, from the approve response's end: the part
of the wait a user who got the answer then sees. An approval not visible within 30 s counts as
"not found".

The observers' figures hold the observing request itself: under load a poll takes as long as
any request, so "the poll that saw it took" is printed beside them. The server's own side,
from the approval's commit to the index refreshed with it, is in the server's log: each time
its search projector catches up with new events it logs "search caught up: N ms from the
commit of its oldest new event to searchable" (events.tasks). `--server-log FILE` (make run's
output, or run-prod's .local/prod/logs/worker.log) reads the lines the log gained during the
run and prints their p50/p95.

Users: `--manage "COMMAND"` runs COMMAND shell -c ... (COMMAND being how manage.py runs for that
server, e.g. ".venv/bin/python manage.py" in a `make run` clone, or
".venv/bin/python deploy/local/prodstack.py manage" for `make run-prod`) to create or reset the
bench's people (load-client-N, load-observer-N: editor and reviewer, verified e-mail) with a new
random password for this run. Without --manage they must exist with LOAD_PASSWORD.

    .venv/bin/python bench/load.py http://127.0.0.1:8000 --manage ".venv/bin/python manage.py"
    .venv/bin/python bench/load.py URL --clients 8 --duration 60 --json out.json

Run it from a clone's root (the manage command runs there). The machine is shared: compare
figures only within one run of this script per configuration, taken back to back, and read the
load average printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shlex
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import requests

SYSTEM = "icd10cm"
MIX = {"search": 45, "lookup_api": 15, "code_page": 20, "propose": 10, "approve": 10}
# Everyday query words: the searches of the load, and where the pool of codes to edit comes from.
TERMS = [
    "diabetes",
    "asthma",
    "fracture",
    "pneumonia",
    "hypertension",
    "migraine",
    "infection",
    "sprain",
    "anemia",
    "depression",
    "heart failure",
    "kidney disease",
    "burn",
    "pregnancy",
    "obesity",
    "dermatitis",
    "otitis",
    "bronchitis",
    "arthritis",
    "neoplasm",
]
FOUND_WITHIN = 30.0  # seconds an observer polls before it counts an approval as not found
OBSERVERS = 4  # observer people: each observation uses the next, spreading per-person throttles

MAKE_USERS = """
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group, User
groups = [Group.objects.get_or_create(name=n)[0] for n in ("editor", "reviewer")]
for name in {names!r}:
    user, _ = User.objects.get_or_create(username=name, defaults={{"email": name + "@example.org"}})
    user.email = name + "@example.org"
    user.set_password({password!r})
    user.save()
    user.groups.set(groups)
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={{"verified": True, "primary": True}}
    )
"""
MAKE_TOKENS = """
import json
from accounts.tokens import live_tokens, token_create, token_revoke
from django.contrib.auth.models import User
made = {{}}
for name in {names!r}:
    user = User.objects.get(username=name)
    for old in live_tokens(user).filter(name="bench/load.py"):
        token_revoke(actor=user, token=old)
    made[name] = token_create(user=user, name="bench/load.py", expires_in_days=1)[1]
print("LOAD_TOKENS " + json.dumps(made))
"""


@dataclass
class Sample:
    kind: str
    seconds: float
    status: int  # 0: no answer (connection error, timeout)


@dataclass
class Proposal:
    change_id: str
    version: int
    code: str
    word: str
    proposer: str


@dataclass
class Observation:
    code: str
    word: str
    approve_start: float
    approve_end: float = 0.0
    found: dict[str, float] = field(default_factory=dict)  # "search"/"page" -> monotonic time
    # How long the poll that first showed it took: the observation's own share of the time.
    seen_poll: dict[str, float] = field(default_factory=dict)


class Person:
    """One signed-in HTTP session (or Basic credentials) against the server."""

    def __init__(self, base: str, username: str, password: str, auth: str, token: str = ""):
        self.base, self.username = base.rstrip("/"), username
        self.http = requests.Session()
        self.http.headers["Accept"] = "application/json"
        self.api = None  # with a token: the API's own session, without cookies
        if auth == "basic":
            self.http.auth = (username, password)
        else:
            self._sign_in(password)
        if auth == "token":
            self.api = requests.Session()
            self.api.headers.update(
                {"Accept": "application/json", "Authorization": f"Bearer {token}"}
            )

    def _sign_in(self, password: str) -> None:
        form = self.http.get(f"{self.base}/accounts/login/", headers={"Accept": "text/html"})
        self._send_secure_cookies_over_http()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        answer = self.http.post(
            f"{self.base}/accounts/login/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "login": self.username,
                "password": password,
            },
            headers={"Accept": "text/html", "Referer": f"{self.base}/accounts/login/"},
        )
        self._send_secure_cookies_over_http()
        if "sessionid" not in self.http.cookies:
            raise SystemExit(f"{self.username} could not sign in ({answer.status_code})")
        # DRF's SessionAuthentication checks CSRF on writes: the header carries the cookie's token.
        self.http.headers["X-CSRFToken"] = self.http.cookies["csrftoken"]
        self.http.headers["Referer"] = f"{self.base}/"

    def _send_secure_cookies_over_http(self) -> None:
        """Production mode marks its cookies Secure (a TLS proxy is in front of it); the bench
        talks plain HTTP to the server behind that proxy, so it sends them back regardless."""
        for cookie in self.http.cookies:
            cookie.secure = False

    def call(self, method: str, path: str, **kwargs) -> tuple[requests.Response | None, float]:
        http = self.api if self.api is not None and path.startswith("/api/") else self.http
        started = time.monotonic()
        try:
            answer = http.request(method, self.base + path, timeout=60, **kwargs)
        except requests.RequestException:
            answer = None
        elapsed = time.monotonic() - started
        self._send_secure_cookies_over_http()  # a page may have set the CSRF cookie again
        return answer, elapsed


class Load:
    def __init__(self, args, password: str, tokens: dict[str, str]):
        self.args = args
        self.run_id = secrets.token_hex(3)
        self.samples: list[Sample] = []
        self.pending: list[Proposal] = []  # proposals waiting for a reviewer
        self.observations: list[Observation] = []
        self.first_errors: dict[tuple[str, int], str] = {}
        self.lock = threading.Lock()
        self.proposed = 0
        self.stop_at = 0.0
        self.clients = [
            Person(args.url, name, password, args.auth, tokens.get(name, ""))
            for name in (f"load-client-{n}" for n in range(args.clients))
        ]
        observing = "basic" if args.auth == "basic" else "session"
        self.observers = [
            Person(args.url, f"load-observer-{n}", password, observing) for n in range(OBSERVERS)
        ]
        self.codes = self._code_pool()
        self.observer_threads: list[threading.Thread] = []

    def _code_pool(self) -> list[str]:
        """Codes to read and edit: the hits of the everyday terms, shuffled. Each proposal of
        this run takes one not taken before, so no two proposals conflict."""
        codes: set[str] = set()
        for term in TERMS:
            answer, _ = self.observers[0].call(
                "GET", "/api/v1/codes/search", params={"q": term, "system": SYSTEM, "size": 100}
            )
            answer.raise_for_status()
            codes.update(hit["code"] for hit in answer.json()["hits"])
        pool = sorted(codes)
        random.shuffle(pool)
        return pool

    def record(self, kind: str, answer, seconds: float) -> None:
        status = answer.status_code if answer is not None else 0
        with self.lock:
            self.samples.append(Sample(kind, seconds, status))
            if not 200 <= status < 300 and (kind, status) not in self.first_errors:
                # What the first error of each kind and status said: reported with the counts.
                text = answer.text[:300] if answer is not None else "no answer"
                self.first_errors[(kind, status)] = text

    # --- what a client does ------------------------------------------------------------------

    def client(self, person: Person, rng: random.Random) -> None:
        kinds, weights = zip(*MIX.items(), strict=True)
        while time.monotonic() < self.stop_at:
            kind = rng.choices(kinds, weights)[0]
            if kind == "approve" and not self.approve(person):
                kind = "search"
            if kind == "search":
                params = {"q": rng.choice(TERMS), "system": SYSTEM}
                self.record(kind, *person.call("GET", "/api/v1/codes/search", params=params))
            elif kind == "lookup_api":
                code = rng.choice(self.codes)
                self.record(kind, *person.call("GET", f"/api/v1/codes/{SYSTEM}/{code}"))
            elif kind == "code_page":
                code = rng.choice(self.codes)
                headers = {"Accept": "text/html"}
                self.record(kind, *person.call("GET", f"/codes/{SYSTEM}/{code}", headers=headers))
            elif kind == "propose":
                self.propose(person)

    def propose(self, person: Person) -> None:
        with self.lock:
            if self.proposed >= len(self.codes):
                return
            code, number = self.codes[self.proposed], self.proposed
            self.proposed += 1
        current, seconds = person.call("GET", f"/api/v1/codes/{SYSTEM}/{code}")
        self.record("lookup_api", current, seconds)
        if current is None or current.status_code != 200:
            return
        word = f"zq{self.run_id}{number:05d}"
        body = {
            "system": SYSTEM,
            "code": code,
            "base_version": current.json()["version"],
            "changes": {"common_description": f"Load test description {word}."},
            "rationale": "bench/load.py: a change whose word is unique to it",
        }
        answer, seconds = person.call("POST", "/api/v1/change-requests", json=body)
        self.record("propose", answer, seconds)
        if answer is not None and answer.status_code == 201:
            made = answer.json()
            with self.lock:
                self.pending.append(
                    Proposal(made["change_id"], made["version"], code, word, person.username)
                )

    def approve(self, person: Person) -> bool:
        with self.lock:
            mine = [p for p in self.pending if p.proposer != person.username]
            if not mine:
                return False
            proposal = mine[0]
            self.pending.remove(proposal)
        observation = Observation(proposal.code, proposal.word, time.monotonic())
        answer, seconds = person.call(
            "POST",
            f"/api/v1/change-requests/{proposal.change_id}/approve",
            json={"expected_version": proposal.version},
        )
        observation.approve_end = observation.approve_start + seconds
        self.record("approve", answer, seconds)
        if answer is not None and answer.status_code == 200:
            with self.lock:
                self.observations.append(observation)
                observer = self.observers[len(self.observations) % OBSERVERS]
            for how in ("search", "page"):
                thread = threading.Thread(target=self.observe, args=(observer, observation, how))
                thread.start()
                self.observer_threads.append(thread)
        return True

    # --- what an observer does ------------------------------------------------------------

    def observe(self, observer: Person, observation: Observation, how: str) -> None:
        """Poll until the approved word is visible one way (`how`), or FOUND_WITHIN passes."""
        deadline = observation.approve_start + FOUND_WITHIN
        while time.monotonic() < deadline:
            if how == "search":
                answer, seconds = observer.call(
                    "GET",
                    "/api/v1/codes/search",
                    params={"q": observation.word, "system": SYSTEM},
                )
                seen = (
                    answer is not None
                    and answer.status_code == 200
                    and any(hit["code"] == observation.code for hit in answer.json()["hits"])
                )
            else:
                answer, seconds = observer.call(
                    "GET", f"/codes/{SYSTEM}/{observation.code}", headers={"Accept": "text/html"}
                )
                seen = answer is not None and observation.word in answer.text
            if seen:
                observation.found[how] = time.monotonic()
                observation.seen_poll[how] = seconds
                return
            time.sleep(self.args.poll)

    # --- the run --------------------------------------------------------------------------

    def run(self) -> dict:
        self.stop_at = time.monotonic() + self.args.duration
        threads = [
            threading.Thread(target=self.client, args=(person, random.Random(n)))
            for n, person in enumerate(self.clients)
        ]
        log_from = _size(self.args.server_log)
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        for thread in self.observer_threads:
            thread.join()
        result = self.report(elapsed)
        if self.args.server_log:
            result["server_delay"] = server_delays(self.args.server_log, log_from)
        return result

    def report(self, elapsed: float) -> dict:
        by_kind = defaultdict(list)
        for sample in self.samples:
            by_kind[sample.kind].append(sample)
        kinds = {}
        for kind in MIX:
            samples = by_kind.get(kind, [])
            seconds = [s.seconds for s in samples]
            kinds[kind] = {
                "count": len(samples),
                "p50_ms": _percentile(seconds, 50) * 1000,
                "p95_ms": _percentile(seconds, 95) * 1000,
                "5xx": sum(500 <= s.status < 600 for s in samples),
                "other_errors": sum(
                    not (200 <= s.status < 300) and not 500 <= s.status < 600 for s in samples
                ),
            }
        visible = {}
        for how in ("search", "page"):
            found = [o for o in self.observations if how in o.found]
            since_start = [o.found[how] - o.approve_start for o in found]
            since_answer = [o.found[how] - o.approve_end for o in found]
            polls = [o.seen_poll[how] for o in found]
            visible[how] = {
                "approvals": len(self.observations),
                "not_found": len(self.observations) - len(found),
                "p50_s": _percentile(since_start, 50),
                "p95_s": _percentile(since_start, 95),
                "max_s": max(since_start, default=float("nan")),
                "after_answer_p50_s": _percentile(since_answer, 50),
                "after_answer_p95_s": _percentile(since_answer, 95),
                "seen_poll_p50_s": _percentile(polls, 50),
                "seen_poll_p95_s": _percentile(polls, 95),
            }
        return {
            "url": self.args.url,
            "clients": self.args.clients,
            "duration_s": round(elapsed, 1),
            "auth": self.args.auth,
            "poll_s": self.args.poll,
            "load_average": os.getloadavg(),
            "requests": len(self.samples),
            "requests_per_s": len(self.samples) / elapsed,
            "5xx": sum(k["5xx"] for k in kinds.values()),
            "other_errors": sum(k["other_errors"] for k in kinds.values()),
            "kinds": kinds,
            "approval_to_visible": visible,
            "first_errors": [
                {"kind": kind, "status": status, "body": body}
                for (kind, status), body in sorted(self.first_errors.items())
            ],
        }


# What the server logs each time its search projector has caught up with new events
# (events.tasks.catch_up_projections, in make run's follower and in run-prod's Celery worker).
DELAY_LINE = re.compile(r"search caught up: (\d+) ms from the commit of its oldest new event")


def _size(path: str | None) -> int:
    return os.path.getsize(path) if path and os.path.exists(path) else 0


def server_delays(path: str, start: int) -> dict:
    """The server's side of approval to searchable, from the lines its log gained in the run:
    commit to searchable, p50/p95 over the search projector's runs that applied something."""
    with open(path, "rb") as log:
        log.seek(start if _size(path) >= start else 0)  # rotated or truncated meanwhile
        text = log.read().decode(errors="replace")
    delays = [int(ms) / 1000 for ms in DELAY_LINE.findall(text)]
    return {
        "runs": len(delays),
        "p50_s": _percentile(delays, 50),
        "p95_s": _percentile(delays, 95),
        "max_s": max(delays, default=float("nan")),
    }


def _percentile(values: list[float], percent: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def make_users(manage: str, names: list[str], token_names: list[str]) -> tuple[str, dict]:
    """The people's new password, and a new token for each of `token_names`."""
    password = secrets.token_urlsafe(12)
    code = MAKE_USERS.format(names=names, password=password)
    if token_names:
        code += MAKE_TOKENS.format(names=token_names)
    done = subprocess.run(
        [*shlex.split(manage), "shell", "-c", code], check=True, capture_output=True, text=True
    )
    tokens = {}
    for line in done.stdout.splitlines():
        if line.startswith("LOAD_TOKENS "):
            tokens = json.loads(line.removeprefix("LOAD_TOKENS "))
    return password, tokens


def print_report(result: dict) -> None:
    load = " ".join(f"{x:.2f}" for x in result["load_average"])
    print(
        f"\n{result['url']}  {result['clients']} clients, {result['duration_s']} s, "
        f"auth {result['auth']}, load average {load} (at the end)"
    )
    print(
        f"{result['requests']} requests, {result['requests_per_s']:.1f}/s; "
        f"5xx: {result['5xx']}; other errors: {result['other_errors']}"
    )
    print(f"{'kind':<11} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'5xx':>4} {'other':>6}")
    for kind, row in result["kinds"].items():
        print(
            f"{kind:<11} {row['count']:>6} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
            f"{row['5xx']:>4} {row['other_errors']:>6}"
        )
    for error in result["first_errors"]:
        print(f"  first {error['kind']} {error['status']}: {error['body'][:200]}")
    print("approval to visible (from the approve request's start; after its answer):")
    for how, row in result["approval_to_visible"].items():
        print(
            f"  {how:<7} n={row['approvals']:<4} p50 {row['p50_s']:.3f} s  "
            f"p95 {row['p95_s']:.3f} s  max {row['max_s']:.3f} s  "
            f"(after answer p50 {row['after_answer_p50_s']:.3f} s, "
            f"p95 {row['after_answer_p95_s']:.3f} s)  not found: {row['not_found']}"
        )
        print(
            f"          the poll that saw it took p50 {row['seen_poll_p50_s']:.3f} s, "
            f"p95 {row['seen_poll_p95_s']:.3f} s"
        )
    if delay := result.get("server_delay"):
        print(
            f"server: commit to searchable (search projector, {delay['runs']} runs) "
            f"p50 {delay['p50_s']:.3f} s  p95 {delay['p95_s']:.3f} s  max {delay['max_s']:.3f} s"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the running product, e.g. http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--auth", choices=["session", "basic", "token"], default="session")
    parser.add_argument("--poll", type=float, default=0.04, help="observer poll interval, s")
    parser.add_argument("--manage", help="how manage.py runs for this server (creates users)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--server-log",
        help="the server's log (make run's output, run-prod's worker.log): report the commit "
        "to searchable delays it logs during the run",
    )
    args = parser.parse_args()
    names = [f"load-client-{n}" for n in range(args.clients)]
    names += [f"load-observer-{n}" for n in range(OBSERVERS)]
    clients = names[: args.clients]
    if args.manage:
        password, tokens = make_users(args.manage, names, clients if args.auth == "token" else [])
    elif args.auth == "token":
        parser.error("--auth token needs --manage (it makes the tokens)")
    elif not (password := os.environ.get("LOAD_PASSWORD", "")):
        parser.error("--manage or LOAD_PASSWORD: the bench's people need a password")
    else:
        tokens = {}
    if args.server_log and not os.path.isfile(args.server_log):
        parser.error(f"--server-log {args.server_log}: no such file")
    result = Load(args, password, tokens).run()
    print_report(result)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)
    return 1 if result["5xx"] else 0


if __name__ == "__main__":
    sys.exit(main())
