"""One lockout policy for every way in: the sign-in form, HTTP Basic on the API and the Django
admin's login (docs/accounts.md, "Lockout").

Failures are counted per account and per client address, in the shared cache (Redis in
production, so every process sees the same counts), in fixed windows of LOCKOUT_SECONDS. Every
way in fails through `django.contrib.auth.authenticate`, whose `user_login_failed` signal counts
here. Once an account has LOCKOUT_ACCOUNT_FAILURES failures in the window, or an address
LOCKOUT_ADDRESS_FAILURES, further attempts are refused until the window ends, the right password
included, and cheaply: `LockoutBackend`, first in AUTHENTICATION_BACKENDS, refuses before any
password is hashed. Each way in answers 429 with Retry-After: the API through
`LockoutBasicAuthentication`, the sign-in form and the admin login through
`SignInLockoutMiddleware`.
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.authentication import BasicScheme
from rest_framework.authentication import BasicAuthentication
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

ACCOUNT, ADDRESS = "account", "address"
MESSAGE = "Too many failed login attempts. Try again later."


def _address(request) -> str:
    return BaseThrottle().get_ident(request) or "unknown"  # honours NUM_PROXIES, as throttles do


def _key(kind: str, ident: str, window_start: int) -> str:
    digest = hashlib.sha256(ident.strip().lower().encode()).hexdigest()[:32]
    return f"lockout:{kind}:{digest}:{window_start}"


def _subjects(request, login: str | None) -> list[tuple[str, str, int]]:
    subjects = [(ADDRESS, _address(request), settings.LOCKOUT_ADDRESS_FAILURES)]
    if login:
        subjects.append((ACCOUNT, login, settings.LOCKOUT_ACCOUNT_FAILURES))
    return subjects


def locked_for(request, login: str | None) -> int | None:
    """Seconds until `login` may try again from this address; None when not locked. Asked once
    per request and login: the way in asks to answer 429, LockoutBackend asks again."""
    answers = request.__dict__.setdefault("_lockout_answers", {})
    if login not in answers:
        answers[login] = _locked_for(request, login)
    return answers[login]


def _locked_for(request, login: str | None) -> int | None:
    window, now = settings.LOCKOUT_SECONDS, time.time()
    started = int(now // window)
    cache = caches["default"]
    for kind, ident, limit in _subjects(request, login):
        if (cache.get(_key(kind, ident, started)) or 0) >= limit:
            return max(1, math.ceil((started + 1) * window - now))
    return None


def record_failure(request, login: str | None) -> None:
    from codeledger.cache import count

    window = settings.LOCKOUT_SECONDS
    started = int(time.time() // window)
    for kind, ident, _ in _subjects(request, login):
        count(caches["default"], _key(kind, ident, started), window + 1)


def _login_of(credentials: dict) -> str | None:
    return credentials.get("username") or credentials.get("email") or credentials.get("login")


def count_failure(sender, credentials, request=None, **kwargs):
    """Receives `user_login_failed` (accounts/apps.py)."""
    if request is not None:
        record_failure(request, _login_of(credentials))


class LockoutBackend:
    """First in AUTHENTICATION_BACKENDS: a locked login is refused before any backend hashes a
    password (PermissionDenied stops `authenticate`). It never signs anyone in, so it has no
    `get_user` (sessions and Django's force_login use the backends that do)."""

    def authenticate(self, request, **credentials):
        if request is not None and locked_for(request, _login_of(credentials)):
            raise PermissionDenied(MESSAGE)
        return None


class LockoutBasicAuthentication(BasicAuthentication):
    """HTTP Basic on the API: a locked account or address gets 429 with Retry-After."""

    def authenticate_credentials(self, userid, password, request=None):
        if request is not None and (wait := locked_for(request, userid)):
            raise Throttled(wait=wait, detail=f"{MESSAGE} (Basic authentication)")
        return super().authenticate_credentials(userid, password, request)


class LockoutBasicScheme(BasicScheme):
    """In the OpenAPI schema it is what it is on the wire: HTTP Basic."""

    target_class = LockoutBasicAuthentication


class SignInLockoutMiddleware:
    """The sign-in form and the admin login: a POST for a locked account or address gets the
    429 page with Retry-After, and the form is not even read."""

    FIELDS = ("login", "username")  # allauth's form, the admin's

    def __init__(self, get_response):
        self.get_response = get_response
        self._paths = None

    def __call__(self, request):
        if request.method == "POST":
            if self._paths is None:
                self._paths = {reverse("account_login"), reverse("admin:login")}
            if request.path in self._paths:
                login = next((request.POST.get(f) for f in self.FIELDS if request.POST.get(f)), "")
                if wait := locked_for(request, login):
                    response = render(request, "429.html", {"message": MESSAGE}, status=429)
                    response["Retry-After"] = str(wait)
                    return response
        return self.get_response(request)
