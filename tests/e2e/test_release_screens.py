"""A reviewer works through a release change set in Chromium: per-item diffs, one item
approved, one rejected with a reason, the rest approved at once, all without a reload."""

import pytest
from playwright.sync_api import expect

from codes.models import CodeEntry
from codesets.importing import import_codes, propose_release
from codesets.models import ReleaseItem
from codesets.sources import SourceCode

from .conftest import screenshot
from .test_accessibility import check


def code(value, title):
    return SourceCode("icd10cm", value, {"official_descriptor": title, "billable": True})


BASELINE = [
    code("M35.04", "Sjogren syndrome with tubulo-interstitial nephropathy"),
    code("S30.1XXA", "Contusion of abdominal wall, initial encounter"),
]
NEXT = [
    code("E11.A", "Type 2 diabetes mellitus without complications in remission"),
    code("M35.04", "Sjögren syndrome with tubulo-interstitial nephropathy"),
]


@pytest.fixture
def release_id(transactional_db):
    """A slice of ICD-10-CM as the baseline, and a later release: one added, one revised, one
    retired code."""
    import_codes(lambda: iter(BASELINE), system="icd10cm", source="cm-old", release="FY2025")
    return propose_release(
        lambda: iter(NEXT),
        system="icd10cm",
        source="cm-new",
        release="FY2026",
        provides=("official_descriptor", "billable"),
    ).release_id


def test_a_reviewer_decides_a_release_item_by_item_then_all_at_once(browsers, release_id):
    bob = browsers.signed_in("bob")
    bob.get_by_role("link", name="Releases").click()
    screenshot(bob, "releases")
    bob.get_by_role("link", name="FY2026").click()
    expect(bob.locator("#release-counts")).to_contain_text("3 pending")
    revised = bob.locator("#item-M35-04")
    expect(revised.locator("del.diff")).to_have_text("Sjogren")
    expect(revised.locator("ins.diff")).to_have_text("Sjögren")
    expect(bob.locator("#item-S30-1XXA")).to_contain_text("retired")
    check(bob, "release")  # labels, landmarks, unique ids; and the screenshot
    phone = browsers.signed_in("carol", viewport={"width": 390, "height": 844})
    phone.goto(bob.url)
    check(phone, "release-phone")
    bob.evaluate("window.notReloaded = true")

    # One item approved: its row, the counts and the decision panel follow.
    bob.get_by_label("Select E11.A").check()
    bob.get_by_role("button", name="Approve selected").click()
    expect(bob.locator("#release-actions")).to_contain_text("Approved 1 item.")
    expect(bob.locator("#item-E11-A")).to_contain_text("Applied")
    expect(bob.get_by_label("Select E11.A")).to_have_count(0)
    expect(bob.locator("#count-pending")).to_have_text("2")
    expect(bob.get_by_role("button", name="Approve all 2 pending")).to_be_visible()

    # One rejected: first without a reason (the message by the field), then with one.
    bob.get_by_label("Select S30.1XXA").check()
    bob.get_by_role("button", name="Reject selected").click()
    expect(bob.locator("#items_reason_error")).to_contain_text("Give a reason for rejecting")
    assert ReleaseItem.objects.get(release_id=release_id, code="S30.1XXA").status == "pending"
    expect(bob.get_by_label("Select S30.1XXA")).to_be_checked()
    bob.get_by_label("Reason for rejecting").fill("Still reported this year.")
    bob.get_by_role("button", name="Reject selected").click()
    expect(bob.locator("#release-actions")).to_contain_text("Rejected 1 item.")
    expect(bob.locator("#item-S30-1XXA")).to_contain_text("Still reported this year.")
    expect(bob.locator("#count-rejected")).to_have_text("1")

    # The rest at once.
    bob.get_by_role("button", name="Approve all 1 pending").click()
    expect(bob.locator("#release-batch")).to_contain_text("Approved 1 item.")
    expect(bob.locator("#release-batch")).to_contain_text("Every item has been decided.")
    expect(bob.locator("#release-counts")).to_contain_text("Completed")
    expect(bob.locator("#item-M35-04")).to_contain_text("Applied")
    assert bob.evaluate("window.notReloaded") is True  # every decision in place
    screenshot(bob, "release-decided")

    assert CodeEntry.objects.get(code="M35.04").official_descriptor.startswith("Sjögren")
    assert CodeEntry.objects.get(code="E11.A").status == "active"
    assert CodeEntry.objects.get(code="S30.1XXA").status == "active"  # its retirement rejected
