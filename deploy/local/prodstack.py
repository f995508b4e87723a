"""`make run-prod`: CodeLedger the way production runs it, on this machine, without Docker.

PostgreSQL, Redis and Elasticsearch (from localservices.py, persistent under .local/prod/),
migrations and collectstatic, then gunicorn (2 workers), a Celery worker and Celery beat, all
with DEBUG off. Settings come from `.local/prod/env`, generated on the first start (a new
SECRET_KEY, METRICS_TOKEN and database password; SECRET_KEY and METRICS_TOKEN from the
environment win when set). `stop` stops everything, web first, databases last.

Command line:
    python deploy/local/prodstack.py start [--base DIR] [--free-ports] [--no-data]
    python deploy/local/prodstack.py stop|status [--base DIR]
    python deploy/local/prodstack.py [--base DIR] manage COMMAND [ARGS...]  # with the stack's env

Each application process runs in its own process group (session), so `stop` can check that
not one of its children (gunicorn workers, Celery pool processes) is left behind.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from localservices import (
    LOCAL,
    REPO,
    ElasticsearchNode,
    PostgresServer,
    RedisServer,
    ServiceError,
    free_port,
    log,
    pid_alive,
    wait_for,
)

DEFAULT_BASE = LOCAL / "prod"
VENV_BIN = Path(sys.executable).parent
# Fixed ports for the default stack (its data persists, so its address should too); chosen
# away from the embedded run (8000, 9200) and a system PostgreSQL/Redis (5432, 6379).
DEFAULT_PORTS = {
    "PORT": 8001,
    "POSTGRES_PORT": 55439,
    "REDIS_PORT": 56379,
    "ELASTICSEARCH_PORT": 9201,
    "ELASTICSEARCH_TRANSPORT_PORT": 9301,
}
SECRET_NAMES = ("SECRET_KEY", "METRICS_TOKEN", "EVENT_SEAL_KEYS")
# Web first (no new requests), then what runs tasks, then the stores they use.
APP_PROCESSES = ("web", "beat", "worker")


def _new_seal_key() -> str:
    return f"{time.strftime('%Y%m%d')}:{secrets.token_urlsafe(32)}"


class Stack:
    def __init__(self, base: Path):
        self.base = base.resolve()
        self.env_file = self.base / "env"
        self.run_dir = self.base / "run"
        self.log_dir = self.base / "logs"
        self.metrics_dir = self.base / "metrics"

    # --- configuration -----------------------------------------------------------------

    def settings(self, *, free_ports: bool = False) -> dict[str, str]:
        """The env file's values (written on first use), secrets overridden by the environment."""
        if not self.env_file.exists():
            self._write_env_file(free_ports=free_ports)
        values = {}
        for line in self.env_file.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
        if "EVENT_SEAL_KEYS" not in values and not os.environ.get("EVENT_SEAL_KEYS"):
            # An env file written before the log was sealed: add a key (docs/audit.md, "Seals").
            with self.env_file.open("a") as env_file:
                env_file.write(f"EVENT_SEAL_KEYS={_new_seal_key()}\n")
            return self.settings()
        for name in SECRET_NAMES:
            if os.environ.get(name):
                values[name] = os.environ[name]
        return values

    def _write_env_file(self, *, free_ports: bool) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        ports = {k: (free_port() if free_ports else v) for k, v in DEFAULT_PORTS.items()}
        secret_key = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50)
        metrics_token = os.environ.get("METRICS_TOKEN") or secrets.token_urlsafe(32)
        password = secrets.token_hex(16)
        web = ports["PORT"]
        lines = [
            "# CodeLedger production-like run (make run-prod). Generated once; edit and restart.",
            "# Keep this file private: it holds the secrets of this installation.",
            *(f"{k}={v}" for k, v in ports.items()),
            "DEBUG=false",
            f"SECRET_KEY={secret_key}",
            f"METRICS_TOKEN={metrics_token}",
            "# Seals the event log; keep it outside the database and its backups (docs/audit.md).",
            f"EVENT_SEAL_KEYS={os.environ.get('EVENT_SEAL_KEYS') or _new_seal_key()}",
            "ALLOWED_HOSTS=localhost,127.0.0.1",
            f"CSRF_TRUSTED_ORIGINS=http://localhost:{web},http://127.0.0.1:{web}",
            "# Where links in mails point.",
            f"SITE_URL=http://localhost:{web}",
            "# Plain HTTP on this machine; behind a TLS proxy set this to true.",
            "SECURE_SSL_REDIRECT=false",
            f"DATABASE_URL=postgres://codeledger:{password}@127.0.0.1:{ports['POSTGRES_PORT']}"
            "/codeledger",
            f"CELERY_BROKER_URL=redis://127.0.0.1:{ports['REDIS_PORT']}/0",
            f"CACHE_URL=redis://127.0.0.1:{ports['REDIS_PORT']}/1",
            f"ELASTICSEARCH_URL=http://127.0.0.1:{ports['ELASTICSEARCH_PORT']}",
            f"STATIC_ROOT={self.base / 'static'}",
            f"PROMETHEUS_MULTIPROC_DIR={self.metrics_dir}",
            "LOG_FORMAT=json",
            "WEB_CONCURRENCY=2",
            "CELERY_CONCURRENCY=2",
        ]
        self.env_file.write_text("\n".join(lines) + "\n")
        self.env_file.chmod(0o600)
        log(f"wrote {self.env_file} (new secrets; ports {', '.join(map(str, ports.values()))})")

    def process_env(self, values: dict[str, str]) -> dict[str, str]:
        # The application reads its settings from the environment (12-factor).
        env = {
            k: v
            for k, v in os.environ.items()
            if k in ("PATH", "HOME", "LANG", "TZ", "USER") or k.startswith("DJANGO_SUPERUSER_")
        }
        env.update(values)
        env["PYTHONPATH"] = str(REPO / "platform")
        env["DJANGO_SETTINGS_MODULE"] = "codeledger.settings"
        return env

    # --- services ------------------------------------------------------------------------

    def postgres(self, values) -> PostgresServer:
        return PostgresServer(
            base=self.base / "postgres", port=int(values["POSTGRES_PORT"]), durable=True
        )

    def redis(self, values) -> RedisServer:
        return RedisServer(
            base=self.base / "redis", port=int(values["REDIS_PORT"]), persistent=True
        )

    def elasticsearch(self, values) -> ElasticsearchNode:
        return ElasticsearchNode(
            base=self.base / "elasticsearch",
            port=int(values["ELASTICSEARCH_PORT"]),
            transport_port=int(values["ELASTICSEARCH_TRANSPORT_PORT"]),
            retry_on_busy_port=False,
        )

    def _ensure_database(self, values) -> None:
        """The application's role and database (the server's superuser is `postgres`)."""
        import environ
        import psycopg
        from psycopg import sql

        config = environ.Env.db_url_config(values["DATABASE_URL"])
        user, password, name = config["USER"], config["PASSWORD"], config["NAME"]
        admin = f"postgresql://postgres@127.0.0.1:{values['POSTGRES_PORT']}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [user]).fetchone():
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                        sql.Identifier(user), sql.Literal(password)
                    )
                )
                log(f"created the PostgreSQL role {user!r}")
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(name), sql.Identifier(user)
                    )
                )
                log(f"created the database {name!r}")

    # --- application processes -----------------------------------------------------------

    def commands(self, values) -> dict[str, list[str]]:
        return {
            "web": [
                str(VENV_BIN / "gunicorn"),
                "-c",
                str(REPO / "deploy" / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{values['PORT']}",
                "--workers",
                values.get("WEB_CONCURRENCY", "2"),
            ],
            "worker": [
                str(VENV_BIN / "celery"),
                "-A",
                "codeledger",
                "worker",
                "--concurrency",
                values.get("CELERY_CONCURRENCY", "2"),
                "--loglevel",
                "INFO",
                "--hostname",
                f"worker@{self.base.name}",
            ],
            "beat": [
                str(VENV_BIN / "celery"),
                "-A",
                "codeledger",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.run_dir / "celerybeat-schedule"),
            ],
        }

    def pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def running_pid(self, name: str) -> int | None:
        path = self.pid_file(name)
        if path.exists():
            text = path.read_text().strip()
            if text.isdigit() and group_members(int(text)):
                return int(text)
        return None

    def spawn(self, name: str, command: list[str], env: dict[str, str]) -> int:
        if pid := self.running_pid(name):
            log(f"{name} already running (pid {pid})")
            return pid
        with open(self.log_dir / f"{name}.log", "ab") as out:
            process = subprocess.Popen(
                command,
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() can find every child
            )
        self.pid_file(name).write_text(str(process.pid))
        log(f"started {name} (pid {process.pid}, log {self.log_dir / f'{name}.log'})")
        return process.pid

    def manage(self, env, *args: str) -> None:
        subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", *args], cwd=REPO, env=env, check=True
        )

    def healthy(self, values) -> bool:
        try:
            url = f"http://127.0.0.1:{values['PORT']}/healthz"
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    # --- start / stop ----------------------------------------------------------------------

    def start(self, *, free_ports: bool = False, load_data: bool = True) -> dict[str, str]:
        values = self.settings(free_ports=free_ports)
        env = self.process_env(values)
        for folder in (self.run_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True)
        # Elasticsearch boots in ~20 s: let it, while PostgreSQL starts and is migrated.
        es_errors: list[Exception] = []
        es_thread = threading.Thread(
            target=_collect_errors(self.elasticsearch(values).start, es_errors), daemon=True
        )
        es_thread.start()
        postgres, redis = self.postgres(values), self.redis(values)
        if not postgres.running():
            postgres.start()
        if not redis.running_pid():
            redis.start()
        self._ensure_database(values)
        self.manage(env, "migrate", "--noinput")
        self.manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        es_thread.join()
        if es_errors:
            raise es_errors[0]
        if not any(self.running_pid(name) for name in APP_PROCESSES):
            # Metrics files of processes from an earlier run would be added to this run's.
            shutil.rmtree(self.metrics_dir, ignore_errors=True)
        self.metrics_dir.mkdir(parents=True, exist_ok=True)
        for name, command in self.commands(values).items():
            self.spawn(name, command, env)
        wait_for(
            lambda: self.healthy(values),
            timeout=90,
            what="CodeLedger (/healthz)",
            log_file=self.log_dir / "web.log",
        )
        if load_data:
            # First start: ICD-10-CM (about 4 minutes; the worker indexes it as it lands), its
            # index, the curated lay terms and the glossary. Later starts change nothing. No demo
            # logins in production mode: `prodstack.py manage createsuperuser` makes the first.
            self.manage(env, "codes_import", "icd10cm-2026", "--if-empty")
            self.manage(env, "index_import", "--if-empty")
            self.manage(env, "lay_terms_import")
            self.manage(env, "glossary_import")
        log(
            f"CodeLedger (production settings) at http://localhost:{values['PORT']}/ "
            f"- worker and beat running; logs in {self.log_dir}; `make stop` stops it all. "
            "First login: .venv/bin/python deploy/local/prodstack.py manage createsuperuser"
        )
        return values

    def stop(self) -> None:
        if not self.env_file.exists():
            return
        values = self.settings()
        for name in APP_PROCESSES:
            pid = self.running_pid(name)
            if pid:
                # TERM: gunicorn finishes its requests, Celery its running tasks (warm shutdown).
                stop_group(pid, timeout=60)
                log(f"{name} stopped")
            self.pid_file(name).unlink(missing_ok=True)
        self.elasticsearch(values).stop()
        self.redis(values).stop()
        postgres = self.postgres(values)
        if postgres.running():
            postgres.stop()
            log("PostgreSQL stopped")

    def status(self) -> dict[str, bool]:
        if not self.env_file.exists():
            return {}
        values = self.settings()
        report = {name: self.running_pid(name) is not None for name in APP_PROCESSES}
        report["elasticsearch"] = self.elasticsearch(values).running_pid() is not None
        report["redis"] = self.redis(values).running_pid() is not None
        report["postgres"] = self.postgres(values).running()
        report["healthy"] = self.healthy(values)
        return report


def _collect_errors(function, errors: list):
    def run():
        try:
            function()
        except Exception as error:  # reported by the thread that joins
            errors.append(error)

    return run


def group_members(pgid: int) -> list[int]:
    """Live processes (not zombies) of the process group `pgid`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # after the command name: state, ppid, pgrp
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def stop_group(pgid: int, *, timeout: float) -> None:
    """TERM the group's leader (it stops its children), or the whole group when the leader is
    gone; wait for every member to end; KILL what is left."""
    if pid_alive(pgid):
        os.kill(pgid, signal.SIGTERM)
    else:
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if left := group_members(pgid):
        log(f"process group {pgid} did not stop within {timeout:.0f} s: killing {left}")
        os.killpg(pgid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "status", "manage"])
    parser.add_argument("--base", type=Path, default=DEFAULT_BASE, help="state folder")
    parser.add_argument(
        "--free-ports", action="store_true", help="a new env file picks free ports (tests)"
    )
    parser.add_argument(
        "--no-data", action="store_true", help="skip the code import and the demo users"
    )
    # `manage` passes everything it does not know to manage.py; the others take nothing more.
    args, command = parser.parse_known_args()
    if command and args.action != "manage":
        parser.error(f"unrecognized arguments: {' '.join(command)}")
    stack = Stack(args.base)
    try:
        if args.action == "start":
            stack.start(free_ports=args.free_ports, load_data=not args.no_data)
        elif args.action == "stop":
            stack.stop()
        elif args.action == "manage":
            if not stack.env_file.exists():
                raise ServiceError(f"no stack at {stack.base}: start it first")
            stack.manage(stack.process_env(stack.settings()), *command)
        else:
            report = stack.status()
            for name, up in report.items():
                print(f"{name:14} {'up' if up else 'down'}")
            return 0 if report and all(report.values()) else 1
    except (ServiceError, subprocess.CalledProcessError) as error:
        log(f"error: {error}")
        if args.action == "start":
            log(f"what did start keeps running: `prodstack.py stop --base {args.base}` stops it")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
