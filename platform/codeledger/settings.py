"""CodeLedger settings: one module, read from the environment (12-factor).

Without any variable set, the embedded default runs: SQLite under .local/, tasks eagerly after
commit, the local Elasticsearch node from deploy/local/, DEBUG on and a generated secret key.
Production mode (DEBUG=false) requires SECRET_KEY and ALLOWED_HOSTS and passes
`manage.py check --deploy`. `make run` serves the embedded default with DEBUG off and
EMBEDDED=true (deploy/local/serve.sh): the product's pages, the embedded default's conveniences.
"""

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from codeledger.logs import logging_config

REPO_DIR = Path(__file__).resolve().parents[2]
BASE_DIR = REPO_DIR / "platform"
LOCAL_DIR = REPO_DIR / ".local"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
# The embedded default's conveniences, kept by `make run` with DEBUG off (deploy/local/run.sh):
# secrets generated once into .local/, mails printed and kept under .local/mail/, plain HTTP on
# this machine. Production mode (DEBUG off, EMBEDDED unset) requires each of them set instead.
EMBEDDED = env.bool("EMBEDDED", default=DEBUG)


def _secret_key() -> str:
    if "SECRET_KEY" in env:
        return env.str("SECRET_KEY")
    if not EMBEDDED:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off (production mode).")
    # Embedded default: generate one key once and keep it, so sessions survive restarts.
    key_file = LOCAL_DIR / "secret_key"
    if not key_file.exists():
        LOCAL_DIR.mkdir(exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database() -> dict:
    default_url = f"sqlite:///{LOCAL_DIR / 'codeledger.sqlite3'}"
    url = env.str("DATABASE_URL", default=default_url)
    try:
        config = environ.Env.db_url_config(url)
    except Exception as error:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed ({url!r}): {error}") from error
    if not config.get("ENGINE") or not config.get("NAME"):
        raise ImproperlyConfigured(
            f"DATABASE_URL is malformed ({url!r}): expected e.g. "
            "postgres://user:password@host:5432/name or sqlite:////path/to/file.sqlite3"
        )
    return database_settings(config)


def database_settings(config: dict) -> dict:
    """Engine-specific options the event store relies on (docs/events.md)."""
    config = {**config, "ATOMIC_REQUESTS": False}
    options = config.setdefault("OPTIONS", {})
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # IMMEDIATE takes the write lock at BEGIN: appends are serialised, readers never block.
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", 20)
        options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # A stuck session must not stall every writer behind the append lock (docs/events.md).
        options.setdefault(
            "options",
            "-c lock_timeout=5000 -c idle_in_transaction_session_timeout=60000 "
            "-c statement_timeout=0",
        )
        config.setdefault("CONN_MAX_AGE", 60)
        config.setdefault("CONN_HEALTH_CHECKS", True)
    return config


def _event_seal_keys() -> list[tuple[str, str]]:
    """EVENT_SEAL_KEYS: "id:secret" pairs, comma-separated, the first sealing new appends and
    every one verifying what it sealed (docs/audit.md, "Seals"). Kept outside the database and
    its backups: whoever can write the database but not read this cannot extend or rewrite the
    log undetected. Embedded default: one key generated once into .local/event_seal_key."""
    raw = env.str("EVENT_SEAL_KEYS", default="")
    if not raw:
        if not EMBEDDED:
            raise ImproperlyConfigured(
                "EVENT_SEAL_KEYS is required when DEBUG is off (production mode)."
            )
        key_file = LOCAL_DIR / "event_seal_key"
        if not key_file.exists():
            LOCAL_DIR.mkdir(exist_ok=True)
            key_file.write_text(f"local-{secrets.token_hex(4)}:{secrets.token_urlsafe(32)}")
            key_file.chmod(0o600)
        raw = key_file.read_text().strip()
    pairs = []
    for item in raw.split(","):
        key_id, _, secret = item.strip().partition(":")
        if not key_id or len(secret) < 16:
            raise ImproperlyConfigured(
                "EVENT_SEAL_KEYS is malformed: expected id:secret pairs, comma-separated, each "
                "secret at least 16 characters"
            )
        pairs.append((key_id, secret))
    return pairs


SECRET_KEY = _secret_key()
EVENT_SEAL_KEYS = _event_seal_keys()
# Rotating the key: the old one here keeps sessions and signed links valid meanwhile.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
if not EMBEDDED and not env.list("ALLOWED_HOSTS", default=[]):
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DEBUG is off (production mode).")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "accounts",  # before allauth: its templates override allauth's
    "allauth",
    "allauth.account",
    "codeledger",
    "events",
    "codes",
    "review",
    "codesets",
    "alphabetic_index",
    "reference",
    "search",
    "knowledge",
    "checks",
    "assistant",
    "fhir",
    "audit",
]

MIDDLEWARE = [
    "codeledger.middleware.RequestIdMiddleware",
    # A method no API view has is a 405 problem before authentication (DRF checks it after).
    "codeledger.middleware.ApiMethodNotAllowedMiddleware",
    # A write that waited too long for the database: 503 with Retry-After, never a 500.
    "codeledger.middleware.DatabaseBusyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "codeledger.idempotency.IdempotencyMiddleware",
    "accounts.lockout.SignInLockoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
]

if not DEBUG:
    # Production serves collected, hashed static files itself; runserver does it under DEBUG.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

# `make dev` (deploy/local/run.sh --dev) turns the debug toolbar on: queries, templates and
# timings of each page, for 127.0.0.1. It is a development dependency; never on under make run.
DEBUG_TOOLBAR = DEBUG and env.bool("DEBUG_TOOLBAR", default=False)
if DEBUG_TOOLBAR:
    INSTALLED_APPS.append("debug_toolbar")
    MIDDLEWARE.insert(0, "debug_toolbar.middleware.DebugToolbarMiddleware")
    INTERNAL_IPS = ["127.0.0.1", "::1"]

# Metrics (codeledger/metrics.py): latency by view around everything, search latency inside.
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    *MIDDLEWARE,
    "codeledger.middleware.ReplicaReadsMiddleware",
    "codeledger.middleware.SearchLatencyMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# Who may scrape /metrics: with a token, whoever sends it; without one, these addresses.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])

ROOT_URLCONF = "codeledger.urls"
WSGI_APPLICATION = "codeledger.wsgi.application"
ASGI_APPLICATION = "codeledger.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Templates that replace a library's own (searched before the apps' templates): the API
        # docs page with a way back to the site.
        "DIRS": [BASE_DIR / "codeledger" / "templates" / "overrides"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": _database()}
# A PostgreSQL read replica for read-model reads (codeledger/routers.py, docs/operations.md).
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = database_settings(
        environ.Env.db_url_config(env.str("DATABASE_REPLICA_URL"))
    )
DATABASE_ROUTERS = ["codeledger.routers.ReadReplicaRouter"]
DATABASE_REPLICA_APPS = env.list("DATABASE_REPLICA_APPS", default=["codes", "review", "codesets"])
# After a write, the client reads from the primary this long (sees its own change at once).
DATABASE_REPLICA_STICKY_SECONDS = env.int("DATABASE_REPLICA_STICKY_SECONDS", default=10)
# Several processes share throttle counts and cached values through Redis (CACHE_URL); the
# embedded default keeps them in each process's memory. An unreachable Redis is a cache miss:
# requests go on without it, slower and without rate limits (codeledger/cache.py), and every
# ignored error is logged; short timeouts keep a Redis that does not answer from holding them.
if env.str("CACHE_URL", default=""):
    CACHES = {
        "default": {
            "BACKEND": "codeledger.cache.RedisCache",
            "LOCATION": env.str("CACHE_URL"),
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": env.float("CACHE_TIMEOUT", default=0.5),
                "SOCKET_TIMEOUT": env.float("CACHE_TIMEOUT", default=0.5),
                # A Redis that did not answer is skipped this long (codeledger/cache.py).
                "CONNECTION_POOL_CLASS": "codeledger.cache.CircuitBreakingPool",
                "CONNECTION_POOL_KWARGS": {
                    "retry_after": env.float("CACHE_RETRY_AFTER", default=5.0)
                },
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# API keys resolved to their organisation's licences are kept in each process's memory at most
# this long, and dropped at once when a key, a key's organisation or a licence changes (a stamp
# in Redis; accounts/licensing.py). 0 turns that off; it is off anyway without Redis
# (CACHE_URL): a change made in one process could not reach the others.
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(LOCAL_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- accounts (django-allauth; docs/accounts.md) --------------------------------------------

AUTHENTICATION_BACKENDS = [
    "accounts.lockout.LockoutBackend",  # first: a locked login is refused before any hashing
    "django.contrib.auth.backends.ModelBackend",
    "accounts.auth_backends.AuthenticationBackend",  # allauth's, one password check per login
]
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# What the site calls itself in mails and their subjects (accounts.adapter), not the host name.
SITE_NAME = env.str("SITE_NAME", default="CodeLedger")
# Where links in mails point (review mails): the address people reach the site at.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# People are shown by the name they chose, else the address they signed up with (accounts.names).
ACCOUNT_USER_DISPLAY = "accounts.names.user_display"
# People sign up with an email address; staff and demo logins keep signing in by username.
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Opening the mailed link confirms the address: no second click on a "Confirm" button. (It signs
# in only the browser that registered: allauth keeps that pending login in its session.)
ACCOUNT_CONFIRM_EMAIL_ON_GET = True
ACCOUNT_LOGOUT_ON_GET = False
# The same answer whether or not an address has an account; the mail says which it was.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# One lockout for the sign-in form, HTTP Basic and the admin login (accounts/lockout.py).
LOCKOUT_ACCOUNT_FAILURES = env.int("LOCKOUT_ACCOUNT_FAILURES", default=5)
LOCKOUT_ADDRESS_FAILURES = env.int("LOCKOUT_ADDRESS_FAILURES", default=10)
LOCKOUT_SECONDS = env.int("LOCKOUT_SECONDS", default=300)
# Per client address and per account (the "key": the login or email typed); a limited request
# answers 429 with a message (templates/429.html).
ACCOUNT_RATE_LIMITS = {
    "login": env.str("RATE_LIMIT_LOGIN", default="30/m/ip"),
    # Failed sign-ins are counted by the one lockout policy of every way in (accounts/lockout.py).
    "login_failed": "",
    "signup": env.str("RATE_LIMIT_SIGNUP", default="20/m/ip"),
    "reset_password": env.str("RATE_LIMIT_RESET_PASSWORD", default="20/m/ip,5/m/key"),
    "reset_password_from_key": env.str("RATE_LIMIT_RESET_PASSWORD_FROM_KEY", default="20/m/ip"),
}
# Registration and password reset answer no sooner than this, whether or not the address has
# an account (both paths hash a password; this covers the rest: rows, mail; accounts/urls.py).
ACCOUNT_UNIFORM_RESPONSE_SECONDS = env.float("ACCOUNT_UNIFORM_RESPONSE_SECONDS", default=0.75)
# The client address behind this many proxies (the same count DRF's throttles trust).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("NUM_PROXIES", default=0)

DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CodeLedger <noreply@localhost>")
if "EMAIL_URL" in env:
    # Production: SMTP from the environment, e.g. smtp+tls://user:password@mail.example.org:587
    globals().update(env.email_url("EMAIL_URL"))
elif EMBEDDED:
    # Embedded default: every mail is printed and kept as a file under .local/mail/.
    EMAIL_BACKEND = "accounts.mail.ConsoleAndFileBackend"
    EMAIL_FILE_PATH = str(LOCAL_DIR / "mail")
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)

# --- metered code pages (accounts.meter; docs/accounts.md) ----------------------------------

METER_GUEST_VIEWS = env.int("METER_GUEST_VIEWS", default=1)
# Distinct pages all guests at one address may open in a period: the ceiling against clearing
# cookies, large enough that a fresh browser in an office or on shared Wi-Fi gets its free view.
METER_GUEST_PER_ADDRESS = env.int("METER_GUEST_PER_ADDRESS", default=50)
METER_REGISTERED_EXTRA_VIEWS = env.int("METER_REGISTERED_EXTRA_VIEWS", default=5)
METER_PERIOD = env.str("METER_PERIOD", default="month")  # day | week | month (calendar, UTC)

# --- services ------------------------------------------------------------------------------

ELASTICSEARCH_URL = env.str("ELASTICSEARCH_URL", default="http://127.0.0.1:9200")
ELASTICSEARCH_TIMEOUT = env.float("ELASTICSEARCH_TIMEOUT", default=10.0)
SEARCH_INDEX_ALIAS = env.str("SEARCH_INDEX_ALIAS", default="codes")
# How long a search with min_position waits for the index to reach it before answering 503.
SEARCH_MIN_POSITION_WAIT = env.float("SEARCH_MIN_POSITION_WAIT", default=3.0)

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or None
# No broker: the embedded default runs tasks in-process, right after the commit that queued them.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that stops answering (hung, or its packets dropped) would hold a publish, and the
# request that makes it, forever: kombu waits without limit unless given a socket timeout.
BROKER_TIMEOUT = env.float("BROKER_TIMEOUT", default=5.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": BROKER_TIMEOUT,
    "socket_connect_timeout": BROKER_TIMEOUT,
}
# The worker logs through LOGGING below (JSON lines with request and task ids), not its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Catch projections up after each commit (a beat schedule does it too, in case a message is lost).
EVENTS_CATCH_UP_AFTER_COMMIT = env.bool("EVENTS_CATCH_UP_AFTER_COMMIT", default=True)
CELERY_BEAT_SCHEDULE = {
    "projections-catch-up": {"task": "events.tasks.catch_up_projections", "schedule": 5.0},
    "publish-due-changes": {"task": "codes.tasks.publish_due_changes", "schedule": 600.0},
    "reindex-due-codes": {"task": "search.tasks.reindex_due_codes", "schedule": 600.0},
}

# --- API -----------------------------------------------------------------------------------

REST_FRAMEWORK = {
    # Problem responses and public reads documented (codeledger/openapi.py).
    "DEFAULT_SCHEMA_CLASS": "codeledger.openapi.ProblemAutoSchema",
    # Basic first: an anonymous API call then gets 401 with WWW-Authenticate, not 403.
    # A personal access token (Bearer) before the session: a script's explicit credential wins.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.lockout.LockoutBasicAuthentication",
        "accounts.tokens.PersonalAccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # JSON within 64 levels of nesting and valid Unicode (codeledger/parsers.py); forms as DRF.
    "DEFAULT_PARSER_CLASSES": [
        "codeledger.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "codeledger.problems.exception_handler",
    # Trust X-Forwarded-For only behind this many proxies (throttling keys on the client address).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_THROTTLE_RATES": {
        "search_anon": env.str("THROTTLE_ANON", default="120/min"),
        "search_user": env.str("THROTTLE_USER", default="1200/min"),
        "search_key": env.str("THROTTLE_API_KEY", default="6000/min"),
        # A check of 100 codes reads a few hundred streams, about what ten lookups cost.
        "check_anon": env.str("THROTTLE_CHECK_ANON", default="30/min"),
        "check_user": env.str("THROTTLE_CHECK_USER", default="120/min"),
        "check_key": env.str("THROTTLE_CHECK_API_KEY", default="600/min"),
        # A CasePilot answer costs a few reads, about what a search costs.
        "assistant_user": env.str("THROTTLE_ASSISTANT_USER", default="60/min"),
        "assistant_key": env.str("THROTTLE_ASSISTANT_API_KEY", default="600/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# How long an Idempotency-Key's first answer is kept for retries (codeledger/idempotency.py).
IDEMPOTENCY_KEY_SECONDS = env.int("IDEMPOTENCY_KEY_SECONDS", default=24 * 3600)

SPECTACULAR_SETTINGS = {
    "TITLE": "CodeLedger API",
    "DESCRIPTION": "Search, look up and edit medical code content; every change is an event.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "codeledger.idempotency.document_header",
    ],
}

# --- headers every answer carries, in both modes ---------------------------------------------

# A strict Content-Security-Policy (django-csp): scripts, styles and everything else from this
# site only, no inline script or style, no eval. The pages have none; htmx is told not to add
# its indicator <style> nor to eval (base.html's htmx-config); the API docs load Swagger UI's
# start-up script as a file (SpectacularSwaggerSplitView).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- production hardening (manage.py check --deploy passes with DEBUG off) -------------------

if not DEBUG:
    # `make run` (EMBEDDED) answers plain HTTP on 127.0.0.1: no redirect, no HSTS, and cookies
    # any client sends back over HTTP (scripts and bench/load.py as well as browsers).
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not EMBEDDED)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if EMBEDDED else 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = not EMBEDDED
    CSRF_COOKIE_SECURE = not EMBEDDED
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# One JSON object per line in production (LOG_FORMAT=json), with request and task ids.
LOGGING = logging_config(
    level=env.str("LOG_LEVEL", default="INFO"),
    json=env.str("LOG_FORMAT", default="plain" if EMBEDDED else "json") == "json",
)
