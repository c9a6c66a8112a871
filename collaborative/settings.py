"""Settings for the AMHE collaborative platform.

One module for every environment: everything that differs between a laptop,
CI and production comes from environment variables. With none set, the app
runs embedded: SQLite, Celery tasks run inline, the cache in the database and
email printed to the console.
"""

import os
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


TESTING = "pytest" in sys.modules or env_bool("TESTING")
DEBUG = env_bool("DEBUG", default=False)

# A fixed key is only acceptable for local runs and tests; production must set one.
_DEV_SECRET_KEY = "django-insecure-local-development-key-not-for-production-use"
SECRET_KEY = os.environ.get("SECRET_KEY") or _DEV_SECRET_KEY
if SECRET_KEY == _DEV_SECRET_KEY and not (DEBUG or TESTING):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "Advancing mental health equality collaborative"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "organisations",
    "collaborative",
    "qi_projects",
    "measures",
    "qi_projects.pdsa",
    "learning_sets",
    "evaluation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "collaborative.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "organisations.middleware.OrganisationScopeMiddleware",
]

ROOT_URLCONF = "collaborative.urls"
WSGI_APPLICATION = "collaborative.wsgi.application"
ASGI_APPLICATION = "collaborative.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "organisations.context_processors.navigation",
            ],
        },
    },
]

FORM_RENDERER = "collaborative.forms.NHSFormRenderer"

# --- Database ---------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, broker, Celery --------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")


def _cache_location(url: str) -> str:
    """Under pytest-xdist each test worker keeps its cache in its own Redis database (the next
    ones after REDIS_URL's), so one worker emptying its cache between tests leaves the others' alone."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "") if TESTING else ""
    if not worker.startswith("gw"):
        return url
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    db = (int(parts.path.strip("/") or 0) + 1 + int(worker[2:])) % 16
    return urlunsplit(parts._replace(path=f"/{db}"))


if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_location(REDIS_URL),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    # allauth's rate limits need a cache every process shares: the database is one.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
            # Dashboards keep a chart and a summary per measure and stratum: the default 300 entries
            # would be culled on every page of the evaluation area.
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL) or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Beat runs in UTC; what is due in UK local time (a deadline, Monday 08:00) is worked out
# by the reminder sources (organisations.clock), which the frequent tick asks.
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
REMINDER_TICK_SECONDS = int(os.environ.get("REMINDER_TICK_SECONDS", 300))
CELERY_BEAT_SCHEDULE = {
    "send-due-reminders": {
        "task": "collaborative.tasks.send_due_reminders",
        "schedule": float(REMINDER_TICK_SECONDS),
        # A tick nobody ran in time is dropped: the next one finds the same work in the database.
        "options": {"expires": float(REMINDER_TICK_SECONDS)},
    }
}
# How long a worker's claim on a delivery holds before another may take it (a worker killed mid-send).
REMINDER_CLAIM_SECONDS = int(os.environ.get("REMINDER_CLAIM_SECONDS", 600))
# A message a dead worker held goes back to the queue after this long (acks_late tasks are redelivered).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", 3600))}
CELERY_BROKER_CONNECTION_TIMEOUT = 2

# --- Email ------------------------------------------------------------------


def _mailers(url: str) -> dict:
    """Read EMAIL_URL: smtp://user:pass@host:587/?tls=true, smtps://..., console: or locmem:."""
    if not url:
        return {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"console", "locmem", "dummy"}:
        return {"default": {"BACKEND": f"django.core.mail.backends.{scheme}.EmailBackend"}}
    if scheme not in {"smtp", "smtps"}:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"EMAIL_URL scheme {scheme!r} is not supported (use smtp, smtps or console).")
    query = parse_qs(parts.query)
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": parts.hostname or "localhost",
                "port": parts.port or (465 if scheme == "smtps" else 25),
                "username": unquote(parts.username or ""),
                "password": unquote(parts.password or ""),
                "use_ssl": scheme == "smtps",
                "use_tls": query.get("tls", ["false"])[0].lower() in {"1", "true", "yes"},
                "timeout": 10,
            },
        }
    }


MAILERS = _mailers(os.environ.get("EMAIL_URL", ""))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "AMHE collaborative <noreply@amhe.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Authentication (django-allauth) ----------------------------------------
AUTH_USER_MODEL = "organisations.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing dominates test time; the real hasher is exercised in production.
    # PBKDF2 is still accepted: seed_bench hashes with it, so `make loadtest` (production settings) can sign in.
    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "organisations.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
# How many proxies in front of the app append to X-Forwarded-For: the sign-in rate limits count the
# address that many from the end. 0 (the default) trusts no header and counts REMOTE_ADDR; set it to
# the number of load balancers you run behind. `make loadtest` sets 1 and gives each simulated user
# an address of its own, as a load balancer would pass on.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "AMHE collaborative"

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    # Uploads go through Django's storage API. Replicas on several hosts need shared storage:
    # a shared MEDIA_ROOT volume, or another backend named here (for example an S3 backend).
    "default": {"BACKEND": os.environ.get("STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not (DEBUG or TESTING)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
DATA_UPLOAD_MAX_MEMORY_SIZE = 11 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Security ---------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    # plotly positions chart parts with style attributes; <style> elements still need the nonce.
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not TESTING)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = not TESTING
    CSRF_COOKIE_SECURE = not TESTING
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs each rendering step at INFO; only its warnings belong in the log.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
