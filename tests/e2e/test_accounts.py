"""Accounts in Chromium: the e-mail fields look like the password fields, confirming takes one
click on the mailed link, the header shows the person's address and then the name they chose,
and the mail says the site's name."""

import re

from django.core import mail
from playwright.sync_api import expect

from .conftest import screenshot

PASSWORD = "quiet-Harbour-2026!"


def box(page, selector):
    return page.locator(selector).bounding_box()


def test_the_email_field_is_as_large_as_the_password_fields(browsers):
    page = browsers.page()
    page.goto("/accounts/signup/")
    email, password = box(page, 'input[name="email"]'), box(page, 'input[name="password1"]')
    assert (email["width"], email["height"]) == (password["width"], password["height"])
    assert email["width"] > 250  # not the browser's default 177 px field
    screenshot(page, "accounts-signup")

    page.goto("/accounts/password/reset/")
    reset = box(page, 'input[name="email"]')
    assert reset["height"] == password["height"] and reset["width"] > 250
    screenshot(page, "accounts-reset")


def test_a_reader_registers_confirms_in_one_click_and_chooses_a_name(browsers):
    page = browsers.page()
    page.goto("/accounts/signup/")
    page.locator('input[name="email"]').fill("dana@example.org")
    page.locator('input[name="password1"]').fill(PASSWORD)
    page.locator('input[name="password2"]').fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify")

    message = mail.outbox[-1]
    assert message.subject.startswith("[CodeLedger] ")
    assert message.body.startswith("Hello from CodeLedger!")
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    page.goto(link)
    account = page.locator(".account")
    expect(account).to_contain_text("dana@example.org")
    expect(account).to_contain_text("Sign out")
    expect(page.locator("#messages")).to_contain_text("Successfully signed in as dana@example.org.")

    account.get_by_role("link", name="dana@example.org").click()
    page.get_by_label("Your name").fill("Dana Reyes")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("You are now shown as Dana Reyes.")
    expect(account).to_contain_text("Dana Reyes")
    screenshot(page, "accounts-name")
