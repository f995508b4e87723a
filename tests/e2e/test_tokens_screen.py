"""Personal access tokens in Chromium: an editor makes a token on their account page, copies the
secret shown once, a script calls the API with it, and revoking it (after a confirmation) stops
the script."""

import json
import urllib.error
import urllib.request

from playwright.sync_api import expect

from .conftest import screenshot


def api_get(base_url: str, path: str, token: str) -> tuple[int, dict]:
    """A script's call: no browser, no cookie, only the token."""
    request = urllib.request.Request(base_url + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_an_editor_makes_a_token_a_script_uses_it_and_revoking_stops_it(browsers, live_server):
    page = browsers.signed_in("alice")
    page.goto("/accounts/name/")
    page.get_by_role("link", name="Personal access tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Personal access tokens")
    expect(page.get_by_role("table")).to_contain_text("You have no tokens.")

    # Bad input: a message, and no token.
    page.get_by_label("Expires after (days)").fill("0")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("alert").first).to_contain_text("Give the token a name")
    expect(page.get_by_role("table")).to_contain_text("You have no tokens.")

    page.get_by_label("Name", exact=True).fill("nightly export")
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Create token").click()
    secret_box = page.get_by_label("Copy it now")
    secret = secret_box.input_value()
    assert secret.startswith("clt_")
    prefix = secret.split("_")[1]
    row = page.get_by_role("row", name="nightly export")
    expect(row).to_contain_text(f"clt_{prefix}_…")
    expect(row).to_contain_text("never")  # not used yet
    screenshot(page, "account-tokens-created")

    status, body = api_get(live_server.url, "/api/v1/change-requests", secret)
    assert status == 200, body

    # The form was posted with htmx: a reload asks for the list, never for a second token.
    assert page.url == f"{live_server.url}/accounts/tokens/"
    page.reload()
    expect(page.get_by_label("Copy it now")).to_have_count(0)
    assert secret not in page.content()
    expect(page.get_by_role("row", name="nightly export")).to_have_count(1)
    expect(page.get_by_role("row", name="nightly export")).not_to_contain_text("never")

    page.get_by_role("link", name="Revoke nightly export").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke “nightly export”?")
    screenshot(page, "account-tokens-revoke")
    page.get_by_role("button", name="Revoke the token").click()
    expect(page.locator("#messages")).to_contain_text("Revoked “nightly export”")
    expect(page.get_by_role("table")).to_contain_text("You have no tokens.")

    status, body = api_get(live_server.url, "/api/v1/change-requests", secret)
    assert status == 401
    assert body["detail"] == "This personal access token was revoked."
