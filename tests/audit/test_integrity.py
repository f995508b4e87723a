"""Integrity for auditors: verification runs (API and page), exact positions, digests."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from audit import integrity
from audit.models import VerificationRun
from events.models import Event
from events.store import NewEvent, append

pytestmark = pytest.mark.django_db

API = "/api/v1/audit/integrity"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def log_of_twelve(db):
    for n in range(12):
        append(f"ledger:{n % 4}", [NewEvent(type="test.Counted", data={"n": n})])
    return list(Event.objects.order_by("position").values_list("position", flat=True))


def tamper(sql, params=()):
    """Rewrite the log as someone with database access could (the triggers lifted)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('codeledger.allow_event_rewrite', 'on', true)")
        cursor.execute(sql, params)


def verify(client, **body):
    response = client.post(f"{API}/verifications", body, format="json")
    assert response.status_code == 202, response.content
    # The embedded default runs it in a thread of this process (no broker in these tests).
    assert integrity.wait_for(response.json()["id"], timeout=60)
    run = client.get(response["Location"]).json()
    assert run["finished"], run
    return run


@pytest.mark.django_db(transaction=True)  # the verification task runs after commit
def test_an_intact_log_verifies_and_its_digest_is_downloadable(as_user, log_of_twelve):
    auditor = as_user("audrey")
    assert auditor.get(f"{API}/digest").status_code == 404  # nothing verified yet
    run = verify(auditor)
    head = Event.objects.order_by("-position").first()
    assert (run["status"], run["checked"], run["percent"]) == ("ok", 12, 100)
    assert (run["head_position"], run["head_hash"]) == (head.position, head.hash)
    assert run["requested_by"] == "audrey"

    overview = auditor.get(API).json()
    assert overview["head"] == {"position": head.position, "hash": head.hash}
    assert overview["last_result"]["id"] == run["id"]

    download = auditor.get(f"{API}/digest")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    digest = json.loads(download.content)
    assert (digest["position"], digest["hash"]) == (head.position, head.hash)
    assert digest["taken_at"].endswith("Z")


@pytest.mark.django_db(transaction=True)  # the verification task runs after commit
def test_altered_content_is_named_at_its_position_on_the_api_and_the_page(
    as_user, client, people, log_of_twelve
):
    altered = log_of_twelve[6]
    tamper("UPDATE events_event SET data = '{\"n\": 600}' WHERE position = %s", [altered])
    run = verify(as_user("audrey"))
    assert (run["status"], run["problem_kind"], run["problem_position"]) == (
        "failed",
        "content_altered",
        altered,
    )
    assert run["checked"] == 6  # the six events before it are intact

    client.force_login(people["audrey"])
    page = client.get("/audit/integrity").content.decode()
    assert f"Not intact: content altered at position {altered}" in page


@pytest.mark.django_db(transaction=True)  # the verification task runs after commit
def test_a_missing_event_is_named_by_the_position_after_the_gap(as_user, log_of_twelve):
    tamper("DELETE FROM events_event WHERE position = %s", [log_of_twelve[3]])
    run = verify(as_user("root"))
    assert (run["problem_kind"], run["problem_position"]) == ("event_missing", log_of_twelve[4])


@pytest.mark.django_db(transaction=True)  # the verification task runs after commit
def test_a_saved_digest_proves_the_log_still_extends_it(as_user, log_of_twelve):
    auditor = as_user("audrey")
    verify(auditor)
    digest = json.loads(auditor.get(f"{API}/digest").content)
    append("ledger:9", [NewEvent(type="test.Counted", data={"n": 99})])
    later = verify(auditor, digest=digest)
    assert later["status"] == "ok" and later["digest_position"] == digest["position"]

    # A digest altered to match another log no longer carries this instance's MAC: refused.
    forged = {**digest, "hash": "ab" * 32}
    response = auditor.post(f"{API}/verifications", {"digest": forged}, format="json")
    assert response.status_code == 400
    assert "did not issue it" in response.json()["errors"]["digest"][0]
    # A digest saved before digests carried a MAC proves only what it names: not in this log.
    unsigned = {"position": digest["position"], "hash": "ab" * 32}
    refused = verify(auditor, digest=unsigned)
    assert (refused["status"], refused["problem_kind"]) == ("failed", "digest_mismatch")


def test_bad_digests_are_a_400_and_start_nothing(as_user, client, people, log_of_twelve):
    auditor = as_user("audrey")
    response = auditor.post(
        f"{API}/verifications", {"digest": {"position": 3, "hash": "xyz"}}, format="json"
    )
    assert response.status_code == 400 and "digest" in response.json()["errors"]
    client.force_login(people["audrey"])
    page = client.post("/audit/integrity/verify", {"digest": "not json"})
    assert page.status_code == 400 and "That digest cannot be read" in page.content.decode()
    assert VerificationRun.objects.count() == 0


def test_only_auditors_and_admins_start_a_verification(as_user, client, people, log_of_twelve):
    response = as_user("bob").post(f"{API}/verifications", {}, format="json")
    assert response.status_code == 403
    assert as_user("bob").get(API).status_code == 200  # reading is fine
    client.force_login(people["alice"])
    assert client.post("/audit/integrity/verify").status_code == 403
    assert "Verify the whole log" not in client.get("/audit/integrity").content.decode()
    assert VerificationRun.objects.count() == 0


def test_an_api_key_starting_a_verification_is_a_403_as_documented(log_of_twelve):
    _, key = APIKey.objects.create_key(name="consumer")
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    response = keyed.post(f"{API}/verifications", {}, format="json")
    assert response.status_code == 403, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert "read-only" in response.json()["detail"]
    assert VerificationRun.objects.count() == 0


@pytest.mark.slow  # a Django subprocess, whose broker refuses the task
@pytest.mark.django_db(transaction=True)  # the subprocess reads the committed log
def test_a_run_the_broker_does_not_take_ends_as_an_error_not_queued_forever(as_user, log_of_twelve):
    """With a broker that refuses the task, the run must not stay queued: every later request
    would be handed it as "already under way", and no verification could ever start again."""
    db = settings.DATABASES["default"]
    code = (
        "import django; django.setup()\n"
        "from audit.integrity import start\n"
        "run, created = start(requested_by='audrey')\n"
        "print(run.pk, run.status, created)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "platform"),
        "DJANGO_SETTINGS_MODULE": "codeledger.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",  # nobody there
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    run_id, status, created = done.stdout.split()
    assert (status, created) == ("error", "True")  # what the caller is shown
    run = VerificationRun.objects.get(pk=run_id)
    assert run.status == VerificationRun.ERROR and "could not be queued" in run.error
    auditor = as_user("audrey")
    again = auditor.post(f"{API}/verifications", {}, format="json")
    assert again.status_code == 202
    assert integrity.wait_for(again.json()["id"], timeout=60)
    assert auditor.get(again["Location"]).json()["status"] == "ok"  # a new run, and it ran
