"""Throwaway and local PostgreSQL, Redis and Elasticsearch without Docker.

Used three ways: by `make run` (a persistent Elasticsearch node under .local/), by the test
fixtures (throwaway instances on free ports, removed afterwards) and by `make run-prod`
(deploy/local/prodstack.py: all three, persistent under .local/prod/).

PostgreSQL and Elasticsearch refuse to run as root. When this runs as root (CI does), both are
started as the unprivileged user SERVICE_USER, created on first use, who is given the folders it
needs. Redis does not care and runs as whoever starts it.

Command line:
    python deploy/local/localservices.py elasticsearch provision|start|stop|status
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LOCAL = REPO / ".local"
SERVICE_USER = "codeledger"

ES_VERSION = "9.5.0"
ES_ARTIFACT = f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{ES_VERSION}:zip"
ES_HOME = LOCAL / f"elasticsearch-{ES_VERSION}"
ES_MIN_JAVA = 21
HUNSPELL_DIR = Path("/usr/share/hunspell")


class ServiceError(RuntimeError):
    """A local service could not be provisioned or started; the message says what to do."""


def log(message: str) -> None:
    print(f"[localservices] {message}", file=sys.stderr, flush=True)


# --- users and ports ---------------------------------------------------------------------


def is_root() -> bool:
    return os.geteuid() == 0


def service_user() -> str | None:
    """The user that PostgreSQL and Elasticsearch run as: None (ourselves) unless we are root."""
    if not is_root():
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
        )
        log(f"created the unprivileged user {SERVICE_USER!r} to run PostgreSQL and Elasticsearch")
    return SERVICE_USER


def give_to_service_user(*paths: Path) -> None:
    """Hand folders (recursively) to the service user, so a service run as it can write there."""
    user = service_user()
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for path in paths:
        subprocess.run(["chown", "-R", f"{entry.pw_uid}:{entry.pw_gid}", str(path)], check=True)


def make_reachable(path: Path) -> None:
    """Let the service user traverse every folder above `path` (adds only the x bit for others).

    A clone under a private home folder (700) would otherwise hide .local/ from that user.
    """
    if service_user() is None:
        return
    for folder in reversed(path.resolve().parents):
        mode = folder.stat().st_mode
        if not mode & 0o001:
            folder.chmod(mode | 0o001)
            log(f"allowed others to traverse {folder} so {SERVICE_USER} can reach {path}")


def as_service_user(command: list[str]) -> list[str]:
    user = service_user()
    return command if user is None else ["runuser", "-u", user, "--", *command]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, *, timeout: float, what: str, log_file: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    tail = ""
    if log_file and log_file.exists():
        tail = "\n" + "\n".join(log_file.read_text(errors="replace").splitlines()[-20:])
    raise ServiceError(f"{what} did not become ready within {timeout:.0f} s{tail}")


def pid_alive(pid: int) -> bool:
    """True while the process runs (a zombie, dead but not yet reaped, does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def stop_pid(pid: int, *, timeout: float = 30) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    except PermissionError:
        raise ServiceError(f"process {pid} belongs to another user: stop it as that user") from None
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# --- Elasticsearch -----------------------------------------------------------------------


def find_java_home() -> Path:
    """ES_JAVA_HOME if set, else the newest JDK >= 21 under /usr/lib/jvm."""
    if os.environ.get("ES_JAVA_HOME"):
        return Path(os.environ["ES_JAVA_HOME"])
    candidates = []
    for release in glob.glob("/usr/lib/jvm/*/release"):
        text = Path(release).read_text(errors="replace")
        match = re.search(r'^JAVA_VERSION="(\d+)', text, re.MULTILINE)
        if match and int(match.group(1)) >= ES_MIN_JAVA:
            candidates.append((int(match.group(1)), Path(release).parent))
    if not candidates:
        raise ServiceError(
            f"Elasticsearch {ES_VERSION} needs Java {ES_MIN_JAVA} or newer and none was found "
            "under /usr/lib/jvm. Install a JDK >= 21 there or set ES_JAVA_HOME."
        )
    return max(candidates)[1]


def provision_elasticsearch() -> Path:
    """Fetch the minimal Elasticsearch zip from Maven Central (once) and unpack it under .local/."""
    if (ES_HOME / "bin" / "elasticsearch").exists():
        return ES_HOME
    LOCAL.mkdir(exist_ok=True)
    downloads = LOCAL / "downloads"
    zip_path = downloads / f"elasticsearch-{ES_VERSION}.zip"
    if not zip_path.exists():
        log(f"fetching {ES_ARTIFACT} with Maven (about 130 MB, once)")
        downloads.mkdir(exist_ok=True)
        result = subprocess.run(
            [
                "mvn",
                "-B",
                "-q",
                "dependency:copy",
                f"-Dartifact={ES_ARTIFACT}",
                f"-DoutputDirectory={downloads}",
            ],
            check=False,
        )
        if result.returncode != 0 or not zip_path.exists():
            raise ServiceError(f"could not fetch {ES_ARTIFACT} with mvn (is Maven installed?)")
    log(f"unpacking {zip_path.name}")
    staging = Path(tempfile.mkdtemp(dir=LOCAL))
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(staging)
    unpacked = staging / f"elasticsearch-{ES_VERSION}"
    for script in (unpacked / "bin").iterdir():
        script.chmod(0o755)
    for tool in glob.glob(
        str(unpacked / "modules" / "**" / "platform" / "**" / "bin" / "*"), recursive=True
    ):
        os.chmod(tool, 0o755)
    # Stemming uses the core hunspell filter with Debian's en_US dictionary (docs/elasticsearch.md).
    dictionary = unpacked / "config" / "hunspell" / "en_US"
    dictionary.mkdir(parents=True)
    for name in ("en_US.aff", "en_US.dic"):
        source = HUNSPELL_DIR / name
        if not source.exists():
            raise ServiceError(f"{source} is missing: install Debian's hunspell-en-us package")
        shutil.copy(source, dictionary / name)
    unpacked.rename(ES_HOME)
    staging.rmdir()
    give_to_service_user(ES_HOME)
    return ES_HOME


@dataclass
class ElasticsearchNode:
    """One single-node Elasticsearch cluster with its own data and logs folders."""

    base: Path
    port: int = field(default_factory=free_port)
    transport_port: int = field(default_factory=free_port)
    heap: str = "512m"
    retry_on_busy_port: bool = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.base / "es.pid"

    @property
    def log_file(self) -> Path:
        return self.base / "logs" / "codeledger.log"

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/_cluster/health", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def running_pid(self) -> int | None:
        """The node's pid, if its pid file names a live Elasticsearch (not a reused pid)."""
        if self.pid_file.exists():
            text = self.pid_file.read_text().strip()
            if text.isdigit() and pid_alive(int(text)):
                try:
                    cmdline = Path(f"/proc/{text}/cmdline").read_bytes()
                except OSError:
                    return None
                if b"org.elasticsearch" in cmdline:
                    return int(text)
        return None

    def start(self, *, timeout: float = 120) -> None:
        home = provision_elasticsearch()
        if self.running_pid() and self.healthy():
            log(f"Elasticsearch already running at {self.url}")
            return
        java_home = find_java_home()
        for folder in (self.base, self.base / "data", self.base / "logs"):
            folder.mkdir(parents=True, exist_ok=True)
        give_to_service_user(self.base)
        make_reachable(home)
        make_reachable(self.base)
        command = as_service_user(
            [
                "env",
                f"ES_JAVA_HOME={java_home}",
                f"ES_JAVA_OPTS=-Xms{self.heap} -Xmx{self.heap}",
                str(home / "bin" / "elasticsearch"),
                "-d",
                "-p",
                str(self.pid_file),
                "-E",
                "discovery.type=single-node",
                "-E",
                "xpack.security.enabled=false",
                "-E",
                "network.host=127.0.0.1",
                "-E",
                f"http.port={self.port}",
                "-E",
                f"transport.port={self.transport_port}",
                "-E",
                f"path.data={self.base / 'data'}",
                "-E",
                f"path.logs={self.base / 'logs'}",
                "-E",
                "cluster.name=codeledger",
                "-E",
                "cluster.routing.allocation.disk.threshold_enabled=false",
            ]
        )
        log(f"starting Elasticsearch {ES_VERSION} on {self.url} (Java from {java_home})")
        with open(self.base / "start.log", "wb") as out:
            result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
        if result.returncode != 0:
            tail = (self.base / "start.log").read_text(errors="replace")[-3000:]
            if self.retry_on_busy_port and "Address already in use" in tail:
                # A free port found earlier can be taken by the time the node binds: new ports.
                log("a port was taken meanwhile; retrying on other ports")
                self.port, self.transport_port = free_port(), free_port()
                self.retry_on_busy_port = False
                return self.start(timeout=timeout)
            raise ServiceError(f"Elasticsearch failed to start:\n{tail}")
        wait_for(self.healthy, timeout=timeout, what="Elasticsearch", log_file=self.log_file)
        log(f"Elasticsearch is up at {self.url}")

    def stop(self) -> None:
        pid = self.running_pid()
        if pid:
            stop_pid(pid)
            log("Elasticsearch stopped")


# --- PostgreSQL --------------------------------------------------------------------------


def postgres_bin(name: str) -> str:
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
    for folder in reversed(versions):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    found = shutil.which(name)
    if not found:
        raise ServiceError(f"{name} not found: install Debian's postgresql package")
    return found


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in its own folder, trust auth on 127.0.0.1, superuser `postgres`."""

    base: Path
    port: int = field(default_factory=free_port)
    durable: bool = False

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        data = self.base / "data"
        self.base.mkdir(parents=True, exist_ok=True)
        give_to_service_user(self.base)
        make_reachable(self.base)
        if not (data / "PG_VERSION").exists():
            subprocess.run(
                as_service_user(
                    [
                        postgres_bin("initdb"),
                        "-D",
                        str(data),
                        "-U",
                        "postgres",
                        "--auth=trust",
                        "-E",
                        "UTF8",
                        "--no-sync",
                    ]
                ),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        options = [
            f"-p {self.port}",
            f"-k {self.base}",
            "-c listen_addresses=127.0.0.1",
            "-c max_connections=200",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        subprocess.run(
            as_service_user(
                [
                    postgres_bin("pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(self.base / "postgres.log"),
                    "-o",
                    " ".join(options),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        log(f"PostgreSQL is up on 127.0.0.1:{self.port}")

    def running(self) -> bool:
        if not (self.base / "data" / "PG_VERSION").exists():
            return False
        status = subprocess.run(
            as_service_user([postgres_bin("pg_ctl"), "-D", str(self.base / "data"), "status"]),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return status.returncode == 0

    def stop(self) -> None:
        subprocess.run(
            as_service_user(
                [postgres_bin("pg_ctl"), "-D", str(self.base / "data"), "-m", "fast", "-w", "stop"]
            ),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


# --- Redis -------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """A Redis server on a free port: throwaway (a child process, no persistence) by default;
    `persistent` runs it as a daemon with an append-only file, stopped through its pid file."""

    base: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    persistent: bool = False

    @property
    def pid_file(self) -> Path:
        return self.base / "redis.pid"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.path.exists(binary):
            raise ServiceError("redis-server not found: install Debian's redis-server package")
        self.base.mkdir(parents=True, exist_ok=True)
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.base)]
        if self.persistent:
            command += ["--save", "", "--appendonly", "yes", "--daemonize", "yes"]
            command += ["--pidfile", str(self.pid_file), "--logfile", str(self.base / "redis.log")]
            subprocess.run(command, check=True)
        else:
            with open(self.base / "redis.log", "wb") as log_file:
                self.process = subprocess.Popen(
                    [*command, "--save", "", "--appendonly", "no"],
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_for(answers, timeout=20, what="Redis", log_file=self.base / "redis.log")
        log(f"Redis is up on 127.0.0.1:{self.port}")

    def running_pid(self) -> int | None:
        if self.pid_file.exists():
            text = self.pid_file.read_text().strip()
            if text.isdigit() and pid_alive(int(text)):
                return int(text)
        return None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        if self.persistent and (pid := self.running_pid()):
            stop_pid(pid)
            log("Redis stopped")


# --- command line ------------------------------------------------------------------------

# `make run`'s node: port 9200 unless ELASTICSEARCH_PORT names another (a second clone's
# `make run` beside the first); its transport port is 100 above.
_LOCAL_ES_PORT = int(os.environ.get("ELASTICSEARCH_PORT") or 9200)
LOCAL_ES = ElasticsearchNode(
    base=LOCAL / "elasticsearch",
    port=_LOCAL_ES_PORT,
    transport_port=_LOCAL_ES_PORT + 100,
    retry_on_busy_port=False,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("service", choices=["elasticsearch"])
    parser.add_argument("action", choices=["provision", "start", "stop", "status"])
    args = parser.parse_args()
    try:
        if args.action == "provision":
            print(provision_elasticsearch())
        elif args.action == "start":
            LOCAL_ES.start()
        elif args.action == "stop":
            LOCAL_ES.stop()
        else:
            up = LOCAL_ES.healthy()
            print(f"Elasticsearch at {LOCAL_ES.url}: {'up' if up else 'down'}")
            return 0 if up else 1
    except ServiceError as error:
        log(f"error: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
