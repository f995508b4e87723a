"""The code-page meter: how many distinct pages a reader may open in a period, kept on the server.

A reader is a signed-in person (`user:<id>`) or a guest. A guest is counted by a random id in a
signed cookie (`guest:<id>`): a fresh browser gets its free view even where others share its
address (an office, a hospital, public Wi-Fi). Against clearing cookies, the pages opened from
one address (`addr:<HMAC of the address>`) have a much larger ceiling of their own
(`METER_GUEST_PER_ADDRESS`); a guest is gated when either runs out, and told which.

Counting is serialised per reader: a metered view locks the reader's `MeterReader` rows (in key
order) before it counts and records, so of two concurrent new views with one left exactly one
is granted. Bots that say so, HEAD requests and htmx partial requests record nothing and are
shown only what they had already opened (a bot: nothing beyond the public part of the page).
"""

import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from allauth.core.internal.httpkit import get_client_ip
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import MeterReader, MeterView

GUEST_COOKIE = "codeledger_reader"
_COOKIE_SALT = "accounts.meter.guest"
_COOKIE_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
PERIODS = ("day", "week", "month")
PERIOD_WORDS = {"day": "today", "week": "this week", "month": "this month"}

# Crawlers that identify themselves (the User-Agent words they use), case-insensitive. A request
# from one records nothing and sees the public part of a page (code, descriptor, hierarchy), so
# pretending to be a bot gains nothing. Documented in docs/accounts.md.
BOT_USER_AGENTS = (
    "googlebot",
    "google-inspectiontool",
    "storebot-google",
    "adsbot-google",
    "bingbot",
    "bingpreview",
    "msnbot",
    "duckduckbot",
    "baiduspider",
    "yandexbot",
    "yandex.com/bots",
    "slurp",
    "applebot",
    "facebookexternalhit",
    "meta-externalagent",
    "twitterbot",
    "linkedinbot",
    "slackbot",
    "discordbot",
    "telegrambot",
    "whatsapp",
    "petalbot",
    "seznambot",
    "sogou",
    "exabot",
    "ahrefsbot",
    "semrushbot",
    "mj12bot",
    "dotbot",
    "rogerbot",
    "screaming frog",
    "ccbot",
    "gptbot",
    "chatgpt-user",
    "oai-searchbot",
    "claudebot",
    "anthropic-ai",
    "perplexitybot",
    "bytespider",
    "amazonbot",
    "archive.org_bot",
    "ia_archiver",
    "uptimerobot",
    "pingdom",
)
# Plus anything that calls itself a bot, crawler or spider.
_BOT = re.compile(
    "|".join([re.escape(word) for word in BOT_USER_AGENTS] + [r"\bbot\b", "crawler", "spider"]),
    re.IGNORECASE,
)


def is_bot(user_agent: str) -> bool:
    return bool(_BOT.search(user_agent or ""))


def period_start(today: date | None = None) -> date:
    """The first day of the current period (a calendar day, ISO week or month)."""
    today = today or timezone.localdate()
    period = settings.METER_PERIOD
    if period == "day":
        return today
    if period == "week":
        return today - timedelta(days=today.weekday())
    if period == "month":
        return today.replace(day=1)
    raise ValueError(f"METER_PERIOD must be one of {', '.join(PERIODS)}, not {period!r}")


def next_period_start(start: date) -> date:
    """The day the period beginning on `start` renews: views are free again from then."""
    period = settings.METER_PERIOD
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def guest_limit() -> int:
    return settings.METER_GUEST_VIEWS


def address_limit() -> int:
    return settings.METER_GUEST_PER_ADDRESS


def registered_limit() -> int:
    return settings.METER_GUEST_VIEWS + settings.METER_REGISTERED_EXTRA_VIEWS


@dataclass(frozen=True)
class Reading:
    """What the meter decided for one request."""

    kind: str  # unmetered | bot | guest | registered
    allowed: bool  # show the whole page
    used: int = 0  # distinct pages opened in this period
    limit: int = 0
    counted: bool = False  # this request opened a page not opened before in the period
    guest_id: str = ""  # a guest's cookie value, to (re)set on the response
    renews_on: date | None = None  # the first day of the next period
    # Why a page was refused: "" (it was not), "used" (this reader's views are used up) or
    # "address" (the guests at this address reached METER_GUEST_PER_ADDRESS).
    gated_by: str = ""

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    @property
    def metered(self) -> bool:
        return self.kind in ("guest", "registered")


def _guest_id(request) -> str:
    value = request.get_signed_cookie(GUEST_COOKIE, default="", salt=_COOKIE_SALT)
    return value if re.fullmatch(r"[A-Za-z0-9_-]{16,64}", value or "") else ""


def _address_key(request) -> str:
    address = get_client_ip(request) or "unknown"
    return "addr:" + salted_hmac("accounts.meter.address", address).hexdigest()[:40]


def _keys(request, guest_id: str) -> tuple[str, str | None]:
    """The reader's own key, and for a guest the key of the address it comes from."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}", None
    return f"guest:{guest_id}", _address_key(request)


def _is_partial(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _views(keys, period):
    return MeterView.objects.filter(key__in=keys, period=period)


def meter_page_view(request, *, item: str, unmetered: bool = False) -> Reading:
    """Decide whether `request` may read page `item` in full, and record it if it counts.

    `unmetered`: the reader is never metered (staff roles); nothing is recorded.
    """
    if unmetered:
        return Reading("unmetered", True)
    authenticated = request.user.is_authenticated
    kind = "registered" if authenticated else "guest"
    limit = registered_limit() if authenticated else guest_limit()
    guest_id = "" if authenticated else (_guest_id(request) or secrets.token_urlsafe(18))
    own, address = _keys(request, guest_id)
    period = period_start()
    reading = partial(
        Reading, kind, limit=limit, guest_id=guest_id, renews_on=next_period_start(period)
    )
    if is_bot(request.META.get("HTTP_USER_AGENT", "")):
        return Reading("bot", False)
    if request.method != "GET" or _is_partial(request):
        # A look that costs nothing shows only what this reader already opened.
        views = _views([own], period)
        seen = views.filter(item=item).exists()
        return reading(seen, used=views.count())
    keys = sorted(key for key in (own, address) if key)
    with transaction.atomic():
        MeterReader.objects.bulk_create(
            [MeterReader(key=key) for key in keys], ignore_conflicts=True
        )
        # The lock that makes check-then-record one step per reader (keys in a fixed order; a
        # guest also locks its address, whose ceiling is checked and recorded in the same step).
        list(MeterReader.objects.select_for_update().filter(key__in=keys).order_by("key"))
        views = _views([own], period)
        used = views.count()
        if views.filter(item=item).exists():
            return reading(True, used=used)
        if used >= limit:
            return reading(False, used=used, gated_by="used")
        if address and _address_full(address, period, item):
            return reading(False, used=used, gated_by="address")
        MeterView.objects.bulk_create(
            [MeterView(key=key, period=period, item=item) for key in keys], ignore_conflicts=True
        )
    return reading(True, used=used + 1, counted=True)


def _address_full(address: str, period: date, item: str) -> bool:
    """Whether the guests at this address have opened as many distinct pages as it may: a page
    already opened from the address adds nothing to its count, so it stays within reach."""
    views = _views([address], period)
    return views.count() >= address_limit() and not views.filter(item=item).exists()


def remember_guest(response, reading: Reading) -> None:
    """Set (or refresh) the guest's signed cookie on the response."""
    if reading.guest_id:
        response.set_signed_cookie(
            GUEST_COOKIE,
            reading.guest_id,
            salt=_COOKIE_SALT,
            max_age=_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,  # plain HTTP under make run
        )


def carry_guest_views(sender, request, user, **kwargs):
    """On sign-in, the pages this browser opened as a guest in this period count for the
    account: registering adds views to the ones already used, it does not start afresh."""
    if request is None:
        return
    guest_id = _guest_id(request)
    if not guest_id:
        return
    period = period_start()
    items = set(
        MeterView.objects.filter(key=f"guest:{guest_id}", period=period).values_list(
            "item", flat=True
        )
    )
    if items:
        MeterView.objects.bulk_create(
            [MeterView(key=f"user:{user.pk}", period=period, item=item) for item in items],
            ignore_conflicts=True,
        )
