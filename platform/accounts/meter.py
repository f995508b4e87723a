"""The code-page meter: how many distinct pages a reader may open in a period, kept on the server.

A reader is a signed-in person (`user:<id>`) or a guest. A guest is two keys at once: a random
id in a signed cookie (`guest:<id>`) and the HMAC of the client address (`addr:<hash>`); a page
counts against both and the guest's count is the union, so clearing cookies does not reset the
count from the same address, and a new address does not reset it for the same browser.

Counting is serialised per reader: a metered view locks the reader's `MeterReader` rows (in key
order) before it counts and records, so of two concurrent new views with one left exactly one
is granted. Bots that say so, HEAD requests and htmx partial requests record nothing and are
shown only what they had already opened (a bot: nothing beyond the public part of the page).
"""

import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

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


def guest_limit() -> int:
    return settings.METER_GUEST_VIEWS


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


def _keys(request, guest_id: str) -> list[str]:
    if request.user.is_authenticated:
        return [f"user:{request.user.pk}"]
    return sorted([f"guest:{guest_id}", _address_key(request)])


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
    keys = _keys(request, guest_id)
    period = period_start()
    bot = is_bot(request.META.get("HTTP_USER_AGENT", ""))
    if bot:
        return Reading("bot", False)
    if request.method != "GET" or _is_partial(request):
        # A look that costs nothing shows only what this reader already opened.
        views = _views(keys, period)
        seen = views.filter(item=item).exists()
        used = views.values("item").distinct().count()
        return Reading(kind, seen, used, limit, guest_id=guest_id)
    with transaction.atomic():
        MeterReader.objects.bulk_create(
            [MeterReader(key=key) for key in keys], ignore_conflicts=True
        )
        # The lock that makes check-then-record one step per reader (keys in a fixed order).
        list(MeterReader.objects.select_for_update().filter(key__in=keys).order_by("key"))
        views = _views(keys, period)
        used = views.values("item").distinct().count()
        seen = views.filter(item=item).exists()
        if not seen and used >= limit:
            return Reading(kind, False, used, limit, guest_id=guest_id)
        # Every key records the page, also one re-opened under the other key (a new cookie at a
        # known address): the cookie then carries it into an account at sign-in.
        MeterView.objects.bulk_create(
            [MeterView(key=key, period=period, item=item) for key in keys], ignore_conflicts=True
        )
    if seen:
        return Reading(kind, True, used, limit, guest_id=guest_id)
    return Reading(kind, True, used + 1, limit, counted=True, guest_id=guest_id)


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
            secure=not settings.DEBUG,
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
