"""`manage.py first_start`: what `make run` sets up before it serves, in one process.

The steps are the commands a person could run one by one (codes_import, index_import,
lay_terms_import, glossary_import, demo_users), called here so that Django starts once, and
with their projections deferred: each code is indexed once, with its index terms and lay
terms, instead of once per import that touches it. The search index is built in a second
process (events.projections.ProjectedApart) as soon as the codes and the Alphabetic Index are
in the log and their read models projected; the lay terms, the glossary and the logins are
imported, and the database read models projected, beside it. Everything is still written as
events first; the read models and the index are projected from the log, never shipped.

With --follower (`make run`, whose follower process projects beside the server: deploy/local/
follow.py), the projections no reader's page needs, the audit log and the stream summary, are
left to the follower: they are projected in the first half-minute the server answers, instead
of before it answers.

Each step prints a `[setup] phase=...` line as it begins and ends, and long steps a progress
line every few seconds, so a plain log shows what is happening, how far it is and how long is
left. A later start finds each step done with a query or two and projects nothing.

The steps are called by name (call_command): this module is in the project's kernel, which
imports no app (tests/test_architecture.py).
"""

import contextlib
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.backends.signals import connection_created

from events.progress import BarsAsLines, phase, progress_bar, projections_deferred
from events.projections import (
    ProjectedApart,
    catch_up,
    catch_up_shown,
    get_projector,
    pending_events,
    projector_names,
    status,
)

SOURCE = "icd10cm-2026"
DONE = {"caught_up", "more"}  # a projector's run went through
# The search documents carry each code's index terms from the alphabetic_index read model:
# that one is projected before the index is built beside the others.
SEARCH, SEARCH_READS = "search", ("alphabetic_index",)
# A bulk write to a busy node may take longer than a user's search is allowed to wait.
BULK_ELASTICSEARCH_TIMEOUT = 120.0
# For the bulk load only (this process's connections): a large page cache and temporary
# tables in memory. Durability stays as configured (WAL, synchronous=NORMAL).
SQLITE_BULK_PRAGMAS = ("PRAGMA cache_size = -262144", "PRAGMA temp_store = MEMORY")


def _bulk_pragmas(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for pragma in SQLITE_BULK_PRAGMAS:
                cursor.execute(pragma)


class Command(BaseCommand):
    help = (
        "Set up the embedded default on its first start: the ICD-10-CM code set, its "
        "Alphabetic Index, the curated lay terms and glossary, one demo login per role, and "
        "the read models and search index projected from them. Steps already done are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--only", help="only these code prefixes (codes_import --only)")
        parser.add_argument("--index-file", help="index_import --file (default: the vendored)")
        parser.add_argument("--lay-terms-file", help="lay_terms_import --file")
        parser.add_argument("--glossary-file", help="glossary_import --file")
        parser.add_argument(
            "--no-demo-users", action="store_true", help="leave out the demo logins"
        )
        parser.add_argument(
            "--search-wait",
            type=float,
            default=180.0,
            help="seconds to wait for Elasticsearch before projecting (it may still be booting)",
        )
        parser.add_argument(
            "--follower",
            action="store_true",
            help="a follower process projects beside the server (deploy/local/follow.py): "
            "leave it the projections for auditors (the audit log, the stream summary), which "
            "no reader's page needs",
        )

    def handle(self, *args, **options):
        connection_created.connect(_bulk_pragmas)
        if connection.connection is not None:  # already open: give it the pragmas too
            _bulk_pragmas(None, connection)
        self._apart = None
        try:
            with phase("first_start", self.stdout), contextlib.ExitStack() as search_phase:
                with phase("migrate", self.stdout):
                    # Here rather than a command of its own: one start of Django fewer.
                    call_command("migrate", "--noinput", verbosity=0)
                with projections_deferred():
                    self._content(options, search_phase)
                leave = _for_auditors() if options["follower"] else ()
                self._project(search_phase, options["search_wait"], leave=leave)
        except BaseException:
            if self._apart is not None:  # an import failed, or Ctrl-C, while the index builds
                self._apart.stop()
            raise
        finally:
            connection_created.disconnect(_bulk_pragmas)
            connection.close()  # the pragmas end with this connection

    def _content(self, options, search_phase) -> None:
        """The imports, and the search index started beside them once it can be (in a process
        of its own, `self._apart`, when it has something to project)."""
        out = self.stdout
        # Their tqdm bars show only on a terminal: in a plain log, as a line every few seconds.
        stderr = self.stderr._out
        if not stderr.isatty():
            stderr = BarsAsLines(stderr)
        streams = {"stdout": out._out, "stderr": stderr}
        with phase("codes", out):
            call_command(
                "codes_import", SOURCE, "--if-empty", *_flag("--only", options["only"]), **streams
            )
        with phase("index", out):
            # The index's codes are checked against the codes read model: project it first.
            self._catch_up("codes")
            call_command(
                "index_import",
                "--if-empty",
                *_flag("--file", options["index_file"]),
                **streams,
            )
        self._start_search(options["search_wait"], search_phase)
        with phase("lay_terms", out):
            call_command("lay_terms_import", *_flag("--file", options["lay_terms_file"]), **streams)
        with phase("glossary", out):
            call_command("glossary_import", *_flag("--file", options["glossary_file"]), **streams)
        if not options["no_demo_users"] and settings.DEBUG:
            with phase("demo_users", out):
                call_command("demo_users", **streams)

    def _catch_up(self, name):
        """Caught up with progress; unlike catch_up_shown, a failure stops the start."""
        if pending_events(name):
            with self._bars(name) as bar:
                catch_up(name, force=True, progress=bar.update)

    def _bars(self, name):
        return progress_bar(
            desc=f"projecting {name}",
            unit="event",
            total=pending_events(name),
            stream=self.stderr._out,
        )

    def _start_search(self, search_wait, search_phase) -> None:
        """The search index's projector in a process of its own (`self._apart`), its phase
        (`search_index`) open until `_project` joins it; the read models it reads projected
        first."""
        if not pending_events(SEARCH):
            return  # a later start: the index holds the log already
        with phase("search_ready", self.stdout):
            self._wait_for_search(search_wait)
        for name in SEARCH_READS:
            self._catch_up(name)
        search_phase.enter_context(phase("search_index", self.stdout))
        with _bulk_timeout():  # the child process keeps its copy of the settings
            self._apart = ProjectedApart(SEARCH, self._bars)

    def _project(self, search_phase, search_wait, *, leave=()):
        """Every projector but those in `leave` caught up: the database read models here,
        the search index's child joined, then topped up with what the imports wrote after it
        last read the log."""
        lags = {row.name: row.lag for row in status()}
        behind = [name for name in projector_names() if name not in leave and name != SEARCH]
        behind = [name for name in behind if lags.get(name)]
        apart = self._apart
        if apart is None and not behind and not lags.get(SEARCH):
            with phase("projections", self.stdout):
                pass  # a later start: everything is projected already
            return
        with phase("projections", self.stdout):
            # One behind with nothing of its types to apply only moves its checkpoint.
            results = [catch_up_shown(name, self._bars) for name in behind]
            if apart is not None:
                child = apart.join()
                self._apart = None
                search_phase.close()
                results.append(child)
            if any(row.lag for row in status() if row.name == SEARCH):
                if apart is None:  # a later start whose lay terms changed: the node may boot
                    self._wait_for_search(search_wait)
                with _bulk_timeout():
                    topped_up = catch_up_shown(SEARCH, self._bars)
                results.append(topped_up)
                if apart is not None and child.status == "failed" and topped_up.status in DONE:
                    # The catch-up did what the child's bulk load could not: say so, go on.
                    self.stderr.write(f"projector search: its bulk load failed ({child.error})")
                    results.remove(child)
        failed = [result for result in results if result.status not in DONE]
        for result in failed:
            self.stderr.write(f"projector {result.name}: {result.status} {result.error}")
        if failed:
            raise CommandError(
                "some projections did not catch up (`manage.py projections_status`; they are "
                "retried on the next change or by `manage.py projections_catch_up`)"
            )

    def _wait_for_search(self, seconds):
        """Elasticsearch boots beside the first steps (deploy/local/run.sh): wait for it. Asked
        as deploy/local/localservices.py asks (its health), without the client, whose node pool
        would log a warning for each refused try."""
        deadline = time.monotonic() + seconds
        url = f"{settings.ELASTICSEARCH_URL.rstrip('/')}/_cluster/health"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except urllib.error.HTTPError as error:
                if error.code in (401, 403):
                    return  # up, and secured: the client has the credentials
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise CommandError(
                    f"Elasticsearch did not answer at {settings.ELASTICSEARCH_URL} within "
                    f"{seconds:.0f} s"
                )
            time.sleep(0.5)


@contextlib.contextmanager
def _bulk_timeout():
    """A bulk write to a busy node may take longer than a user's search is allowed to wait."""
    timeout = settings.ELASTICSEARCH_TIMEOUT
    settings.ELASTICSEARCH_TIMEOUT = max(timeout, BULK_ELASTICSEARCH_TIMEOUT)
    try:
        yield
    finally:
        settings.ELASTICSEARCH_TIMEOUT = timeout


def _for_auditors() -> tuple[str, ...]:
    return tuple(name for name in projector_names() if get_projector(name).for_auditors)


def _flag(name, value):
    return [name, value] if value else []
