"""The review conversation after a revision, the questions before a final decision, and the
proposal form's preview, in Chromium."""

import re

from playwright.sync_api import expect

from codeledger.domain import actor_for
from review.actions import change_request_request_changes, change_request_submit
from review.models import ChangeRequestEntry

from .conftest import screenshot

FIRST = "A heart attack in which the ECG shows no ST elevation."
SECOND = "A heart attack in which the ECG shows no ST elevation; troponin is raised."


def sent_back(people):
    """alice's proposal, which bob sent back asking for troponin."""
    request = change_request_submit(
        actor=actor_for(people["alice"]),
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"common_description": FIRST},
        rationale="Plainer words.",
    ).change_request
    change_request_request_changes(
        actor=actor_for(people["bob"]),
        change_id=request.change_id,
        expected_version=1,
        message="Mention troponin.",
    )
    return f"/requests/{request.change_id}"


def answer_dialogs(page, answers: list[bool]) -> list[str]:
    """Answer the page's confirm dialogs in turn (True: OK); returns the questions asked."""
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept() if answers[len(asked) - 1] else dialog.dismiss()

    page.on("dialog", answer)
    return asked


def test_after_a_revision_the_request_page_keeps_the_whole_conversation(
    browsers, nstemi, people, mailoutbox, settings, live_server
):
    settings.SITE_URL = live_server.url
    bob = browsers.signed_in("bob")  # before he has an address (no address check at sign-in)
    people["bob"].email = "bob@example.org"
    people["bob"].save()
    url = sent_back(people)
    alice = browsers.signed_in("alice")
    alice.goto(url)
    alice.get_by_role("link", name="Revise").click()
    alice.get_by_role("textbox", name="Common-language description").fill(SECOND)
    alice.get_by_label("Rationale").fill("Plainer words; troponin, as the 2023 ESC guideline.")
    alice.get_by_role("button", name="Send the revision for review").click()
    expect(alice.locator("#decision")).to_contain_text("revised after changes were requested")

    # bob is told by mail, and follows its link.
    revised = [mail for mail in mailoutbox if mail.subject.startswith("[CodeLedger] Revised")]
    assert [mail.to for mail in revised] == [["bob@example.org"]]
    link = re.search(r"The request: (\S+)", revised[0].body).group(1)
    assert link == live_server.url + url
    bob.goto(link)
    thread = bob.locator("#comments-list > li")
    expect(thread).to_have_count(3)
    expect(thread.nth(0)).to_contain_text("Revision 1: alice proposed this change")
    expect(thread.nth(0)).to_contain_text("Plainer words.")
    expect(thread.nth(1)).to_contain_text("bob asked for changes")
    expect(thread.nth(1)).to_contain_text("Mention troponin.")
    expect(thread.nth(2)).to_contain_text("Revision 2: alice revised the proposal")
    expect(thread.nth(2).locator(".revised-tag")).to_have_text(
        "Revised after changes were requested"
    )
    expect(thread.nth(2).locator("ins.diff")).to_have_text("; troponin is raised")
    screenshot(bob, "request-thread")

    # A comment joins the end of the thread, in place.
    bob.get_by_label("Add a comment").fill("Thanks, reading the guideline.")
    bob.get_by_role("button", name="Add comment").click()
    expect(thread).to_have_count(4)
    expect(thread.nth(3)).to_contain_text("bob commented")


def test_reject_and_withdraw_ask_first_and_no_writes_nothing(browsers, nstemi, people):
    request = change_request_submit(
        actor=actor_for(people["alice"]),
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"common_description": FIRST},
        rationale="Plainer words.",
    ).change_request
    url = f"/requests/{request.change_id}"
    bob = browsers.signed_in("bob")
    asked = answer_dialogs(bob, [False, True])
    bob.goto(url)
    bob.get_by_label("Reason for rejecting").fill("No source.")
    bob.get_by_role("button", name="Reject").click()  # "Cancel"
    expect(bob.locator("#decision")).to_contain_text("Waiting for review")
    assert ChangeRequestEntry.objects.get(change_id=request.change_id).status == "submitted"
    bob.get_by_role("button", name="Reject").click()  # "OK"
    expect(bob.locator("#decision")).to_contain_text("Rejected")
    expect(bob.locator("#comments-list > li").last).to_contain_text("bob rejected the change")
    assert asked == ["Reject this change to I21.4? A rejected request cannot be reopened."] * 2

    other = change_request_submit(
        actor=actor_for(people["alice"]),
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"short_descriptor": "NSTEMI"},
        rationale="Shorter.",
    ).change_request
    alice = browsers.signed_in("alice")
    asked = answer_dialogs(alice, [False, True])
    alice.goto(f"/requests/{other.change_id}")
    alice.get_by_role("button", name="Withdraw").click()
    expect(alice.get_by_role("button", name="Withdraw")).to_be_visible()
    assert ChangeRequestEntry.objects.get(change_id=other.change_id).status == "submitted"
    alice.get_by_role("button", name="Withdraw").click()
    expect(alice.locator("#decision")).to_contain_text("Withdrawn")
    expect(alice.locator("#messages")).to_contain_text("The request was withdrawn.")
    assert asked[0] == "Withdraw your proposal for I21.4? A withdrawn request cannot be reopened."


def test_a_rejection_without_a_reason_is_told_at_once_and_the_buttons_stay_in_line(
    browsers, nstemi, people
):
    request = change_request_submit(
        actor=actor_for(people["alice"]),
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"short_descriptor": "NSTEMI"},
        rationale="Shorter.",
    ).change_request
    bob = browsers.signed_in("bob")
    asked = answer_dialogs(bob, [])
    bob.goto(f"/requests/{request.change_id}")
    bob.get_by_role("button", name="Reject").click()
    expect(bob.locator("#reject_reason_error")).to_contain_text("Give a reason")
    assert asked == []  # nothing would be decided: nothing to ask
    tops = [
        bob.get_by_role("button", name=name).bounding_box()["y"]
        for name in ("Approve", "Request changes", "Reject")
    ]
    assert len(set(tops)) == 1, tops
    screenshot(bob, "request-validation-aligned")


def test_the_preview_stays_in_view_beside_the_field_being_edited(browsers, nstemi):
    for width, name in ((1280, "propose-preview"), (375, "propose-preview-phone")):
        alice = browsers.signed_in("alice", viewport={"width": width, "height": 800})
        alice.goto("/codes/icd10cm/I21.4/propose")
        field = alice.get_by_role("textbox", name="General notes")  # the last field, far down
        field.fill("Seen on the ward.")
        expect(alice.locator("#preview")).to_contain_text("Seen on the ward.")
        # Boxes are relative to the viewport: both on screen at once, the preview not
        # covering the field.
        field_box = field.bounding_box()
        preview = alice.locator(".proposal-preview").bounding_box()
        assert 0 <= preview["y"] <= 800 - 40, (width, preview)
        assert 0 <= field_box["y"] <= 800 - field_box["height"], (width, field_box)
        overlap = min(field_box["y"] + field_box["height"], preview["y"] + preview["height"]) - max(
            field_box["y"], preview["y"]
        )
        beside = field_box["x"] + field_box["width"] <= preview["x"]
        assert beside or overlap <= 0, (width, field_box, preview)
        screenshot(alice, name)
