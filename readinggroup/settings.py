"""Settings for readinggroup: one file, everything environment-dependent read from os.environ.

Local development (DJANGO_DEBUG=1) gets safe defaults; anything else refuses to start without
DJANGO_SECRET_KEY. See .env.example for every variable; a `.env` file beside manage.py (or the
file DJANGO_ENV_FILE names) fills in what the environment does not set.
"""

import datetime
import os
import sys
import urllib.parse
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent


def read_env_file():
    """Variables from DJANGO_ENV_FILE, else from `.env` beside manage.py when there is one; a
    variable already in the environment keeps its value. Under pytest (which sets
    PYTEST_VERSION for its run and every process the run starts) only DJANGO_ENV_FILE is read:
    a developer's `.env` must not point the tests at their own database or turn DEBUG on."""
    named = os.environ.get("DJANGO_ENV_FILE", "")
    if named:
        if not Path(named).is_file():
            raise ImproperlyConfigured(f"DJANGO_ENV_FILE names no file: {named}")
        load_dotenv(named, override=False)
    elif "PYTEST_VERSION" not in os.environ and (BASE_DIR / ".env").is_file():
        load_dotenv(BASE_DIR / ".env", override=False)


read_env_file()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    """An empty value (`NAME=` in .env) is the default, as it is for env_bool."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_int_item(name: str, value: str) -> int:
    """One item of a comma-separated list of whole numbers (env_list)."""
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ImproperlyConfigured(
            f"{name} must be whole numbers of seconds, comma-separated, not {value!r}."
        )
    return number


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set unless DJANGO_DEBUG=1 (local development)."
        )
    SECRET_KEY = "insecure-local-development-only"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "readinggroup.apps.ReadingGroupAdminConfig",  # django.contrib.admin with our AdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_tasks",
    "django_tasks_db",
    "readinggroup",
    "core",
    "syllabus",
    "sections",
    "attendance",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body (the CSRF check reads the form).
    "readinggroup.middleware.RequestBodySizeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "readinggroup.middleware.PasswordChangeRequiredMiddleware",
    "readinggroup.middleware.NulCharactersMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "readinggroup.middleware.PrivateResponsesMiddleware",
    "readinggroup.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "readinggroup.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "readinggroup.context_processors.site",
                "attendance.context_processors.attendance_link",
            ],
        },
    },
    {
        # The hottest fragments only (core/jinja2.py); pages are Django templates.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "core.jinja2.environment"},
    },
]

WSGI_APPLICATION = "readinggroup.wsgi.application"

DATABASES = {
    # An empty DATABASE_URL (`DATABASE_URL=` in .env) is the SQLite file too.
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several server processes share one file. A transaction takes the write lock when it
    # begins and waits up to 20 s for it, rather than failing with "database is locked" when
    # two roster saves meet halfway (the load test saw 503s without this); WAL lets pages be
    # read while someone writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def cache_from_url(url: str) -> dict:
    """CACHE_URL: empty → per-process local memory; redis://… → Redis; memcached://host:port;
    dummy:// → no caching at all (to measure pages uncached)."""
    if not url:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if url == "dummy://":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if url.startswith("memcached://"):
        return {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": url.removeprefix("memcached://"),
        }
    raise ImproperlyConfigured(
        f"CACHE_URL must start with redis://, memcached:// or be dummy://, not {url!r}"
    )


CACHES = {"default": cache_from_url(os.environ.get("CACHE_URL", ""))}

# Request size limits, chosen deliberately (a request over them gets the 400 page, which says
# so). Fields: a roster posts two per member, so 2,500 fields take a roster of 1,200 members
# (Django's default of 1,000 stops at about 490). Memory: the paper import takes 200,000
# characters, up to 2.4 MB once a browser has URL-encoded them, so 5 MiB leaves it room to
# show its own message next to the field when a paste is somewhat over its limit.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2_500
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Django's limits leave out files: a multipart body's files are streamed to disk whatever their
# size (FILE_UPLOAD_MAX_MEMORY_SIZE only decides memory or disk). No page takes a file, so the
# whole body, files included, is capped at the same 5 MiB by its Content-Length before anything
# reads it (RequestBodySizeMiddleware).
REQUEST_BODY_MAX_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# Email (docs/email.md). EMAIL_URL names the SMTP server in one variable:
#   smtp+tls://user:password@smtp.example.edu:587   STARTTLS (also submission://; port 587)
#   smtps://user:password@smtp.example.edu:465      TLS from the start (also smtp+ssl://)
#   smtp://127.0.0.1:25                             plain SMTP, e.g. a local relay
#   console://                                      print every message on stdout
# (user and password percent-encoded; ?timeout=N in seconds). Without it, DJANGO_EMAIL_HOST
# with DJANGO_EMAIL_PORT, _HOST_USER, _HOST_PASSWORD, _USE_TLS does the same. Local development
# without either prints mail on the console. EMAIL_CONFIGURED says whether mail can go: until it
# can, no page offers to send any (the password reset tells people to ask an organizer instead).
# Mail is never sent by a web request: it is queued in the outbox (core/outbox.py) and sent by
# `manage.py email_worker`.
EMAIL_SCHEMES = {
    "smtp": {"port": 25},
    "smtp+tls": {"port": 587, "use_tls": True},
    "submission": {"port": 587, "use_tls": True},
    "smtps": {"port": 465, "use_ssl": True},
    "smtp+ssl": {"port": 465, "use_ssl": True},
}


def email_from_url(url: str) -> dict:
    """The EMAIL_* settings an EMAIL_URL stands for (see above)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend", "EMAIL_HOST": ""}
    scheme = EMAIL_SCHEMES.get(parts.scheme)
    if scheme is None or not parts.hostname:
        raise ImproperlyConfigured(
            "EMAIL_URL must look like smtp+tls://user:password@host:587 (schemes: "
            f"{', '.join(EMAIL_SCHEMES)}, console), not {parts.scheme or url!r}://…"
        )
    try:
        port = parts.port or scheme["port"]
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has a port that is not a number.") from None
    query = urllib.parse.parse_qs(parts.query)
    settings = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": urllib.parse.unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": urllib.parse.unquote(parts.password or ""),
        "EMAIL_USE_TLS": scheme.get("use_tls", False),
        "EMAIL_USE_SSL": scheme.get("use_ssl", False),
    }
    if "timeout" in query:
        try:
            settings["EMAIL_TIMEOUT"] = int(query["timeout"][0])
        except ValueError:
            raise ImproperlyConfigured("EMAIL_URL's timeout must be whole seconds.") from None
    return settings


# A slow SMTP server must not hold the worker (and, on SQLite, the database's write lock, which
# the worker holds while it sends one message) for long: 10 s per SMTP operation at most.
EMAIL_TIMEOUT = 10
EMAIL_URL = os.environ.get("EMAIL_URL", "")
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "")
if EMAIL_URL:
    _email = email_from_url(EMAIL_URL)
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"]
    if EMAIL_HOST:
        EMAIL_PORT = _email["EMAIL_PORT"]
        EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
        EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
        EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
        EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
        EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT", EMAIL_TIMEOUT)
elif EMAIL_HOST:
    EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", True)
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL") or "webmaster@localhost"
EMAIL_CONFIGURED = bool(EMAIL_URL or EMAIL_HOST) or DEBUG
# A meeting's members are emailed this long after its first change; further changes by then go
# into the same email, and one that undoes them all sends nothing (docs/notifications.md).
MEETING_CHANGE_EMAIL_DELAY = datetime.timedelta(minutes=10)
# The outbox's retries (core/tasks.py): a message that the SMTP server refused, or that could
# not reach it, is tried again after each of these delays in seconds; once they are used up it
# is kept as failed, for organizers to see in the admin. Default: 1 min, 5 min, 30 min, 2 h,
# 12 h (six tries over about 15 hours).
OUTBOX_RETRY_DELAYS = [
    env_int_item("DJANGO_EMAIL_RETRY_DELAYS", item)
    for item in env_list("DJANGO_EMAIL_RETRY_DELAYS", "60,300,1800,7200,43200")
]

# The task engine (django-tasks, the backport of Django 6's Tasks, with django-tasks-db's
# database backend): queueing a task writes a row; `manage.py email_worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The name shown in the header when no term is in view.
SITE_NAME = os.environ.get("READINGGROUP_SITE_NAME") or "Reading group"

# HTTPS. DJANGO_HTTPS=1 in production: secure cookies, redirect to https, HSTS.
HTTPS = env_bool("DJANGO_HTTPS")

# The site's own address, for links in emails sent outside a request (meeting changes,
# reminders, a place that opened on a waiting list): READINGGROUP_SITE_URL, else (DEBUG) the
# address `make run` serves on, else the first allowed host (https with DJANGO_HTTPS).
_FIRST_HOST = next((h for h in ALLOWED_HOSTS if h != "*" and not h.startswith(".")), "localhost")
SITE_URL = (
    os.environ.get("READINGGROUP_SITE_URL")
    or ("http://127.0.0.1:8000" if DEBUG else f"{'https' if HTTPS else 'http'}://{_FIRST_HOST}")
).rstrip("/")
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = HTTPS and env_bool("DJANGO_SSL_REDIRECT", True)
# Load balancers probe the backend's health check over plain HTTP: it is not redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# DJANGO_BEHIND_TLS_PROXY=1: every request comes through a TLS-terminating proxy, which sets
# X-Forwarded-Proto (stripping the client's own) and appends the address that connected to it to
# X-Forwarded-For. DJANGO_PROXY_COUNT: how many such proxies are chained (a load balancer in
# front of nginx is two).
BEHIND_TLS_PROXY = env_bool("DJANGO_BEHIND_TLS_PROXY")
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 1)
if PROXY_COUNT < 1:
    raise ImproperlyConfigured("DJANGO_PROXY_COUNT must be 1 or more.")
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy (django-csp): nothing inline, nothing from another host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Login throttling (django-axes): 5 failures for one user name from one client address lock that
# user name out *from that address* for 15 minutes (other addresses can still log in as it); a
# success resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading the user with its roles (the header's menu) in one query.
    "attendance.backends.ModelBackend",
    # Members sign in with a link sent by email (django-sesame, see docs/members.md); the same.
    "attendance.backends.SesameBackend",
    # The two those replace: sessions made with them before stay valid (the session names the
    # backend that loads its user). They are asked after the others, so they log no one in
    # (only a failed password is checked twice); drop them once MEMBER_SESSION_AGE has gone by.
    "django.contrib.auth.backends.ModelBackend",
    "sesame.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address (django-ipware, the `ipware` extra of django-axes). Directly: the
# connection's own. Behind the proxy every connection is the proxy's, so the address is read from
# X-Forwarded-For, counting from the right: the entry the last proxy appended is the address that
# connected to it; entries further left came from the client and may be forged. Proxy count 0
# takes the right-most entry (ipware counts the proxies named *in* the header), non-strict so that
# entries a client prepends do not make the header invalid. X-Forwarded-For alone, not REMOTE_ADDR
# as a fallback: ipware prefers a public address, so a public proxy address would outrank every
# client with a private one and lock them out together again.
if BEHIND_TLS_PROXY:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR",)
    AXES_IPWARE_PROXY_COUNT = PROXY_COUNT - 1
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
    AXES_IPWARE_PROXY_COUNT = None
IPWARE_STRICT = False
AXES_VERBOSE = False

# Members (docs/members.md). A sign-in link works once (a sign-in changes the user's last log-in,
# which the token signs) and for 15 minutes; it keeps the member signed in on that browser for
# 30 days. Each email address gets at most 5 links (sign-in or join confirmations) an hour, and
# each client address 20 (a classroom behind one network address asks for several at once).
SESAME_MAX_AGE = datetime.timedelta(minutes=15)
SESAME_ONE_TIME = True
MEMBER_SESSION_AGE = datetime.timedelta(days=30)
MEMBER_LINKS_PER_EMAIL_PER_HOUR = 5
MEMBER_LINKS_PER_CLIENT_PER_HOUR = 20
# Checking in at the door (docs/checkin.md): wrong codes a client may type per period, and
# different emails one client may check in to one meeting (raise it where a room shares one
# network address; scripts/checkin_load.py raises it to measure many emails from 127.0.0.1).
CHECKIN_THROTTLE_PERIOD = datetime.timedelta(minutes=10)
CHECKIN_WRONG_CODES_PER_CLIENT = 10
CHECKIN_EMAILS_PER_CLIENT = env_int("DJANGO_CHECKIN_EMAILS_PER_CLIENT", 3)
# How long the link of a "join this section" confirmation email works.
JOIN_CONFIRMATION_MAX_AGE = datetime.timedelta(days=3)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": sys.stdout, "formatter": "plain"},
    },
    "root": {"handlers": ["stdout"], "level": os.environ.get("DJANGO_LOG_LEVEL") or "INFO"},
    "loggers": {
        "django": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}
