"""A basic automated accessibility check of the main screens, on a desktop and a phone:
every form control has a label, landmarks and one h1 are present, ids are unique, links and
buttons have names, nothing overflows a phone's width; and the stylesheet's colour pairs keep
a contrast ratio of at least 4.5:1 (WCAG AA for body text), computed here from site.css."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from codeledger.domain import actor_for
from review.actions import change_request_submit

from .conftest import screenshot

SITE_CSS = Path(__file__).resolve().parents[2] / "platform/codeledger/static/codeledger/site.css"

# (text, background) pairs the stylesheet uses for text.
COLOUR_PAIRS = [
    ("ink", "bg"),
    ("muted", "bg"),
    ("accent", "bg"),
    ("on-accent", "accent"),
    ("error", "bg"),
    ("error", "error-bg"),
    ("ok", "ok-bg"),
    ("del-ink", "del-bg"),
    ("ins-ink", "ins-bg"),
    ("ink", "mark-bg"),
    ("ink", "panel"),
    ("muted", "panel"),
    ("accent", "panel"),
]

PAGE_CHECK = """() => {
  const problems = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby');
    if (!named) problems.push('control without a label: ' + el.outerHTML.slice(0, 100));
  }
  for (const landmark of ['header', 'nav', 'main', 'footer']) {
    if (!document.querySelector(landmark)) problems.push('no <' + landmark + '> landmark');
  }
  if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
  if (!document.documentElement.lang) problems.push('no lang on <html>');
  if (!document.title.trim()) problems.push('no title');
  for (const el of document.querySelectorAll('a, button')) {
    if (!el.textContent.trim() && !el.getAttribute('aria-label')) {
      problems.push('unnamed ' + el.outerHTML.slice(0, 100));
    }
  }
  const seen = new Set();
  for (const el of document.querySelectorAll('[id]')) {
    if (seen.has(el.id)) problems.push('duplicate id ' + el.id);
    seen.add(el.id);
  }
  if (!document.querySelector('a.skip-link[href="#main"]')) problems.push('no skip link');
  return problems;
}"""


def css_colours() -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", SITE_CSS.read_text(), re.S).group(1)
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", root))


def luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_of_the_stylesheets_colour_pairs():
    colours = css_colours()
    ratios = {
        (text, background): round(contrast(colours[text], colours[background]), 2)
        for text, background in COLOUR_PAIRS
    }
    too_low = {pair: ratio for pair, ratio in ratios.items() if ratio < 4.5}
    assert too_low == {}
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)  # the formula itself


def check(page, name: str) -> None:
    problems = page.evaluate(PAGE_CHECK)
    assert problems == [], f"{name}: {problems}"
    width = page.viewport_size["width"]
    if width < 500:
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{name} is {overflow}px wide on a {width}px phone"
    screenshot(page, name)


@pytest.mark.parametrize(
    "viewport",
    [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
    ids=["desktop", "phone"],
)
def test_main_screens_pass_the_basic_checks(browsers, nstemi, people, viewport):
    suffix = "" if viewport["width"] > 500 else "-phone"
    request = change_request_submit(
        actor=actor_for(people["alice"]),
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"common_description": "A heart attack without ST elevation on the ECG."},
        rationale="Plainer wording.",
    ).change_request
    from codeledger.elastic import elasticsearch_client
    from search.documents import alias

    elasticsearch_client().indices.refresh(index=alias())

    public = browsers.page(viewport=viewport)
    public.goto("/")
    check(public, f"home{suffix}")
    public.goto("/accounts/login/")
    check(public, f"login{suffix}")
    public.goto("/search?q=heart+attack")
    expect(public.locator("#results-list")).to_contain_text("I21.4")
    check(public, f"search{suffix}")
    public.goto("/codes/icd10cm/I21.4")
    check(public, f"code-page{suffix}")
    browsers.expect_console_error(
        "/codes/icd10cm/Z99.89: Failed to load resource: the server responded with a status of 404"
    )
    public.goto("/codes/icd10cm/Z99.89")
    check(public, f"not-found{suffix}")

    alice = browsers.signed_in("alice", viewport=viewport)
    alice.goto("/codes/icd10cm/I21.4/propose")
    check(alice, f"propose{suffix}")
    alice.goto("/requests/mine")
    check(alice, f"my-requests{suffix}")

    bob = browsers.signed_in("bob", viewport=viewport)
    bob.goto("/requests/")
    check(bob, f"queue{suffix}")
    bob.goto(f"/requests/{request.change_id}")
    check(bob, f"request{suffix}")
    bob.get_by_role("button", name="Reject").click()  # no reason: the message by the field
    expect(bob.locator("#reject_reason_error")).to_contain_text("Give a reason")
    check(bob, f"request-validation{suffix}")
    bob.get_by_label("What should change").fill("Cite the source.")
    bob.get_by_role("button", name="Request changes").click()
    expect(bob.locator("#decision")).to_contain_text("Changes requested")

    alice.goto(f"/requests/{request.change_id}/revise")
    check(alice, f"revise{suffix}")
