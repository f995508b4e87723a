"""What people do on the screens, in Chromium: propose, send back, revise, approve, read, find."""

import re

from playwright.sync_api import expect

from codeledger.domain import actor_for
from codeledger.elastic import elasticsearch_client
from codes.models import CodeEntry, CodeVersion
from review.actions import change_request_submit
from review.models import ChangeRequestEntry
from search.documents import alias

from .conftest import screenshot

NEW_TEXT = "A heart attack in which the ECG shows no ST elevation; troponin is raised."


def accept_confirmations(page) -> list[str]:
    """Say yes to every "cannot be undone" question the page asks; the questions, in order."""
    asked = []

    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return asked


def submitted_request(people, who="alice"):
    return change_request_submit(
        actor=actor_for(people[who]),
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"common_description": NEW_TEXT},
        rationale="Mention troponin, as the guideline does.",
    ).change_request


def test_propose_review_revise_approve_read_and_find(browsers, nstemi):
    # The editor proposes a change from the code page, watching the word diff while typing.
    alice = browsers.signed_in("alice")
    alice.goto("/codes/icd10cm/I21.4")
    screenshot(alice, "code-page")
    alice.get_by_role("link", name="Propose a change").click()
    expect(alice.get_by_label("Common-language description")).to_have_value(
        "A heart attack in which the ECG shows no ST-segment elevation."
    )
    alice.get_by_label("Common-language description").fill(NEW_TEXT)
    expect(alice.locator("#preview ins.diff").last).to_contain_text("troponin")
    expect(alice.locator("#preview del.diff").first).to_contain_text("-segment")
    alice.get_by_role("button", name="Send for review").click()
    expect(alice.locator("#id_rationale_error")).to_contain_text("rationale is required")
    assert ChangeRequestEntry.objects.count() == 0
    alice.get_by_label("Rationale").fill("Mention troponin, as the guideline does.")
    screenshot(alice, "propose")
    alice.get_by_role("button", name="Send for review").click()
    expect(alice.locator("#decision")).to_contain_text("Waiting for review")
    request_url = alice.url
    screenshot(alice, "request-proposer")

    # The reviewer finds it in the queue and sends it back; the count follows.
    bob = browsers.signed_in("bob")
    expect(bob.locator("#queue-count")).to_contain_text("1")
    bob.get_by_role("link", name=re.compile("Review queue")).click()
    expect(bob.locator("#queue-total")).to_contain_text("1 waiting for review")
    screenshot(bob, "queue")
    bob.get_by_role("link", name="I21.4").click()
    expect(bob.locator(".field-diff ins.diff").last).to_contain_text("troponin")
    screenshot(bob, "request-reviewer")
    bob.evaluate("window.notReloaded = true")
    bob.get_by_label("Add a comment").fill("Which guideline?")
    bob.get_by_role("button", name="Add comment").click()
    expect(bob.locator("#comments-list")).to_contain_text("Which guideline?")
    bob.get_by_label("What should change").fill("Name the guideline in the rationale.")
    bob.get_by_role("button", name="Request changes").click()
    expect(bob.locator("#decision")).to_contain_text("Changes requested")
    expect(bob.locator("#queue-count")).to_contain_text("0")
    assert bob.evaluate("window.notReloaded") is True  # comment and decision: no reload

    # The editor revises.
    alice.goto("/requests/mine")
    expect(alice.locator("main")).to_contain_text("Changes requested")
    screenshot(alice, "my-requests")
    alice.goto(request_url)
    expect(alice.locator("#comments-list")).to_contain_text("Which guideline?")
    alice.get_by_role("link", name="Revise").click()
    expect(alice.locator("main")).to_contain_text("Name the guideline in the rationale.")
    alice.get_by_label("Rationale").fill("Mention troponin, as the 2023 ESC guideline does.")
    screenshot(alice, "revise")
    alice.get_by_role("button", name="Send the revision for review").click()
    expect(alice.locator("#decision")).to_contain_text("Waiting for review")

    # The reviewer approves, in place, once they have said yes to the question.
    bob.goto(request_url)
    expect(bob.locator("main")).to_contain_text("2023 ESC guideline")
    asked = accept_confirmations(bob)
    bob.get_by_role("button", name="Approve").click()
    expect(bob.locator("#decision")).to_contain_text("Approved")
    expect(bob.locator("#decision")).to_contain_text("Decided by bob")
    assert asked == [
        "Approve this change to I21.4? It is applied to the code at once and cannot be undone "
        "(only reverted by a new request)."
    ]

    # The public page shows the new text, and search finds it.
    public = browsers.page()
    public.goto("/codes/icd10cm/I21.4")
    expect(public.locator("main")).to_contain_text("troponin is raised")
    # The history says why to editorial staff; readers get the version and date without it.
    bob.goto("/codes/icd10cm/I21.4")
    expect(bob.locator("main")).to_contain_text("2023 ESC guideline")
    elasticsearch_client().indices.refresh(index=alias())
    public.goto("/search")
    public.get_by_label("Code or words").press_sequentially("nstemi", delay=30)
    expect(public.locator("#suggestions")).to_contain_text("I21.4")
    public.get_by_label("Code or words").fill("troponin")
    public.get_by_label("Code or words").press("Enter")
    expect(public.locator("#results-list")).to_contain_text("I21.4")
    # The match is in the plain-language description, a metered field: a guest is shown the
    # code, not a fragment of that text (the reviewer, editorial staff, sees it highlighted).
    expect(public.locator("#results-list mark")).to_have_count(0)
    bob.goto("/search?q=troponin")
    expect(bob.locator("#results-list mark").first).to_have_text(re.compile("troponin", re.I))
    screenshot(public, "search")
    assert CodeEntry.objects.get(code="I21.4").content["common_description"] == NEW_TEXT


def test_a_second_reviewer_approving_after_the_decision_sees_a_conflict(browsers, nstemi, people):
    request = submitted_request(people)
    url = f"/requests/{request.change_id}"
    bob, carol = browsers.signed_in("bob"), browsers.signed_in("carol")
    accept_confirmations(bob)
    accept_confirmations(carol)
    bob.goto(url)
    carol.goto(url)  # carol has it open too
    bob.get_by_role("button", name="Approve").click()
    expect(bob.locator("#decision")).to_contain_text("Approved")
    carol.get_by_role("button", name="Approve").click()
    expect(carol.locator("#decision .error-box")).to_contain_text(
        "Someone acted on this request first: it is now approved by bob"
    )
    expect(carol.locator("#decision .error-box")).to_contain_text("not applied")
    screenshot(carol, "conflict")
    assert CodeVersion.objects.filter(system="icd10cm", code="I21.4").count() == 2
    assert CodeEntry.objects.get(code="I21.4").version == 2


def test_a_stale_base_approval_shows_the_current_values_and_who_changed_them(
    browsers, nstemi, people
):
    stale = submitted_request(people)
    other = change_request_submit(
        actor=actor_for(people["eve"]),
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"common_description": "Eve's wording of the heart attack."},
        rationale="Shorter.",
    ).change_request
    carol = browsers.signed_in("carol")
    accept_confirmations(carol)
    carol.goto(f"/requests/{other.change_id}")
    carol.get_by_role("button", name="Approve").click()
    expect(carol.locator("#decision")).to_contain_text("Approved")
    carol.goto(f"/requests/{stale.change_id}")
    expect(carol.locator("#decision")).to_contain_text("conflicted")
    carol.get_by_role("button", name="Approve").click()
    panel = carol.locator("#decision")
    expect(panel.locator(".error-box")).to_contain_text("nothing was applied")
    expect(panel).to_contain_text("Eve's wording of the heart attack.")
    expect(panel).to_contain_text("proposed by eve, approved by carol")
    assert CodeEntry.objects.get(code="I21.4").version == 2


def test_keyboard_only_approval(browsers, nstemi, people):
    request = submitted_request(people)
    carol = browsers.signed_in("carol")
    asked = accept_confirmations(carol)
    carol.goto(f"/requests/{request.change_id}")
    carol.keyboard.press("Tab")
    assert carol.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    for _ in range(80):
        carol.keyboard.press("Tab")
        focused = carol.evaluate(
            "[document.activeElement.tagName, document.activeElement.textContent.trim()]"
        )
        if focused == ["BUTTON", "Approve"]:
            break
    else:
        raise AssertionError("the Approve button cannot be reached with the Tab key")
    carol.keyboard.press("Enter")
    expect(carol.locator("#decision")).to_contain_text("Approved")
    assert len(asked) == 1
    assert ChangeRequestEntry.objects.get(change_id=request.change_id).reviewer == "carol"


def test_own_request_explains_the_four_eyes_rule(browsers, nstemi, people):
    request = submitted_request(people, "bob")
    bob = browsers.signed_in("bob")
    bob.goto(f"/requests/{request.change_id}")
    expect(bob.locator("#decision")).to_contain_text("another reviewer must decide it")
    expect(bob.get_by_role("button", name="Approve")).to_have_count(0)
