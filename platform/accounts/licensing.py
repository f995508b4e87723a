"""Who may read licensed content: members and API keys of an organisation holding the licence.

A licence names a code system ("cpt"). Callers ask `licensed_systems(request)` once per request
and withhold the restricted fields of every other licensed system (codes.redaction.redact);
work on a licensed system's codes, change requests and releases needs the licence
(`require_licence`).
An API key's organisation and licences are kept in memory between requests (GrantCache).
"""

import hashlib
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache, caches
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from rest_framework_api_key.models import APIKey

from accounts.models import Licence, Membership
from codeledger.cache import RedisCache
from codes.systems import SYSTEMS

_CACHE_ATTR = "_codeledger_licensed_systems"
_KEY_ATTR = "_codeledger_api_key"
GENERATION_KEY = "accounts:api-key-grants:generation"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApiKeyGrant:
    """What a valid API key lets its bearer read, as the database said when it was read: the
    key's prefix (its public name, the throttle's counter), its expiry, its organisation and
    that organisation's licences with their end dates. Expiry and end dates are checked at
    each use, against the clock then."""

    prefix: str
    expires_at: datetime | None
    organisation_id: int | None
    licences: tuple[tuple[str, date | None], ...]

    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at < timezone.now()

    def held(self) -> frozenset[str]:
        return current_systems(self.licences)


def current_systems(licences) -> frozenset[str]:
    """The systems of `licences` ((system, valid_until) pairs) that are in force today."""
    today = timezone.localdate()
    return frozenset(system for system, until in licences if until is None or until >= today)


class GrantCache:
    """Valid API keys this process has read, so an API consumer's request reads neither its
    key nor its licences from the database (two queries, about 2 ms) while nothing changed.

    Entries are keyed by a digest of the presented key, never the key itself. They hold while
    the stamp in the shared cache (Redis) is the one this process last saw: any change of an
    API key, a key's organisation or a licence replaces the stamp once committed
    (`grants_changed`), and a process that sees a different stamp (a new one, or an old one
    brought back by a Redis restart or failover) drops everything it kept. Invalid keys are not
    kept: a refused key is read from the database each time. An entry is also dropped after
    settings.API_KEY_CACHE_SECONDS, the bound on staleness for changes no signal announces (a
    queryset update, SQL by hand, a change whose new stamp could not be written); 0 turns the
    cache off. It is off without a shared cache: a stamp in one process's memory would not
    reach the others. While the shared cache is out of reach nothing is kept.
    """

    MAX_ENTRIES = 10_000  # a process serving more distinct keys than this starts over

    def __init__(self):
        self._entries: dict[str, tuple[float, ApiKeyGrant]] = {}
        self._stamp: str | None = None
        self._lock = threading.Lock()

    def get(self, key: str) -> ApiKeyGrant | None:
        seconds = settings.API_KEY_CACHE_SECONDS
        if not seconds or not isinstance(caches["default"], RedisCache):
            return _read_grant(key)
        # The stamp before the database: a change committed after this read replaces the
        # stamp after its commit, so what is read below is never kept past that change.
        stamp = current_generation()
        with self._lock:
            if stamp is None or stamp != self._stamp:
                self._entries.clear()
                self._stamp = stamp
        if stamp is None:  # out of reach: nothing to check a kept grant against
            return _read_grant(key)
        digest = hashlib.sha256(key.encode()).hexdigest()
        entry = self._entries.get(digest)
        if entry and time.monotonic() - entry[0] < seconds:
            return entry[1]
        grant = _read_grant(key)
        with self._lock:
            # Not if another request saw a newer stamp meanwhile: this read may predate it.
            if grant is not None and self._stamp == stamp:
                if len(self._entries) >= self.MAX_ENTRIES:
                    self._entries.clear()
                self._entries[digest] = (time.monotonic(), grant)
        return grant

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._stamp = None


GRANTS = GrantCache()


def current_generation() -> str | None:
    """The shared generation stamp (made on first use, or after the cache lost it); None while
    the cache is out of reach (django-redis ignores the error and returns nothing)."""
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        made = uuid.uuid4().hex
        added = cache.add(GENERATION_KEY, made, timeout=None)
        if added is None:
            return None
        generation = made if added else cache.get(GENERATION_KEY)
    return generation


def grants_changed(**_signal_kwargs) -> None:
    """An API key, a key's organisation or a licence changed: once the change is committed,
    every process's kept grants are stale (signal receiver, accounts.apps)."""
    transaction.on_commit(_new_generation, robust=True)


def _new_generation() -> None:
    for _attempt in range(3):
        stamp = uuid.uuid4().hex
        cache.set(GENERATION_KEY, stamp, timeout=None)  # django-redis ignores (and logs) errors
        if cache.get(GENERATION_KEY) == stamp:
            log.info("API key or licence changed: kept API key grants dropped")
            return
    log.error(
        "an API key or licence changed, but the shared cache did not take the new stamp: "
        "processes that kept grants may honour the old ones for up to %s s",
        settings.API_KEY_CACHE_SECONDS,
    )


def request_api_key(request) -> ApiKeyGrant | None:
    """The grant of the valid API key the request presents (`Authorization: Api-Key <key>`),
    or None: resolved once per request (the permission, the licence check and the throttle all
    ask), from this process's GrantCache or else the database."""
    http = getattr(request, "_request", request)  # the same answer for DRF's Request
    if _KEY_ATTR not in http.__dict__:
        header = http.META.get("HTTP_AUTHORIZATION", "")
        grant = None
        if header.startswith("Api-Key "):
            grant = GRANTS.get(header.removeprefix("Api-Key "))  # as HasAPIKey reads it
        http.__dict__[_KEY_ATTR] = None if grant is None or grant.expired() else grant
    return http.__dict__[_KEY_ATTR]


def _read_grant(key: str) -> ApiKeyGrant | None:
    """What djangorestframework-api-key's HasAPIKey checks (not revoked, the secret matches
    the stored hash, not expired), with the organisation link read in the same query; then the
    organisation's licences."""
    found = (
        APIKey.objects.get_usable_keys()
        .using("default")  # the primary: never a lagging replica's old rows
        .select_related("organisation_link")
        .filter(prefix=key.partition(".")[0])
        .first()
    )
    if found is None or not found.is_valid(key) or found.has_expired:
        return None
    link = getattr(found, "organisation_link", None)
    organisation = link.organisation_id if link else None
    licences = ()
    if organisation:
        rows = Licence.objects.using("default").filter(organisation_id=organisation)
        licences = tuple(rows.values_list("system", "valid_until"))
    return ApiKeyGrant(found.prefix, found.expiry_date, organisation, licences)


def _user_organisation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user_id=user.pk).values_list("organisation_id", flat=True).first()
    )


def licensed_systems(request) -> frozenset[str]:
    """The licensed code systems this request may read in full (an API key counts for its
    organisation, a person for theirs)."""
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    grant = request_api_key(request)
    if grant is not None and grant.organisation_id:
        held = grant.held()
    elif organisation := _user_organisation(request):
        rows = Licence.objects.filter(organisation_id=organisation)
        held = current_systems(rows.values_list("system", "valid_until"))
    else:
        held = frozenset()
    setattr(request, _CACHE_ATTR, held)
    return held


def unlicensed_systems(request) -> list[str]:
    """Licensed systems the asker's organisation holds no licence for."""
    held = licensed_systems(request)
    return sorted(name for name, system in SYSTEMS.items() if system.licensed and name not in held)


# URL keyword -> how to find the code system it is about ({"change_id": ...}). Each app that
# routes by its own ids registers a lookup at start-up (review, codesets: apps.py).
_SYSTEM_LOOKUPS: dict = {}


def register_system_lookup(url_kwarg: str, lookup) -> None:
    """`lookup(value) -> system name or None` for URLs that carry `url_kwarg`."""
    _SYSTEM_LOOKUPS[url_kwarg] = lookup


def _system_of(kwargs) -> str | None:
    if "system" in kwargs:
        return kwargs["system"]
    for name, lookup in _SYSTEM_LOOKUPS.items():
        if name in kwargs:
            return lookup(kwargs[name])
    return None


def require_licence(request, kwargs: dict, *, system: str | None = None) -> None:
    """Refuse (403) work on a code, change request or release of a licensed system the asker's
    organisation holds no licence for; `kwargs` are the URL's (system, change_id, release_id)."""
    system = system or _system_of(kwargs)
    if system in unlicensed_systems(request):
        label = SYSTEMS[system].label
        raise PermissionDenied(
            f"{label} content is licensed: working on it needs your organisation's {label} licence"
        )
