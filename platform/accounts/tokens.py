"""Personal access tokens: a per-person credential for API clients (docs/permissions.md,
"Personal access tokens").

A token reads `clt_<prefix>_<secret>`: the `clt_` mark makes a leaked token easy to find with
grep or a secret scanner, the prefix (12 hex characters, not secret) finds its row through a
unique index, and the secret is 64 hex characters from `secrets` (256 random bits).

Why a fast keyed hash and not PBKDF2: slow hashes exist because passwords are guessable, so a
stolen hash can be attacked by trying likely passwords. A 256-bit random secret has no likely
values: trying them costs 2**255 guesses on average whatever the hash costs, so a second of
PBKDF2 per request (what HTTP Basic pays, issue #26) would buy nothing. The hash is keyed
(HMAC-SHA256 with a key derived from SECRET_KEY by Django's `salted_hmac`), so a copy of the
database alone cannot even check a guess. Rotating SECRET_KEY keeps tokens working while the old
key is in SECRET_KEY_FALLBACKS, as it does for sessions.

A token acts as its person, with that person's roles, and nothing more: the workflow's rules
(four-eyes included) see the same user a session would give them.
"""

import logging
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import PersonalAccessToken

# Security events (created, revoked) go to the log, not to the event store: they are not code
# content. LOG_FORMAT=json adds the request id to each line (codeledger/logs.py).
log = logging.getLogger("accounts.tokens")

MARK = "clt"
TOKEN_PATTERN = re.compile(r"^clt_([0-9a-f]{12})_([0-9a-f]{64})$")
KEY_SALT = "codeledger.accounts.tokens"
MAX_LIVE_TOKENS = 20
MAX_EXPIRY_DAYS = 3650
# last_used_at is written at most this often per token: a script calling every second would
# otherwise turn each of its reads into a write.
LAST_USED_EVERY = timedelta(minutes=1)
HOW_TO_SEND = "send it as 'Authorization: Bearer clt_<prefix>_<secret>'"


class InvalidToken(Exception):
    """A token that authenticates no one; the message tells its holder why."""


class TooManyTokens(Exception):
    pass


def _digest(secret: str, key: str) -> str:
    return salted_hmac(KEY_SALT, secret, secret=key, algorithm="sha256").hexdigest()


def _secret_matches(secret: str, stored: str) -> bool:
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return any(constant_time_compare(_digest(secret, key), stored) for key in keys)


def live_tokens(user):
    """The tokens of `user` that still authenticate: neither revoked nor expired."""
    now = timezone.now()
    return PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def token_create(
    *, user, name: str, expires_in_days: int | None = None
) -> tuple[PersonalAccessToken, str]:
    """Make a token for `user`; the row and the whole token, which is never kept and cannot be
    shown again. Refuses a 21st live token (TooManyTokens): a cap keeps forgotten tokens from
    piling up."""
    with transaction.atomic():
        # Lock the person's row: two concurrent creations cannot both pass the cap.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if live_tokens(user).count() >= MAX_LIVE_TOKENS:
            raise TooManyTokens(
                f"You have {MAX_LIVE_TOKENS} live tokens, the most allowed: revoke one you no "
                "longer use first."
            )
        prefix, secret = secrets.token_hex(6), secrets.token_hex(32)
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        token = PersonalAccessToken.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            secret_hash=_digest(secret, settings.SECRET_KEY),
            expires_at=expires_at,
        )
    log.info(
        "personal access token created: user=%s token=%s prefix=%s name=%r expires_at=%s",
        user.get_username(),
        token.pk,
        prefix,
        name,
        expires_at.isoformat() if expires_at else "never",
    )
    return token, f"{MARK}_{prefix}_{secret}"


def token_revoke(*, actor, token: PersonalAccessToken) -> bool:
    """Revoke `token` on behalf of `actor` (its owner, or an admin); False if it already was."""
    revoked = PersonalAccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        log.info(
            "personal access token revoked: user=%s token=%s prefix=%s by=%s",
            token.user.get_username(),
            token.pk,
            token.prefix,
            actor.get_username(),
        )
    return bool(revoked)


def token_authenticate(raw: str) -> PersonalAccessToken:
    """The token `raw` stands for, if it authenticates its person now; else InvalidToken.

    Whether a token is revoked or expired is told only to someone who holds its secret."""
    match = TOKEN_PATTERN.match(raw)
    if not match:
        raise InvalidToken(f"This is not a CodeLedger personal access token ({HOW_TO_SEND}).")
    prefix, secret = match.groups()
    token = PersonalAccessToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not _secret_matches(secret, token.secret_hash):
        raise InvalidToken("This personal access token is not valid: unknown or wrong secret.")
    now = timezone.now()
    if token.revoked_at is not None:
        raise InvalidToken("This personal access token was revoked.")
    if token.expires_at is not None and token.expires_at <= now:
        raise InvalidToken(f"This personal access token expired on {token.expires_at:%Y-%m-%d}.")
    if not token.user.is_active:
        raise InvalidToken("The account this personal access token belongs to is inactive.")
    _note_use(token, now)
    return token


def _note_use(token: PersonalAccessToken, now) -> None:
    """Record the use at most once per LAST_USED_EVERY. The conditional UPDATE lets one of
    several concurrent requests write; a busy database skips the note, never the request."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY)
    try:
        with transaction.atomic():
            PersonalAccessToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    except DatabaseError:
        log.warning("could not note the use of personal access token %s", token.pk, exc_info=True)


class TokenRefused(AuthenticationFailed):
    """401 with `WWW-Authenticate: Bearer`. DRF sets every 401's challenge from the first
    authentication class (HTTP Basic, so that an anonymous caller is offered Basic); a refused
    token must name the scheme it was sent with (RFC 6750), so this challenge stays."""

    challenge = 'Bearer realm="api", error="invalid_token"'

    @property
    def auth_header(self):
        return self.challenge

    @auth_header.setter
    def auth_header(self, value):
        pass  # APIView.handle_exception's Basic challenge does not apply to a Bearer token


class PersonalAccessTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer clt_...`: the request acts as the token's person. Any other
    scheme is left to the other authentication classes; a Bearer credential that is not a
    valid token is a 401, never an anonymous request."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise TokenRefused(
                f"Malformed Authorization header: {HOW_TO_SEND}, one space, nothing else."
            )
        try:
            # latin-1 decodes any bytes; anything not ASCII then fails the token's pattern.
            token = token_authenticate(parts[1].decode("latin-1"))
        except InvalidToken as refusal:
            raise TokenRefused(str(refusal)) from None
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class PersonalAccessTokenScheme(OpenApiAuthenticationExtension):
    """In the OpenAPI schema: HTTP bearer authentication."""

    target_class = PersonalAccessTokenAuthentication
    name = "personalAccessToken"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer"
        )
        scheme["description"] = (
            "A personal access token (clt_<prefix>_<secret>), made on the account page "
            "/accounts/tokens/; it acts as its person, with their roles."
        )
        return scheme
