"""The meter as a new reader meets it, in Chromium: one free code page as a guest, the register
panel on the second, registration verified through the mailed link, five more codes, the
seventh gated, re-reading free; two fresh browsers on one address each get their free view; a
reviewer never gated."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from codesets.actions import code_register
from events.testing import catch_up_each

from .conftest import screenshot

CODES = ["A00.0", "A00.1", "A01.0", "A01.1", "A02.0", "A02.1", "A03.0", "A03.1"]
GATED = "Register to view content"


@pytest.fixture
def reading_codes(transactional_db):
    for code in CODES:
        code_register(
            system="icd10cm",
            code=code,
            content={
                "official_descriptor": f"Official descriptor of {code}",
                "common_description": f"Plain words about {code}",
                "notes": {"excludes1": [f"Excluded from {code}"]},
                "chapter": "Certain infectious and parasitic diseases (A00-B99)",
                "billable": True,
            },
            source="test",
        )
    catch_up_each("codes", "review", "codesets")
    return CODES


def open_code(page, code):
    response = page.goto(f"/codes/icd10cm/{code}")
    assert response.status == 200  # gated or not, the page answers
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Official descriptor of {code}")
    return page


def expect_full(page, code):
    expect(page.get_by_text(f"Plain words about {code}")).to_be_visible()
    expect(page.get_by_text(f"Excluded from {code}")).to_be_visible()
    # (CasePilot's panel asks guests to register whatever the meter says: not the meter's.)
    expect(page.locator("main section:not(.casepilot)").get_by_text(GATED)).to_have_count(0)


def expect_gated(page, code, text=GATED):
    expect(page.get_by_text(f"Plain words about {code}")).to_have_count(0)
    expect(page.get_by_text(f"Excluded from {code}")).to_have_count(0)
    expect(page.get_by_text(text).first).to_be_visible()


def test_guest_registers_verifies_and_reads_five_more(browsers, reading_codes):
    page = browsers.page()
    open_code(page, "A00.0")
    expect_full(page, "A00.0")
    expect(page.locator("#meter")).to_contain_text(
        "This is your free view. Register a free account to get 5 more views."
    )
    screenshot(page, "meter-guest")

    open_code(page, "A00.1")
    expect_gated(page, "A00.1")
    expect(page.locator("#meter")).to_contain_text(
        re.compile(r"You have used your free view this month, it renews on \d{1,2} \w+ \d{4}\.")
    )
    screenshot(page, "meter-gated")

    # Register from the meter's link; it comes back to this code.
    page.locator("#meter").get_by_role("link", name="Register a free account").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/\?next=/codes/icd10cm/A00\.1$"))
    page.locator('input[name="email"]').fill("new.reader@example.org")
    page.locator('input[name="password1"]').fill("quiet-Harbour-2026!")
    page.locator('input[name="password2"]').fill("quiet-Harbour-2026!")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify")

    # The mailed link (Django's outbox: the live server runs in this process).
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)  # opening the link confirms: no second click
    expect(page.locator(".account")).to_contain_text("new.reader@example.org")
    expect(page.locator(".account")).to_contain_text("Sign out")
    # Confirming comes back to the code the reader was reading when they registered.
    expect(page).to_have_url(re.compile(r"/codes/icd10cm/A00\.1$"))

    for left, code in enumerate(CODES[1:6], start=1):
        open_code(page, code)
        expect_full(page, code)
        expect(page.locator("#meter")).to_contain_text(
            f"{5 - left} code page view{'' if 5 - left == 1 else 's'} remaining."
        )

    open_code(page, "A03.0")  # the 7th distinct code
    expect_gated(page, "A03.0", "Content limit reached")
    expect(page.locator("#meter")).to_contain_text("0 code page views remaining.")
    screenshot(page, "meter-limit")

    for code in ("A00.0", "A00.1", "A02.1"):  # re-reading is free
        open_code(page, code)
        expect_full(page, code)


def test_two_fresh_browsers_on_one_address_each_get_their_free_view(browsers, reading_codes):
    """The live server sees every context at 127.0.0.1: an office behind one address."""
    first = browsers.page()
    open_code(first, "A00.0")
    expect_full(first, "A00.0")
    open_code(first, "A00.1")
    expect_gated(first, "A00.1")

    colleague = browsers.page()  # a new context: no cookie, the same address
    open_code(colleague, "A01.0")
    expect_full(colleague, "A01.0")
    expect(colleague.locator("#meter")).to_contain_text("This is your free view.")
    screenshot(colleague, "meter-shared-address")
    open_code(colleague, "A01.1")
    expect_gated(colleague, "A01.1")


def test_a_reviewer_is_never_gated(browsers, reading_codes):
    page = browsers.signed_in("bob")
    for code in CODES:
        open_code(page, code)
        expect_full(page, code)
        expect(page.locator("#meter")).to_have_count(0)
