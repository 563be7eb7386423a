"""Safeguard settings: one module, driven by environment variables.

With no variables set this is the *embedded default*: SQLite and a filesystem
Celery broker under ``var/``, email printed to the console, DEBUG on. Nothing
else needs to be installed or running.

With ``DJANGO_ENV=production`` every secret and every external service must be
given explicitly (``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DATABASE_URL``,
``CELERY_BROKER_URL``, ``EMAIL_URL``); a missing one stops start-up rather than
falling back to something insecure. See ``.env.example`` and the README.
"""

import datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is a convenience for development; production injects real variables.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}."
    )
PRODUCTION = DJANGO_ENV == "production"


def _required(name: str) -> None:
    if PRODUCTION and not env.str(name, default=""):
        raise ImproperlyConfigured(
            f"{name} must be set when DJANGO_ENV=production (see .env.example)."
        )


for _name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL"):
    _required(_name)

# Where the embedded default keeps its SQLite file, broker folders and beat state.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must not be on when DJANGO_ENV=production.")

# The development key is only ever used on a developer's machine; production
# refuses to start without its own (checked above).
SECRET_KEY = env.str(
    "SECRET_KEY", default="django-insecure-development-only-key-not-for-production"
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# The port `make run PORT=...` serves on; honcho gives it to the web process and
# the worker alike, and both send emails, so both link to the same port.
DEV_PORT = env.int("SAFEGUARD_PORT", default=8000)
# Where links in emails point: the address staff and parents reach the portal on.
SITE_URL = env.str(
    "SITE_URL",
    default=f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION else f"http://127.0.0.1:{DEV_PORT}",
).rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Believe X-Forwarded-For / -Proto only behind a proxy we were told about; otherwise a
# client could pick its own IP address for the lockout counter and the audit log.
TRUST_PROXY_HEADERS = env.bool("TRUST_PROXY_HEADERS", default=False)

INSTALLED_APPS = [
    # One app per domain, in the order they may depend on one another
    # (an app imports only those above it). "accounts" keeps the app label
    # "safeguard" so the user model and its tables need no move.
    "common",
    "audit",
    "outbox",
    "accounts",
    "notices",
    "children",
    "compliance",
    "records",
    "policies",
    "consent",
    "practice",
    "supervision",
    "incidents",
    "allegations",
    "dashboard",
    "ops",
    "accounts.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "two_factor",
    "axes",
    "guardian",
    "django_filters",
    "simple_history",
    "pgtrigger",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language chosen (a cookie), else English; parents' pages fall back to
    # their organisation's default instead (common.i18n.parent_language).
    "common.i18n.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The client's address for the audit log, so services need not take the request.
    "audit.middleware.AuditContextMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.OrganisationTimezoneMiddleware",
    # Deny by default: every view needs a signed-in user unless marked
    # login_not_required, and a verified second factor unless marked otherwise.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.middleware.SecondFactorRequiredMiddleware",
    # A child's record refused until the code of conduct and system training are done.
    "accounts.middleware.InductionMiddleware",
    # Records who made each change kept in a child's or guardian's field history.
    "simple_history.middleware.HistoryRequestMiddleware",
    # A read chosen as a deadlock's victim is served again, never a 500.
    "common.middleware.RetryDeadlockedReadsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.SecurityHeadersMiddleware",
    # Last, so it sees every response and can turn a lockout into its own page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "safeguard.urls"
WSGI_APPLICATION = "safeguard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notices.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
if not env.str("DATABASE_URL", default=""):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction starts, not half-way through it, so
    # concurrent writers (web, worker, audit appends) wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The same backends, with one hook: a transaction's audit events are chained just
# before it commits, so the chain's head is the last lock it takes (audit.backends).
_primary_engine = DATABASES["default"]["ENGINE"]
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.postgresql": "audit.backends.postgresql",
    "django.db.backends.sqlite3": "audit.backends.sqlite3",
}.get(_primary_engine, _primary_engine)
# A read replica, a few seconds behind the primary: only the dashboard, its tables
# and the board report read from it (common.db_router; docs/operations.md).
if env.str("DATABASE_REPLICA_URL", default=""):
    _replica = env.db_url("DATABASE_REPLICA_URL")
    if _replica["ENGINE"] != _primary_engine:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must be a copy of DATABASE_URL's database, "
            f"not a {_replica['ENGINE']} one."
        )
    # The plain backend: the audit backend's hook chains the events a transaction
    # recorded as it commits, and nothing ever records or commits on a replica.
    _replica["ATOMIC_REQUESTS"] = False
    if _primary_engine == "django.db.backends.postgresql":
        _replica["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
        _replica["CONN_HEALTH_CHECKS"] = True
        # Read-only even when the URL names a server that would take writes (CI
        # points it at the primary): a write routed here by mistake fails loudly.
        _options = _replica.setdefault("OPTIONS", {})
        _options["options"] = (
            f"{_options.get('options', '')} -c default_transaction_read_only=on".strip()
        )
    # Under test the replica is the test database itself, reached by a second connection.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["common.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ---------------------------------------------------------------------
AUTH_USER_MODEL = "safeguard.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out user before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Object permissions: a child is visible to the staff it is allocated to.
    "guardian.backends.ObjectPermissionBackend",
]
# Safeguard has no anonymous user with permissions; parents use signed links.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Audit events are chained with HMAC-SHA256 under this key, so someone who can
# write to the database but not read the server's settings cannot forge a chain.
# Keep it stable: a new key makes older events fail verification. Defaults to a
# key derived from SECRET_KEY.
AUDIT_CHAIN_KEY = env.str("AUDIT_CHAIN_KEY", default="")
# Who receives the audit chain's signed checkpoints (audit.checkpoints) by email;
# ADMINS when empty. Keep the emails: they are a copy of the chain's head that
# nobody with the database alone can change.
OPERATORS = env.list("OPERATORS", default=[])
# Consent that runs out within this many days is asked for again automatically.
CONSENT_RENEWAL_DAYS = env.int("CONSENT_RENEWAL_DAYS", default=21)
# A parent's link to see and withdraw consent stops working after this many days unused.
CONSENT_MANAGE_LINK_IDLE_DAYS = env.int("CONSENT_MANAGE_LINK_IDLE_DAYS", default=90)
# Per client address (django-ratelimit, in the cache below): asking for a new
# manage link, and opening a parent's link whose token matches nothing (guessing).
CONSENT_LINK_REQUEST_RATE = env.str("CONSENT_LINK_REQUEST_RATE", default="5/h")
CONSENT_LINK_GUESS_RATE = env.str("CONSENT_LINK_GUESS_RATE", default="20/h")
# Invitation links expire after 72 hours (the invitation token generator's timeout).
INVITATION_TIMEOUT_SECONDS = 72 * 3600

# Sessions: 30 minutes idle, 12 hours at most (SessionTimeoutMiddleware), and gone
# when the browser closes, because staff often share a computer.
SESSION_IDLE_TIMEOUT_SECONDS = 30 * 60
SESSION_ABSOLUTE_TIMEOUT_SECONDS = 12 * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Two-factor authentication (django-otp, django-two-factor-auth).
OTP_TOTP_ISSUER = "Safeguard"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Belt and braces: accounts/admin.py replaces django-otp's admin with read-only
# pages that never show a key or a backup code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
TWO_FACTOR_REMEMBER_COOKIE_AGE = None  # never skip the second factor
TWO_FACTOR_LOGIN_TIMEOUT = 600
BACKUP_CODE_COUNT = 10
# How long a password or code given at sign-in, or asked for again, lets someone
# change how they sign in (accounts.recent_auth).
RECENT_AUTH_SECONDS = 5 * 60
# Passkeys (django-otp-webauthn) are a second factor only, beside the authenticator
# app: a passkey never replaces the password. The relying party ID is the bare
# host name browsers scope a passkey to; changing it orphans every passkey.
# Browsers refuse an IP address as one, so development uses localhost.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = "Safeguard"
OTP_WEBAUTHN_RP_ID = env.str(
    "WEBAUTHN_RP_ID", default=urlsplit(SITE_URL).hostname if PRODUCTION else "localhost"
)
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "WEBAUTHN_ORIGINS", default=[SITE_URL] if PRODUCTION else [f"http://localhost:{DEV_PORT}"]
)

# Brute force (django-axes): 5 failed passwords for one email from one address
# lock that pair for 30 minutes; so do 20 for any emails from one address (one
# password tried against many accounts). Axes has one failure limit; the handler
# (accounts.lockout) gives the address its own.
AXES_HANDLER = "accounts.lockout.SignInLockoutHandler"
AXES_FAILURE_LIMIT = 5
SIGN_IN_ADDRESS_FAILURE_LIMIT = 20
AXES_COOLOFF_TIME = datetime.timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], ["ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_CALLABLE = "common.requests.sign_in_email"
AXES_CLIENT_IP_CALLABLE = "common.requests.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password", "auth-password", "otp_token", "token-otp_token"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -----------------------------------------------------------
LANGUAGE_CODE = "en-gb"
# Parents' pages, emails and PDFs come in both; the staff interface is marked for
# translation too. Each organisation sets the language its parents see first.
# Each app keeps its own catalogue (<app>/locale/cy/LC_MESSAGES/django.po).
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = PRODUCTION
# Stored times are UTC; each organisation's own timezone is applied on display
# and when deciding what is due.
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------
STATIC_URL = "static/"
# Only production collects static files; development serves them from the finders.
# STATIC_ROOT moves it elsewhere (a test collects into a temporary folder).
STATIC_ROOT = (
    Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))) if PRODUCTION else None
)
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Uploaded files -------------------------------------------------------------------
# The embedded default keeps uploads under MEDIA_ROOT. STORAGE_URL
# (s3://BUCKET?endpoint_url=...&region_name=...), or AWS_STORAGE_BUCKET_NAME with
# django-storages' other AWS_* variables, puts them in an S3-compatible bucket
# instead, so every web server and worker sees the same files. Credentials come
# from boto3's own chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or the
# instance's role), never from the URL.
_STORAGE_URL_OPTIONS = {"endpoint_url", "region_name", "addressing_style", "signature_version"}


def _bucket_storage() -> dict[str, object] | None:
    url = env.str("STORAGE_URL", default="")
    if url:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        if parts.scheme != "s3" or not parts.hostname or parts.username or parts.password:
            raise ImproperlyConfigured(
                "STORAGE_URL must be s3://BUCKET?endpoint_url=...&region_name=... "
                "(credentials go in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)."
            )
        unknown = set(query) - _STORAGE_URL_OPTIONS
        if unknown:
            raise ImproperlyConfigured(f"STORAGE_URL has unknown options: {sorted(unknown)}.")
        options: dict[str, object] = {"bucket_name": parts.hostname, **query}
        if parts.path.strip("/"):
            options["location"] = parts.path.strip("/")
    elif env.str("AWS_STORAGE_BUCKET_NAME", default=""):
        options = {}  # django-storages reads its AWS_* settings, set below
    else:
        return None
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **options,
            # Private: no ACL that could make an object public (the bucket must block
            # public access), and any URL ever made is signed and short-lived. The
            # portal itself never hands out URLs: downloads stream through a view
            # that checked permission and wrote an audit event.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 60,
            "custom_domain": None,
            # A name already taken gets a new one: an upload never replaces another.
            "file_overwrite": False,
        },
    }


for _name in (
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_S3_ADDRESSING_STYLE",
    "AWS_S3_SIGNATURE_VERSION",
    "AWS_LOCATION",
):
    if env.str(_name, default=""):
        vars()[_name] = env.str(_name)

STORAGES = {
    "default": _bucket_storage() or {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
    # The audit chain's signed checkpoints: point AUDIT_CHECKPOINT_DIR at storage
    # that is not on the database's disk (docs/operations.md).
    "audit_checkpoints": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env.str("AUDIT_CHECKPOINT_DIR", default=str(VAR_DIR / "audit-checkpoints"))
        },
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# --- Email ----------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
if env.str("EMAIL_URL", default="").startswith("filemail:///"):
    # django-environ drops the leading slash of an absolute path; put it back.
    EMAIL_FILE_PATH = env.str("EMAIL_URL").removeprefix("filemail://")
# Never wait forever on a mail server: reminder sends hold row locks while they talk.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Safeguard <no-reply@safeguard.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "celery" / "broker"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _control_dir = VAR_DIR / "celery" / "control"
    for _dir in (_broker_dir, _processed_dir, _control_dir):
        _dir.mkdir(parents=True, exist_ok=True)
    # One folder for in and out: producers and the worker share it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
        # Otherwise kombu writes its control files into the current directory.
        "control_folder": str(_control_dir),
    }
else:
    # Longer than the hard time limit, so a slow task is never handed to a second
    # worker while the first is still running it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# One queue unless told otherwise; tests give each real worker a queue of its own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
# A page that queues a task must not hang when the broker is down: give up quickly
# (queue.py then falls back) instead of Celery's default of retrying for longer.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
# Tasks are written to be safe to run twice, so a task whose worker dies mid-way
# is redelivered rather than lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")

# --- Cache -----------------------------------------------------------------------
# Rate-limit counters live here, so every web process must share it: Redis in
# production (the broker's server unless CACHE_URL says otherwise; Django's own
# backend, whose increments are atomic). The embedded default is one process,
# so its memory does. (django_ratelimit is not an installed app: its system check
# would call both of these unsupported, only because they are not on its list.)
_cache_url = env.str("CACHE_URL", default="")
if not _cache_url and PRODUCTION and CELERY_BROKER_URL.startswith("redis://"):
    _cache_url = CELERY_BROKER_URL
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Security ----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# No inline script or style anywhere: everything the pages run is a static file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Only believe X-Forwarded-Proto when we are told a proxy sets it; otherwise
    # any client could claim to be on HTTPS.
    if TRUST_PROXY_HEADERS:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # /healthz is polled over plain HTTP from inside the container network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Logging ---------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"mask_link_tokens": {"()": "safeguard.logging.MaskLinkTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_link_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Axes announces itself on every start; lockouts are in our audit log.
        "axes": {"level": "WARNING"},
    },
}
