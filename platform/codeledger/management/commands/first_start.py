"""`manage.py first_start`: what `make run` sets up before it serves, in one process.

The steps are the commands a person could run one by one (codes_import, index_import,
lay_terms_import, glossary_import, demo_users), called here so that Django starts once, and
with their projections deferred to one pass at the end: each code is indexed once, with its
index terms and lay terms, instead of once per import that touches it. In that pass the search
index is built in a second process beside the database read models (events.projections.
catch_up_beside). Everything is still written as events first; the read models and the index
are projected from the log, never shipped.

Each step prints a `[setup] phase=...` line as it begins and ends, and long steps a progress
line every few seconds, so a plain log shows what is happening, how far it is and how long is
left. A later start finds each step done with a query or two and projects nothing.

The steps are called by name (call_command): this module is in the project's kernel, which
imports no app (tests/test_architecture.py).
"""

import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.backends.signals import connection_created

from events.progress import BarsAsLines, phase, progress_bar, projections_deferred
from events.projections import catch_up, catch_up_beside, pending_events, status

SOURCE = "icd10cm-2026"
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

    def handle(self, *args, **options):
        connection_created.connect(_bulk_pragmas)
        if connection.connection is not None:  # already open: give it the pragmas too
            _bulk_pragmas(None, connection)
        try:
            with phase("first_start", self.stdout):
                with phase("migrate", self.stdout):
                    # Here rather than a command of its own: one start of Django fewer.
                    call_command("migrate", "--noinput", verbosity=0)
                with projections_deferred():
                    self._content(options)
                self._project(options["search_wait"])
        finally:
            connection_created.disconnect(_bulk_pragmas)
            connection.close()  # the pragmas end with this connection

    def _content(self, options):
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
        with phase("lay_terms", out):
            call_command("lay_terms_import", *_flag("--file", options["lay_terms_file"]), **streams)
        with phase("glossary", out):
            call_command("glossary_import", *_flag("--file", options["glossary_file"]), **streams)
        if not options["no_demo_users"] and settings.DEBUG:
            with phase("demo_users", out):
                call_command("demo_users", **streams)

    def _catch_up(self, name):
        if pending := pending_events(name):
            with progress_bar(
                desc=f"projecting {name}", unit="event", total=pending, stream=self.stderr._out
            ) as bar:
                catch_up(name, force=True, progress=bar.update)

    def _project(self, search_wait):
        if not any(row.lag for row in status()):
            with phase("projections", self.stdout):
                pass  # a later start: everything is projected already
            return
        with phase("search_ready", self.stdout):
            self._wait_for_search(search_wait)
        with phase("projections", self.stdout):
            stream = self.stderr._out

            def bars(name):
                return progress_bar(
                    desc=f"projecting {name}",
                    unit="event",
                    total=pending_events(name),
                    stream=stream,
                )

            timeout = settings.ELASTICSEARCH_TIMEOUT
            settings.ELASTICSEARCH_TIMEOUT = max(timeout, BULK_ELASTICSEARCH_TIMEOUT)
            try:
                results = catch_up_beside(SEARCH, first=SEARCH_READS, bars=bars)
            finally:
                settings.ELASTICSEARCH_TIMEOUT = timeout
        failed = [result for result in results if result.status not in {"caught_up", "more"}]
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


def _flag(name, value):
    return [name, value] if value else []
