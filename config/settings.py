"""One settings module; behaviour is switched by the environment (see .env.example)."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.utils.translation import gettext_lazy as _

from config.env import ImproperlyConfiguredError, load

# Lets admin.ModelAdmin[Model] and friends be subscripted at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
env = load(BASE_DIR)

QOLDAU_ENV = env.string("QOLDAU_ENV", "development")
if QOLDAU_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfiguredError("QOLDAU_ENV must be development, test or production")
PRODUCTION = QOLDAU_ENV == "production"
TESTING = QOLDAU_ENV == "test"

VAR_DIR = Path(env.string("QOLDAU_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret_key() -> str:
    """A per-checkout random key kept under var/, so sessions survive restarts of the demo."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env.boolean("DEBUG", default=False)
if PRODUCTION:
    SECRET_KEY = env.require("SECRET_KEY")
    ALLOWED_HOSTS = env.strings("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfiguredError("ALLOWED_HOSTS must be set in production")
    if DEBUG:
        raise ImproperlyConfiguredError("DEBUG must be off in production")
else:
    SECRET_KEY = env.string("SECRET_KEY") or _development_secret_key()
    ALLOWED_HOSTS = env.strings("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.strings("CSRF_TRUSTED_ORIGINS")

# --- database -------------------------------------------------------------------------------
_database_url = env.string("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'qoldau.sqlite3'}"
if PRODUCTION and not _database_url.startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfiguredError("DATABASE_URL must be a PostgreSQL URL in production")
if not _database_url.startswith(("sqlite:", "postgres://", "postgresql://")):
    raise ImproperlyConfiguredError("DATABASE_URL must start with sqlite:/// or postgres://")
# A PostgreSQL connection lives as long as its thread (-1, the default; checked before each
# request reuses it): psycopg's prepared statements and PostgreSQL's cached plans live with it,
# and a new connection re-plans the router's statements for its first ten or so events at
# 2-16 ms each (ADR 0012). A number of seconds recycles connections that old.
_conn_max_age = env.integer("DATABASE_CONN_MAX_AGE", -1)
_database = dj_database_url.parse(
    _database_url, conn_max_age=None if _conn_max_age < 0 else _conn_max_age
)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing
        # with "database is locked" half-way through a transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;",
    }
else:
    # Django's backend, with savepoints that leave psycopg's prepared statements alone.
    _database["ENGINE"] = "qoldau.core.pgbackend"
    _database["CONN_HEALTH_CHECKS"] = True
    # Server-side binding lets psycopg prepare a statement after it has run a few times on a
    # connection, so PostgreSQL stops planning the router's and the intake's repeated queries
    # (planning cost more than running them). 0 turns it off, for a pooler in transaction mode
    # without prepared-statement support (PgBouncer before 1.21).
    _prepare_after = env.integer("DATABASE_PREPARE_THRESHOLD", 5)
    if _prepare_after > 0:
        _database["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": _prepare_after}
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- applications ---------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "qoldau.core",
    "qoldau.audit",
    "qoldau.accounts",
    "qoldau.workdays",
    "qoldau.policy",
    "qoldau.registry",
    "qoldau.knowledge",
    "qoldau.mail",
    "qoldau.routing",
    "qoldau.telephony",
    "qoldau.recordings",
    "qoldau.appeals",
    "qoldau.reports",
    "qoldau.web",
    "config.apps.ProjectConfig",
]

MIDDLEWARE = [
    "qoldau.core.middleware.RequestIdMiddleware",
    "qoldau.core.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qoldau.accounts.middleware.UserLanguageMiddleware",
    "qoldau.web.middleware.ZeroByteMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qoldau.web.context_processors.navigation",
            ],
        },
    },
]

# --- accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:landing"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.integer("PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "qoldau.accounts.passwords.CharacterClassValidator"},
]
if TESTING:
    # Tests create many users; a full PBKDF2 hash each is most of the suite's time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_AGE = env.integer("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- languages and time (R34, R32) ---------------------------------------------------------
LANGUAGE_CODE = "kk"
LANGUAGES = [("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English"))]
LANGUAGE_COOKIE_NAME = "qoldau_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]  # Kazakh number and date formats (Django has none)
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.string("QOLDAU_TIME_ZONE", "Asia/Almaty")

# --- static files (all vendored; no CDN) ----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at start-up when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
WHITENOISE_USE_FINDERS = not PRODUCTION
DATA_UPLOAD_MAX_MEMORY_SIZE = env.integer("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)

# --- worker (Huey) --------------------------------------------------------------------------
REDIS_URL = env.string("REDIS_URL")
HUEY = {
    "name": "qoldau",
    "immediate": TESTING or env.boolean("HUEY_IMMEDIATE", default=False),
    "results": True,
    "utc": True,
    "consumer": {"workers": env.integer("HUEY_WORKERS", 2), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY |= {"huey_class": "huey.RedisHuey", "url": REDIS_URL}
else:
    HUEY |= {"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "huey.sqlite3")}

# --- logging (JSON, personal data masked) ---------------------------------------------------
LOG_LEVEL = env.string("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_personal_data": {"()": "qoldau.core.logging.PersonalDataMaskFilter"},
        "request_id": {"()": "qoldau.core.logging.RequestIdFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id", "mask_personal_data"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # runserver's request lines (the demo) carry query strings: through the masking handler.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Handlers set here, so Huey's consumer does not add its own plain-text one.
        "huey": {
            "handlers": ["console"],
            "level": "WARNING" if TESTING else "INFO",
            "propagate": False,
        },
    },
}

# --- production hardening (`manage.py check --deploy` is clean) -----------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- e-mail (R9; docs/mail.md) -----------------------------------------------------------------
QOLDAU_MAIL_FROM = env.string("QOLDAU_MAIL_FROM", "Qoldau 1414 <noreply@qoldau.invalid>")
# Outgoing mail: SMTP in production; a Maildir under var/ in development, so the demo sends nothing.
QOLDAU_MAIL_TRANSPORT = env.string(
    "QOLDAU_MAIL_TRANSPORT",
    "qoldau.mail.adapters.smtp.SmtpTransport"
    if PRODUCTION
    else "qoldau.mail.adapters.maildir.MaildirTransport",
)
QOLDAU_MAIL_SENT_MAILDIR = env.string("QOLDAU_MAIL_SENT_MAILDIR", str(VAR_DIR / "mail" / "sent"))
QOLDAU_MAIL_CLIENTS = {
    "imap": env.string("QOLDAU_MAIL_IMAP_CLIENT", "qoldau.mail.adapters.imap.ImapMailboxClient")
}
QOLDAU_MAIL_IMAP_TIMEOUT = env.integer("QOLDAU_MAIL_IMAP_TIMEOUT", 60)
QOLDAU_MAIL_RAW_DB_MAX_BYTES = env.integer("QOLDAU_MAIL_RAW_DB_MAX_BYTES", 1048576)
QOLDAU_MAIL_OVERSIZED_BYTES = env.integer("QOLDAU_MAIL_OVERSIZED_BYTES", 10485760)
QOLDAU_MAIL_MAX_TEXT_CHARS = env.integer("QOLDAU_MAIL_MAX_TEXT_CHARS", 100000)
QOLDAU_MAIL_RETRY_SECONDS = env.integer("QOLDAU_MAIL_RETRY_SECONDS", 60)
QOLDAU_MAIL_AUTO_REPLY_LIMIT = env.integer("QOLDAU_MAIL_AUTO_REPLY_LIMIT", 5)
QOLDAU_SMTP_HOST = env.string("QOLDAU_SMTP_HOST", "127.0.0.1")
QOLDAU_SMTP_PORT = env.integer("QOLDAU_SMTP_PORT", 25)
QOLDAU_SMTP_SECURITY = env.string("QOLDAU_SMTP_SECURITY", "starttls")
QOLDAU_SMTP_USER = env.string("QOLDAU_SMTP_USER", "")
QOLDAU_SMTP_PASSWORD = env.string("QOLDAU_SMTP_PASSWORD", "")
QOLDAU_SMTP_TIMEOUT = env.integer("QOLDAU_SMTP_TIMEOUT", 30)
QOLDAU_OUTBOX_MAX_ATTEMPTS = env.integer("QOLDAU_OUTBOX_MAX_ATTEMPTS", 10)
QOLDAU_OUTBOX_BACKOFF_SECONDS = env.integer("QOLDAU_OUTBOX_BACKOFF_SECONDS", 60)
QOLDAU_OUTBOX_BACKOFF_MAX_SECONDS = env.integer("QOLDAU_OUTBOX_BACKOFF_MAX_SECONDS", 21600)
QOLDAU_OUTBOX_LEASE_SECONDS = env.integer("QOLDAU_OUTBOX_LEASE_SECONDS", 300)

# --- appeals (R8-R15; docs/appeals.md) ---------------------------------------------------------
TELEPHONY_WEBHOOK_SECRETS = env.strings("TELEPHONY_WEBHOOK_SECRETS", [])
TELEPHONY_WEBHOOK_TOLERANCE_SECONDS = env.integer("TELEPHONY_WEBHOOK_TOLERANCE_SECONDS", 300)
ROUTING_WRAP_UP_SECONDS = env.integer("ROUTING_WRAP_UP_SECONDS", 10)
TELEPHONY_CONTROL = env.string("TELEPHONY_CONTROL", "")
TELEPHONY_CONTROL_URL = env.string("TELEPHONY_CONTROL_URL", "")
TELEPHONY_CONTROL_TIMEOUT_SECONDS = env.integer("TELEPHONY_CONTROL_TIMEOUT_SECONDS", 5)
APPEALS_NUMBER_PREFIX = env.string("APPEALS_NUMBER_PREFIX", "1414")
APPEALS_RATING_LINK_DAYS = env.integer("APPEALS_RATING_LINK_DAYS", 30)
QOLDAU_PUBLIC_URL = env.string("QOLDAU_PUBLIC_URL", "http://127.0.0.1:8000")
APPEALS_ATTACHMENT_MAX_BYTES = env.integer("APPEALS_ATTACHMENT_MAX_BYTES", 10485760)
APPEALS_ATTACHMENT_MAX_COUNT = env.integer("APPEALS_ATTACHMENT_MAX_COUNT", 10)
APPEALS_PUBLIC_RATE_LIMIT = env.integer("APPEALS_PUBLIC_RATE_LIMIT", 5)
APPEALS_PUBLIC_RATE_WINDOW = env.integer("APPEALS_PUBLIC_RATE_WINDOW", 3600)
APPEALS_ACK_PER_SENDER_PER_HOUR = env.integer("APPEALS_ACK_PER_SENDER_PER_HOUR", 3)
APPEALS_IDEMPOTENCY_KEY_HOURS = env.integer("APPEALS_IDEMPOTENCY_KEY_HOURS", 48)
# The API intake's group commit (ADR 0007): one transaction for the requests waiting at once.
APPEALS_INTAKE_GROUP_COMMIT = env.boolean("APPEALS_INTAKE_GROUP_COMMIT", default=True)
APPEALS_INTAKE_BATCH_MAX = env.integer("APPEALS_INTAKE_BATCH_MAX", 64)
APPEALS_INTAKE_WAIT_SECONDS = env.integer("APPEALS_INTAKE_WAIT_SECONDS", 60)
# Committer threads per web process on PostgreSQL (ADR 0011): two overlap one batch's writing
# with the next one's gathering. SQLite always has one.
APPEALS_INTAKE_COMMITTERS = env.integer("APPEALS_INTAKE_COMMITTERS", 2)
# Per-process caches of the intake's hot path (ADR 0007): an API key found by its hash, and the
# deadline rule in force per (rule, local date). Revocations and rule edits reach other processes
# within these many seconds; 0 turns a cache off.
ACCOUNTS_API_KEY_CACHE_SECONDS = env.integer("ACCOUNTS_API_KEY_CACHE_SECONDS", 5)
POLICY_DUE_CACHE_SECONDS = env.integer("POLICY_DUE_CACHE_SECONDS", 30)
APPEALS_OVERDUE_NOTIFY_EMAIL = env.string("APPEALS_OVERDUE_NOTIFY_EMAIL", "")
APPEALS_MONITORING_ADAPTER = env.string(
    "APPEALS_MONITORING_ADAPTER", "qoldau.appeals.adapters.monitoring_demo.DemoMonitoring"
)
APPEALS_MONITORING_URL = env.string("APPEALS_MONITORING_URL", "")
APPEALS_MONITORING_TOKEN = env.string("APPEALS_MONITORING_TOKEN", "")
APPEALS_MONITORING_TIMEOUT = env.integer("APPEALS_MONITORING_TIMEOUT", 5)

# --- telephony (R16; docs/telephony-ami.md) --------------------------------------------------
# The Asterisk manager interface that `qoldau ami` listens to: the manager.conf user Qoldau logs
# in as, and the dialplan contexts whose extensions are queue names (a transfer there is a
# transfer to a queue).
TELEPHONY_AMI_HOST = env.string("TELEPHONY_AMI_HOST", "127.0.0.1")
TELEPHONY_AMI_PORT = env.integer("TELEPHONY_AMI_PORT", 5038)
TELEPHONY_AMI_USERNAME = env.string("TELEPHONY_AMI_USERNAME", "")
TELEPHONY_AMI_SECRET = env.string("TELEPHONY_AMI_SECRET", "")
TELEPHONY_AMI_QUEUE_CONTEXTS = env.strings("TELEPHONY_AMI_QUEUE_CONTEXTS", ["qoldau-queues"])
# --- recordings (R17; docs/recordings.md) ------------------------------------------------------
# The store behind the port (qoldau.recordings.ports): local files by default, S3 in production.
RECORDINGS_STORAGE_ADAPTER = env.string(
    "RECORDINGS_STORAGE_ADAPTER", "qoldau.recordings.adapters.local.LocalRecordingStore"
)
RECORDINGS_STORAGE_ROOT = env.string("RECORDINGS_STORAGE_ROOT", str(VAR_DIR / "recordings"))
RECORDINGS_S3_ENDPOINT_URL = env.string("RECORDINGS_S3_ENDPOINT_URL", "")
RECORDINGS_S3_BUCKET = env.string("RECORDINGS_S3_BUCKET", "")
RECORDINGS_S3_ACCESS_KEY = env.string("RECORDINGS_S3_ACCESS_KEY", "")
RECORDINGS_S3_SECRET_KEY = env.string("RECORDINGS_S3_SECRET_KEY", "")
RECORDINGS_S3_REGION = env.string("RECORDINGS_S3_REGION", "us-east-1")
# Folders the PBX's file:// recordings may be read from (nothing else on the disk is read).
RECORDINGS_PBX_LOCAL_ROOTS = env.strings("RECORDINGS_PBX_LOCAL_ROOTS", [str(VAR_DIR / "pbx")])
RECORDINGS_FETCH_TIMEOUT = env.integer("RECORDINGS_FETCH_TIMEOUT", 30)
RECORDINGS_FETCH_MAX_BYTES = env.integer("RECORDINGS_FETCH_MAX_BYTES", 524288000)
# How long a delivered recording stays downloadable for the requesting body, in hours.
RECORDINGS_DELIVERY_HOURS = env.integer("RECORDINGS_DELIVERY_HOURS", 72)
RECORDINGS_REQUEST_DOCUMENT_MAX_BYTES = env.integer(
    "RECORDINGS_REQUEST_DOCUMENT_MAX_BYTES", 10485760
)
# The public form's rate limit counts in the cache: with several processes use a shared one.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- product settings ------------------------------------------------------------------------
# Rules p.20: 3 working days in the Russian/English text, 5 in the Kazakh 2023 text (see
# docs/adr/0002-rules-p20-discrepancy.md). The policy table holds both; this picks one.
QOLDAU_P20_TEXT = env.string("QOLDAU_P20_TEXT", "kk")
# Who may read /metrics without signing in: a comma-separated list of client addresses.
# In production nobody by default: behind a reverse proxy on the same host every request would
# come from loopback. Set it to the Prometheus server's address.
METRICS_ALLOWED_IPS = env.strings("METRICS_ALLOWED_IPS", [] if PRODUCTION else ["127.0.0.1", "::1"])
WORKDAYS_FIRST_YEAR = 2016
