"""Screens in a real browser: Debian's Chromium driven by Playwright against pytest-django's
live server, with the session's PostgreSQL and Elasticsearch behind it.

Every page a test opens collects console errors and uncaught exceptions; a test fails if any
appeared. Screenshots of the main screens go to .local/artifacts/screens/ (not committed).
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from codesets.actions import code_register
from events.projections import catch_up

SCREENS = Path(__file__).resolve().parents[2] / ".local" / "artifacts" / "screens"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

I21_4 = {
    "official_descriptor": "Non-ST elevation (NSTEMI) myocardial infarction",
    "short_descriptor": "NSTEMI myocardial infarction",
    "common_description": "A heart attack in which the ECG shows no ST-segment elevation.",
    "chapter": "Diseases of the circulatory system (I00-I99)",
    "block": "Ischemic heart diseases (I20-I25)",
    "parent": "I21",
    "billable": True,
    "notes": {
        "inclusion_terms": ["Non-Q wave myocardial infarction NOS"],
        "excludes2": ["old myocardial infarction (I25.2)"],
        "use_additional": ["code to identify exposure to tobacco smoke"],
    },
    "related": [
        {"system": "icd10cm", "code": "I25.2", "relation": "excludes2"},
        {"system": "icd10cm", "code": "F17.-", "relation": "use_additional"},
    ],
    "lay_terms": ["heart attack"],
}


@pytest.fixture(scope="module")
def chromium_browser():
    """One Chromium per test module. The sync Playwright API runs an event loop in the test's
    thread, so Django's async-safety check must be lifted while it runs (only then: the
    variable would leak into subprocesses such as `check --deploy` in other tests)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Browsers:
    """Opens pages (one browser context per person) and checks their consoles at the end."""

    def __init__(self, browser, base_url):
        self.browser, self.base_url = browser, base_url
        self.contexts, self.errors, self.expected = [], [], []

    def expect_console_error(self, text: str) -> None:
        """A test that opens an error page on purpose (a 404) names the error it expects."""
        self.expected.append(text)

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(text in e for text in self.expected)]

    def page(self, *, viewport=None):
        context = self.browser.new_context(
            base_url=self.base_url, viewport=viewport or {"width": 1280, "height": 900}
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                self.errors.append(f"{page.url}: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        return page

    def signed_in(self, username, **kwargs):
        page = self.page(**kwargs)
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill("pw-" + username)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{self.base_url}/")
        return page

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsers(chromium_browser, live_server, people):
    opened = Browsers(chromium_browser, live_server.url)
    yield opened
    opened.close()
    assert opened.unexpected_errors() == [], "the browser console showed errors"


def screenshot(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


@pytest.fixture
def nstemi(transactional_db):
    """ICD-10-CM I21.4 (and its parent) registered as an import would, indexed for search when
    the test has Elasticsearch (without it the search projector only records that it is down)."""
    code_register(
        system="icd10cm",
        code="I21",
        content={"official_descriptor": "Acute myocardial infarction", "billable": False},
        source="test",
    )
    written = code_register(system="icd10cm", code="I21.4", content=I21_4, source="test")
    catch_up("search")
    return written
