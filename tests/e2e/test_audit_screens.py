"""An auditor's screens in a real browser: the change log, a code's trail, the integrity page."""

import re
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone
from playwright.sync_api import expect

from audit import integrity, tasks
from audit.models import VerificationRun
from codeledger.domain import actor_for
from events.integrity import Verification
from events.models import Event
from review.actions import change_request_approve, change_request_submit

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def revised(people, nstemi):
    """Alice's shorter descriptor, approved by bob (I21.4 version 2)."""
    written = change_request_submit(
        actor=actor_for(people["alice"]),
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"short_descriptor": "NSTEMI"},
        rationale="CMS short form",
    )
    change_request_approve(
        actor=actor_for(people["bob"]),
        change_id=written.change_request.change_id,
        expected_version=1,
    )


def test_an_auditor_follows_a_change_from_the_log_to_the_code_trail(browsers, revised):
    page = browsers.signed_in("audrey")
    page.get_by_role("link", name="Change log").click()
    expect(page.get_by_role("heading", name="Change log")).to_be_visible()
    page.get_by_label("Actor").fill("bob")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.change-log tbody tr")
    expect(rows).to_have_count(2)  # bob's approval and the revision it made
    expect(rows.first).to_contain_text("proposed by alice, approved by bob")
    screenshot(page, "audit-log")

    rows.first.get_by_role("link", name="I21.4", exact=True).click()
    expect(page.get_by_role("heading", name="Audit trail of ICD-10-CM I21.4")).to_be_visible()
    blame = page.locator("table.blame")
    expect(blame.get_by_role("row", name=re.compile("^Short descriptor"))).to_contain_text("alice")
    page.get_by_label("From version").select_option("1")
    page.get_by_label("to version").select_option("2")
    page.get_by_role("button", name="Compare").click()
    comparison = page.locator("#comparison")
    expect(comparison).to_contain_text("Version 1 → version 2")
    expect(comparison.locator("del.diff")).to_contain_text([" myocardial infarction"])
    screenshot(page, "audit-code")


def test_tampering_shows_on_the_integrity_page_at_its_position(browsers, revised):
    page = browsers.signed_in("audrey")
    page.goto("/audit/integrity")
    page.get_by_role("button", name="Verify the whole log").click()
    expect(page.locator("#verification")).to_contain_text("Intact.")
    expect(page.get_by_role("link", name="Download its digest")).to_be_visible()

    altered = Event.objects.order_by("position")[1].position
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('codeledger.allow_event_rewrite', 'on', true)")
        cursor.execute(
            'UPDATE events_event SET meta = \'{"actor": "mallory"}\' WHERE position = %s',
            [altered],
        )
    page.get_by_role("button", name="Verify the whole log").click()
    problem = page.locator("#verification-problem")
    expect(problem).to_contain_text(f"Not intact: content altered at position {altered}.")
    screenshot(page, "audit-integrity-tampered")


def test_a_running_verification_updates_in_place(browsers, revised, people):
    run = VerificationRun.objects.create(
        requested_by="audrey", status=VerificationRun.RUNNING, total=10, checked=4
    )
    page = browsers.signed_in("audrey")
    page.goto("/audit/integrity")
    expect(page.locator("#verification")).to_contain_text("4 of 10 events checked")
    VerificationRun.objects.filter(pk=run.pk).update(
        status=VerificationRun.OK, checked=10, head_position=5, head_hash="a" * 64
    )
    # No reload: htmx polls the running verification until it finishes.
    expect(page.locator("#verification")).to_contain_text("Intact.", timeout=5000)
    assert page.url.endswith("/audit/integrity")


def test_a_verification_runs_in_the_background_while_the_auditor_watches(
    browsers, revised, monkeypatch
):
    """No broker (the embedded default): the click answers at once, the run goes on in a
    thread, and the page shows its progress, then its result. The walk is held at each step by
    the test (the live server runs in this process), so each state is seen for certain."""
    step = threading.Semaphore(0)

    def held_walk(*, digest=None, progress=None):
        for _ in range(2):
            assert step.acquire(timeout=30)
            progress(1)
        assert step.acquire(timeout=30)
        head = Event.objects.order_by("-position").first()
        return Verification(2, head.position, head.hash)

    monkeypatch.setattr(tasks, "verify_chain", held_walk)
    monkeypatch.setattr(tasks, "PROGRESS_EVERY", 1)
    total = Event.objects.count()
    page = browsers.signed_in("audrey")
    page.goto("/audit/integrity")
    page.get_by_role("button", name="Verify the whole log").click()
    verification = page.locator("#verification")
    expect(verification).to_contain_text(f"Verifying… 0 of {total} events checked.")
    assert page.url.endswith("/audit/integrity")  # the tab is back, the walk still held
    step.release()
    expect(verification).to_contain_text(f"Verifying… 1 of {total} events checked.")
    screenshot(page, "audit-integrity-running")
    step.release()
    expect(verification).to_contain_text(f"Verifying… 2 of {total} events checked.")
    step.release()
    expect(verification).to_contain_text("Intact.")
    assert integrity.wait_for(VerificationRun.objects.get().pk, timeout=30)


# Elements that reach past the right edge of the screen (the nearest ones to the cause first),
# leaving out those inside an element that scrolls sideways on its own (a .table-wrap).
OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .filter(e => !e.closest('.table-wrap') && !e.closest('table'))
  .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
       + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.mark.parametrize(
    "path",
    [
        "/audit/codes/icd10cm/I21.4",
        "/audit/codes/icd10cm/I21.4?from=1&to=2&as_of={today}",
        "/audit/",
        "/audit/integrity",
        "/requests/",  # the queue's table
        "/codes/icd10cm/I21.4",  # its History table
    ],
)
def test_an_auditor_on_a_phone_never_scrolls_the_page_sideways(browsers, revised, path):
    page = browsers.signed_in("audrey", viewport={"width": 375, "height": 800})
    page.goto(path.format(today=timezone.localdate().isoformat()))
    width = page.evaluate("document.documentElement.scrollWidth")
    overflowing = page.evaluate(OVERFLOWING)
    assert width == 375, overflowing
    assert overflowing == []
    # Wide tables scroll inside their own box instead.
    for table in page.locator("main table").all():
        assert table.evaluate(
            "t => [t, t.closest('.table-wrap')].some("
            "e => e && getComputedStyle(e).overflowX === 'auto')"
        )
    screenshot(page, "phone-" + re.sub(r"\W+", "-", path.replace("{today}", "")).strip("-"))


def test_an_editor_reads_the_log_but_cannot_start_a_verification(browsers, revised):
    page = browsers.signed_in("alice")
    page.goto("/audit/integrity")
    expect(page.get_by_role("heading", name="Integrity of the log")).to_be_visible()
    expect(page.get_by_role("button", name="Verify the whole log")).to_have_count(0)
