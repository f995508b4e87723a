"""The embedded default (no broker) verifies the log in a thread: the auditor's request answers
at once, the run reports the same progress the production worker writes, then its result.

The chain walk is replaced by one that waits for the test at each step (threading events, not
sleeps), so "answers at once" is shown by the request returning while the walk is held.
"""

import threading

import pytest

from audit import integrity, tasks
from audit.models import VerificationRun
from events.integrity import Verification
from events.models import Event
from events.store import NewEvent, append
from tests.embedded import run_django

API = "/api/v1/audit/integrity"
pytestmark = pytest.mark.django_db(transaction=True)  # the thread starts after the commit


class HeldWalk:
    """A chain walk that reports one batch of progress, then waits to be let through."""

    def __init__(self):
        self.started, self.reported, self.release = (threading.Event() for _ in range(3))

    def __call__(self, *, digest=None, progress=None):
        self.started.set()
        assert self.release.wait(30), "the test never let the walk go on"
        progress(tasks.PROGRESS_EVERY)
        self.reported.set()
        assert self.release.wait(30)
        head = Event.objects.order_by("-position").first()
        return Verification(tasks.PROGRESS_EVERY, head.position, head.hash)


@pytest.fixture
def held(monkeypatch):
    walk = HeldWalk()
    monkeypatch.setattr(tasks, "verify_chain", walk)
    yield walk
    walk.release.set()  # never leave a thread waiting


@pytest.fixture
def log_of_three(db):
    for n in range(3):
        append(f"ledger:{n}", [NewEvent(type="test.Counted", data={"n": n})])


def test_the_request_answers_at_once_and_progress_advances_to_done(as_user, held, log_of_three):
    auditor = as_user("audrey")
    response = auditor.post(f"{API}/verifications", {}, format="json")
    assert response.status_code == 202
    run_id = response.json()["id"]
    assert held.started.wait(10)  # the walk runs, and the auditor already has the answer
    assert response.json()["finished"] is False

    running = auditor.get(response["Location"]).json()
    assert (running["status"], running["checked"], running["total"]) == ("running", 0, 3)

    held.release.set()
    assert held.reported.wait(10)
    held.release.clear()
    assert auditor.get(response["Location"]).json()["checked"] == tasks.PROGRESS_EVERY

    held.release.set()
    assert integrity.wait_for(run_id, timeout=30)
    done = auditor.get(response["Location"]).json()
    assert (done["status"], done["finished"]) == ("ok", True)


def test_the_page_redirects_at_once_and_shows_the_run_under_way(client, people, held, log_of_three):
    client.force_login(people["audrey"])
    response = client.post("/audit/integrity/verify")
    assert (response.status_code, response["Location"]) == (302, "/audit/integrity")
    assert held.started.wait(10)
    page = client.get("/audit/integrity").content.decode()
    assert "Verifying… 0 of 3 events checked." in page
    assert 'hx-trigger="every 1s"' in page  # the page polls while it runs
    held.release.set()
    assert integrity.wait_for(VerificationRun.objects.get().pk, timeout=30)
    assert "<strong>Intact.</strong>" in client.get("/audit/integrity").content.decode()


def test_asking_again_while_it_runs_returns_the_run_under_way(as_user, held, log_of_three):
    auditor = as_user("audrey")
    first = auditor.post(f"{API}/verifications", {}, format="json").json()
    assert held.started.wait(10)
    again = auditor.post(f"{API}/verifications", {}, format="json").json()
    assert again["id"] == first["id"]
    held.release.set()
    assert integrity.wait_for(first["id"], timeout=30)
    assert VerificationRun.objects.count() == 1


def test_a_run_left_by_a_stopped_server_ends_as_interrupted_and_a_new_one_starts(
    as_user, log_of_three
):
    # Running, but no thread of this process runs it: the server that did has stopped.
    orphan = VerificationRun.objects.create(requested_by="audrey", status=VerificationRun.RUNNING)
    response = as_user("audrey").post(f"{API}/verifications", {}, format="json")
    assert response.json()["id"] != str(orphan.pk)
    assert integrity.wait_for(response.json()["id"], timeout=30)
    orphan.refresh_from_db()
    assert orphan.status == VerificationRun.ERROR
    assert orphan.error == (
        "it was interrupted (the server stopped while it ran); start a new verification"
    )
    assert VerificationRun.objects.get(pk=response.json()["id"]).status == VerificationRun.OK


@pytest.mark.slow  # a Django subprocess on an SQLite file
def test_the_embedded_sqlite_default_verifies_in_a_thread(tmp_path):
    """What `make run` does: SQLite in WAL mode, the walk in a thread with its own connection
    while the request's thread carries on."""
    database = tmp_path / "embedded.sqlite3"
    run_django(database, "migrate", "--noinput")
    done = run_django(
        database,
        code=(
            "import django; django.setup()\n"
            "from audit import integrity\n"
            "from audit.models import VerificationRun\n"
            "from events.store import NewEvent, append\n"
            "for n in range(20): append(f'ledger:{n}', [NewEvent(type='test.Counted', data={})])\n"
            "run, created = integrity.start(requested_by='audrey')\n"
            "print(created, run.status)\n"
            "assert integrity.wait_for(run.pk, timeout=60)\n"
            "run.refresh_from_db()\n"
            "print(run.status, run.checked, run.total)\n"
        ),
    )
    assert done.stdout.split() == ["True", "queued", "ok", "20", "20"]
