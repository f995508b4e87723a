"""The strict Content-Security-Policy holds on the screens people use, htmx included: Chromium
reports no violation (scripts and styles from this site only, no inline script, no eval)."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""

PAGES = ["/", "/search?q=heart", "/codes/icd10cm/I21.4", "/accounts/login/", "/api/docs/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", [*PAGES, "/admin/login/", "/requests/"])
def test_every_page_carries_the_policy_and_no_inline_script(path, people):
    client = Client()
    client.force_login(people["bob"])
    response = client.get(path, follow=True)
    directives = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode())
    assert inline == [], f"{path} has an inline script"


def test_the_screens_and_htmx_run_without_a_violation(browsers, nstemi):
    reviewer = browsers.signed_in("bob")
    reviewer.add_init_script(RECORD_VIOLATIONS)
    for path in PAGES:
        reviewer.goto(path)
        reviewer.wait_for_load_state("networkidle")
    # htmx at work: the proposal form's live preview swaps a fragment in.
    reviewer.goto("/codes/icd10cm/I21.4/propose")
    reviewer.get_by_label("Short descriptor").fill("NSTEMI, new wording")
    expect(reviewer.locator("#preview ins.diff").last).to_contain_text("wording")
    assert reviewer.evaluate("window.__violations") == []
