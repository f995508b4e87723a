"""The meter through the code page (Django's test client): views left, gated sections, what
counts and what does not, settings that change the numbers."""

import re
from datetime import date

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import strip_tags

from accounts.meter import GUEST_COOKIE, is_bot
from accounts.models import MeterView
from tests.conftest import make_user

HTMX = {"HTTP_HX_REQUEST": "true"}
GATED = "Register to view content"


def page(client, code, **extra):
    response = client.get(f"/codes/icd10cm/{code}", **extra)
    assert response.status_code == 200
    return response.content.decode()


def full(html) -> bool:
    return "Plain words about" in html and "Excluded from" in html


def banner(html) -> str:
    """The meter's banner as a reader reads it: its words, spaces collapsed."""
    found = re.search(r'<p class="notice meter"[^>]*>(.*?)</p>', html, re.S)
    return " ".join(strip_tags(found.group(1)).split()) if found else ""


def test_a_guest_reads_one_code_then_sees_register_panels(codes):
    guest = Client()
    first = page(guest, "A00.0")
    assert full(first)
    assert banner(first) == (
        "This is your free view. Register a free account to get 5 more views. "
        "Already registered? Sign in."
    )
    second = page(guest, "A00.1")
    # Still the public part: code, official descriptor, hierarchy; the rest is gated.
    assert "Official descriptor of A00.1" in second
    assert "Certain infectious and parasitic diseases (A00-B99)" in second
    assert not full(second) and "B99.9" not in second
    assert GATED in second  # how the gate looks is the code page's (tests/reference)
    assert "/accounts/signup/?next=/codes/icd10cm/A00.1" in second
    assert "/accounts/login/?next=/codes/icd10cm/A00.1" in second


def test_reopening_a_viewed_code_is_free(codes):
    guest = Client()
    page(guest, "A00.0")
    assert full(page(guest, "a000"))  # the same code, written another way
    assert full(page(guest, "A00.0"))
    assert MeterView.objects.filter(item="icd10cm:A00.0").count() == 2  # cookie and address keys


def test_a_used_free_view_says_when_it_renews(codes, settings):
    guest = Client()
    page(guest, "A00.0")
    second = page(guest, "A00.1")
    today = timezone.localdate()
    expected = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    assert banner(second).startswith(
        f"You have used your free view this month, it renews on {expected.day} "
        f"{expected:%B} {expected.year}. Register a free account"
    )
    assert f'datetime="{expected.isoformat()}"' in second
    # Re-reading the page it opened: still readable, and it says so.
    assert "Pages you opened stay readable." in banner(page(guest, "A00.0"))


def test_a_fresh_browser_at_a_shared_address_gets_its_free_view(codes):
    page(Client(), "A00.0")  # a colleague at the same address
    fresh = Client()  # no cookie, same address
    html = page(fresh, "A00.1")
    assert full(html)
    assert banner(html).startswith("This is your free view.")
    assert not full(page(fresh, "A00.0"))  # its one view is used: the colleague's page too


def test_the_address_ceiling_gates_guests_who_clear_cookies(codes, settings):
    settings.METER_GUEST_PER_ADDRESS = 3
    for code in codes[:3]:
        assert full(page(Client(), code))  # three fresh cookies, one address
    gated = page(Client(), codes[3])
    assert not full(gated)
    assert banner(gated).startswith(
        "Guests at your network address have used their free views this month. They renew on"
    )
    # A page already opened from the address adds nothing to its count: a new browser reads it.
    assert full(page(Client(), codes[0]))
    assert full(page(Client(REMOTE_ADDR="10.1.2.3"), codes[3]))  # another address, its own


def test_the_address_ceiling_is_per_address_not_per_guest(codes, settings):
    settings.METER_GUEST_PER_ADDRESS = 2
    settings.METER_GUEST_VIEWS = 3
    guest = Client()
    assert full(page(guest, codes[0])) and full(page(guest, codes[1]))
    assert not full(page(guest, codes[2]))  # the guest has one left; the address has none
    assert not MeterView.objects.filter(item=f"icd10cm:{codes[2]}").exists()


def test_another_address_is_another_guest(codes):
    page(Client(), "A00.0")
    assert full(page(Client(REMOTE_ADDR="10.1.2.3"), "A00.1"))


def test_the_cookie_keeps_counting_on_a_new_address(codes):
    guest = Client()
    page(guest, "A00.0")
    assert guest.cookies[GUEST_COOKIE].value
    assert not full(page(guest, "A00.1", REMOTE_ADDR="10.9.9.9"))


def test_a_forged_cookie_is_ignored(codes):
    guest = Client()
    guest.cookies[GUEST_COOKIE] = "forged-value-that-is-not-signed"
    assert full(page(guest, "A00.0"))
    assert not MeterView.objects.filter(key__startswith="guest:forged").exists()


def test_a_registered_reader_gets_five_more(codes):
    reader = Client()
    reader.force_login(make_user("reader"))
    for code in codes[:6]:
        assert full(page(reader, code)), code
    last = page(reader, codes[6])
    assert not full(last)
    assert "Content limit reached" in last
    assert banner(last).startswith(
        "0 code page views remaining. Free accounts are limited to 6 page views this month; "
        "they renew on"
    )
    assert banner(page(reader, codes[0])).startswith("0 code page views remaining.")
    assert full(page(reader, codes[0]))  # re-reading stays free


@pytest.mark.parametrize("role", ["editor", "reviewer", "auditor", "admin"])
def test_staff_roles_are_never_metered(codes, role):
    staff = Client()
    staff.force_login(make_user(f"staff-{role}", role))
    for code in codes:
        html = page(staff, code)
        assert full(html) and "remaining" not in html
    assert not MeterView.objects.exists()


def test_a_superuser_is_not_metered(codes):
    root = Client()
    root.force_login(make_user("root", superuser=True))
    for code in codes[:3]:
        assert full(page(root, code))


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2)",
        "Some-Crawler/1.0",
    ],
)
def test_bots_count_nothing_and_see_the_public_part(codes, agent):
    bot = Client(HTTP_USER_AGENT=agent)
    for code in codes[:3]:
        html = page(bot, code)
        assert f"Official descriptor of {code}" in html and not full(html)
    assert not MeterView.objects.exists()
    assert full(page(Client(), "A00.0"))  # a person at the same address still has their view


def test_browsers_are_not_bots():
    chrome = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36"
    )
    assert not is_bot(chrome)
    assert is_bot("Mozilla/5.0 (compatible; YandexBot/3.0)")


def test_head_requests_count_nothing(codes):
    guest = Client()
    for code in codes[:3]:
        assert guest.head(f"/codes/icd10cm/{code}").status_code == 200
    assert not MeterView.objects.exists()
    assert full(page(guest, codes[3]))


def test_htmx_partial_requests_count_nothing(codes):
    guest = Client()
    html = page(guest, "A00.0", **HTMX)
    assert not full(html)  # a partial look shows only what was already opened
    assert not MeterView.objects.exists()
    assert full(page(guest, "A00.0"))
    assert full(page(guest, "A00.0", **HTMX))  # now opened: the partial shows it
    assert MeterView.objects.values("item").distinct().count() == 1


def test_boosted_htmx_navigation_counts_as_a_view(codes):
    guest = Client()
    assert full(page(guest, "A00.0", HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true"))
    assert MeterView.objects.values("item").distinct().count() == 1


def test_settings_change_the_numbers(codes, settings):
    settings.METER_GUEST_VIEWS = 3
    settings.METER_REGISTERED_EXTRA_VIEWS = 2
    guest = Client()
    for n, code in enumerate(codes[:3], start=1):
        html = page(guest, code)
        assert full(html) and banner(html).startswith(f"This is free view {n} of 3 this month.")
    fourth = page(guest, codes[3])
    assert not full(fourth)
    assert banner(fourth).startswith("You have used your free views this month, they renew on")
    assert "to get 2 more views." in banner(fourth)
    reader = Client()
    reader.force_login(make_user("reader"))
    for code in codes[:5]:
        assert full(page(reader, code))
    assert not full(page(reader, codes[5]))


def test_the_period_is_a_setting(codes, settings):
    from accounts.meter import period_start

    settings.METER_PERIOD = "day"
    assert period_start(date(2026, 12, 17)) == date(2026, 12, 17)
    settings.METER_PERIOD = "week"
    assert period_start(date(2026, 12, 17)) == date(2026, 12, 14)
    settings.METER_PERIOD = "month"
    assert period_start(date(2026, 12, 17)) == date(2026, 12, 1)


def test_each_period_renews_on_the_first_day_of_the_next(settings):
    from accounts.meter import next_period_start

    settings.METER_PERIOD = "day"
    assert next_period_start(date(2026, 12, 31)) == date(2027, 1, 1)
    settings.METER_PERIOD = "week"
    assert next_period_start(date(2026, 12, 28)) == date(2027, 1, 4)
    settings.METER_PERIOD = "month"
    assert next_period_start(date(2026, 12, 1)) == date(2027, 1, 1)
    assert next_period_start(date(2027, 1, 1)) == date(2027, 2, 1)


def test_last_periods_views_do_not_count(codes):
    guest = Client()
    page(guest, "A00.0")
    MeterView.objects.update(period=date(2000, 1, 1))
    assert full(page(guest, "A00.1"))


def test_signing_in_carries_the_guests_views(codes):
    browser = Client()
    page(browser, "A00.0")
    user = make_user("reader")
    response = browser.post("/accounts/login/", {"login": "reader", "password": "pw-reader"})
    assert response.status_code == 302
    assert MeterView.objects.filter(key=f"user:{user.pk}", item="icd10cm:A00.0").exists()
    assert "5 code page views remaining." in page(browser, "A00.0")


def test_unknown_codes_cost_nothing(codes):
    guest = Client()
    assert guest.get("/codes/icd10cm/Z99.89").status_code == 404
    assert full(page(guest, "A00.0"))


def test_meter_purge_keeps_only_the_current_period(codes):
    from datetime import UTC, datetime

    from django.core.management import call_command

    from accounts.models import MeterReader

    page(Client(), "A00.0")
    page(Client(REMOTE_ADDR="10.3.3.3"), "A00.1")
    MeterView.objects.filter(item="icd10cm:A00.1").update(period=date(2000, 1, 1))
    old_keys = MeterView.objects.filter(item="icd10cm:A00.1").values("key")
    MeterReader.objects.filter(key__in=old_keys).update(created_at=datetime(2000, 1, 1, tzinfo=UTC))
    fresh_idle = MeterReader.objects.create(key="guest:made-just-now")  # a view in flight
    call_command("meter_purge")
    assert list(MeterView.objects.values_list("item", flat=True).distinct()) == ["icd10cm:A00.0"]
    # The current reader's cookie and address stay, and so does a reader made this period (a
    # view in flight is about to lock it); the idle readers of past periods go.
    assert MeterReader.objects.count() == 3
    assert MeterReader.objects.filter(pk=fresh_idle.pk).exists()


def test_a_page_opened_at_a_shared_address_is_carried_into_the_account(codes):
    page(Client(), "A00.0")  # an earlier browser at this address
    browser = Client()  # a new cookie, same address: its own free view
    assert full(page(browser, "A00.0"))
    user = make_user("reader")
    browser.post("/accounts/login/", {"login": "reader", "password": "pw-reader"})
    assert MeterView.objects.filter(key=f"user:{user.pk}", item="icd10cm:A00.0").exists()
