"""Settings shared by every environment. dev / test / production import from here."""

from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from qa_site.observability import JSON_FORMATTER, LOG_FORMATS, LOG_LEVELS, init_sentry

from .env import env_bool, env_choice, env_csp_sources, env_float, env_int, env_list, env_str, env_url
from .storage import media_settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent
VAR_DIR = BASE_DIR / "var"  # runtime files of the embedded default (SQLite, media, mail)

INSTALLED_APPS = [
    # Our apps, lowest layer first (see docs/architecture.md).
    "qa_site.outbox",
    "qa_site.accounts",
    "subscriptions",
    "qa_site.knowledge",
    "experts",
    "search",
    "feeds",
    "qa_site.demo",
    "qa_site.scheduling",
    "qa_site.network",
    "qa_site.webhooks",
    "qa_site.imports",
    "qa_site.api",
    "qa_site.replies",
    "qa_site.devmail",  # the development mailbox (/admin/mail/): idle unless its e-mail backend is in use
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    # Accounts
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Jobs
    "django_rq",
    # Content-Security-Policy (its checks and template tags)
    "csp",
    # The JSON API (qa_site/api): its documentation page's templates and scripts, served from here
    "ninja",
    # Django
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    # /healthz and /readyz (qa_site/health.py), before anything that checks the host name, redirects, logs each
    # request, or touches sessions and the cache.
    "qa_site.health.HealthMiddleware",
    # Then the request log: it times everything and sees every other middleware's response (qa_site/observability.py).
    "qa_site.observability.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "qa_site.content_security.ContentSecurityPolicyMiddleware",
    # Anonymous readers' pages straight from the cache, before sessions and the rest (qa_site/knowledge/pagecache.py).
    "qa_site.knowledge.pagecache.AnonymousPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "qa_site.accounts.middleware.RequireTwoFactorMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "qa_site.urls"
WSGI_APPLICATION = "qa_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qa_site.context_processors.navigation",
            ],
            # {% load charts %}{% chart svg %}: puts a chart in a page with the request's CSP nonce.
            "libraries": {"charts": "qa_site.charts"},
        },
    },
]

# --- Database: SQLite file by default, anything dj-database-url understands via DATABASE_URL.
DATABASE_URL = env_url(
    "DATABASE_URL",
    default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
    schemes=("sqlite", "postgres", "postgresql"),
)
# Connections are kept for DB_CONN_MAX_AGE seconds (0: a new one per request) and checked before reuse, so a
# database restart costs one failed check, not an error page (on PostgreSQL without a round trip while the
# connection is quiet: qa_site/postgresql/base.py).
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 600, minimum=0), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers carry on while a writer commits; a busy timeout turns
    # "database is locked" into a short wait.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # Wagtail's search and Django's admin tooling work the same on SQLite.
else:
    INSTALLED_APPS.append("django.contrib.postgres")
    # Django's PostgreSQL backend, checking a kept connection without a round trip when it is quiet, and preparing
    # the statement that reads a signed-in request's session once per connection (qa_site/postgresql/base.py; turn
    # off behind PgBouncer older than 1.21 in transaction mode).
    DATABASES["default"]["ENGINE"] = "qa_site.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_session_statements"] = env_bool(
        "DB_PREPARED_STATEMENTS", True
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Django's four password rules, with messages in the site's words (qa_site/accounts/passwords.py).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "qa_site.accounts.passwords.MinimumLengthValidator"},
    {"NAME": "qa_site.accounts.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "qa_site.accounts.passwords.CommonPasswordValidator"},
    {"NAME": "qa_site.accounts.passwords.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "qa_site.accounts.backends.ModelBackend",
    "qa_site.accounts.backends.AuthenticationBackend",
]
SESSION_ENGINE = "qa_site.accounts.sessions"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env_str("STATIC_ROOT", str(VAR_DIR / "static"))  # where collectstatic writes, whitenoise reads
STATICFILES_DIRS = [PROJECT_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env_str("MEDIA_ROOT", str(VAR_DIR / "media"))  # uploads, unless they go to S3 (storage.py)
# Uploads: MEDIA_ROOT, or an S3 bucket shared by every web machine when MEDIA_STORAGE_URL is set (storage.py).
_media = media_settings()
STORAGES = {
    **_media.pop("STORAGES"),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
globals().update(_media)  # on S3: MEDIA_URL, WAGTAILDOCS_SERVE_METHOD (+ WAGTAILIMAGES_RENDITION_STORAGE)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# The public address of the site, used in e-mails and feeds built outside a request.
BASE_URL = env_url("BASE_URL", default="http://127.0.0.1:8000", schemes=("http", "https")).rstrip("/")

# --- Content-Security-Policy (django-csp), on every response that does not send its own (the widget's iframe).
# Scripts and styles from this site only, plus a per-request nonce for the few inline ones (the charts' <style>).
# qa_site/content_security.py adds MEDIA_URL's address to img-src when uploads live elsewhere (S3), and relaxes
# script-src and style-src to 'unsafe-inline' under /admin/ only (Wagtail's inline scripts, the console's styles).
# Operators add sources with CSP_EXTRA_<DIRECTIVE>, comma-separated (e.g. an analytics script: CSP_EXTRA_SCRIPT_SRC
# and CSP_EXTRA_CONNECT_SRC); see env.env_csp_sources for what is accepted.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, *env_csp_sources("CSP_EXTRA_SCRIPT_SRC")],
        "style-src": [SELF, NONCE, *env_csp_sources("CSP_EXTRA_STYLE_SRC")],
        "img-src": [SELF, "data:", *env_csp_sources("CSP_EXTRA_IMG_SRC")],
        "font-src": [SELF, *env_csp_sources("CSP_EXTRA_FONT_SRC")],
        "connect-src": [SELF, *env_csp_sources("CSP_EXTRA_CONNECT_SRC")],
        "frame-src": [SELF, *env_csp_sources("CSP_EXTRA_FRAME_SRC")],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}

# --- Accounts (django-allauth): e-mail login, mandatory verification.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_SIGNUP_FORM_CLASS = "qa_site.accounts.forms.SignupForm"
# allauth's forms and messages in the site's words (qa_site/accounts/allauth_forms.py, adapter.py).
ACCOUNT_FORMS = {
    "login": "qa_site.accounts.allauth_forms.LoginForm",
    "signup": "qa_site.accounts.allauth_forms.SignupForm",
    "reset_password": "qa_site.accounts.allauth_forms.ResetPasswordForm",
    "reset_password_from_key": "qa_site.accounts.allauth_forms.ResetPasswordKeyForm",
    "change_password": "qa_site.accounts.allauth_forms.ChangePasswordForm",
    "add_email": "qa_site.accounts.allauth_forms.AddEmailForm",
}
ACCOUNT_ADAPTER = "qa_site.accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Ask an Expert] "
ACCOUNT_PRESERVE_USERNAME_CASING = False
# Rate limits on sign-in and sign-up (allauth; kept in the cache): per IP address and per account.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/300s/key",
    "signup": "10/m/ip,50/h/ip",
    "reset_password": "20/m/ip,5/m/key",
}
# Rate limits on asking and inviting (django-ratelimit), per person.
RATE_LIMIT_ASK = env_str("RATE_LIMIT_ASK", "20/h")
RATE_LIMIT_INVITE = env_str("RATE_LIMIT_INVITE", "60/h")
# Requests to join as a network at /subscribe/ (each may create an account), per IP address.
RATE_LIMIT_SUBSCRIBE = env_str("RATE_LIMIT_SUBSCRIBE", "20/h")
# Attempts at deleting one's account (each asks for the password), per person.
RATE_LIMIT_DELETE_ACCOUNT = "10/h"
RATELIMIT_VIEW = "qa_site.views.rate_limited"
# Requests a minute each personal API token may make (qa_site/api).
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 120, minimum=1)
# Two-factor authentication (allauth.mfa, TOTP and recovery codes at /accounts/2fa/) is open to everyone.
# When this is true, coordinators and experts on the panel must set it up before using any other page
# (qa_site.accounts.middleware). On in production (MFA_REQUIRED_FOR_STAFF_AND_EXPERTS), off in dev and tests.
MFA_REQUIRED_FOR_STAFF_AND_EXPERTS = True

# Card payments: the shared secret of the payment provider's signed webhooks (unset: card payments off).
PAYMENT_WEBHOOK_SECRET = env_str("PAYMENT_WEBHOOK_SECRET", "")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Ask an Expert <noreply@ask-an-expert.test>")
# Replying by e-mail (docs/email-replies.md): the e-mails asking an adviser or expert to act in a clarification
# thread carry Reply-To reply+<token>@REPLY_DOMAIN (unset: no Reply-To, replies on the site only).
REPLY_DOMAIN = env_str("REPLY_DOMAIN", "").strip().lower()
REPLY_ADDRESS_MAX_AGE_DAYS = env_int("REPLY_ADDRESS_MAX_AGE_DAYS", 30, minimum=1)
# The mail provider posts the replies to /mail/inbound/…, behind HTTP basic auth with INBOUND_MAIL_SECRET
# ("user:password", django-anymail's WEBHOOK_SECRET; unset: the inbound URLs answer 404).
ANYMAIL = {"WEBHOOK_SECRET": env_str("INBOUND_MAIL_SECRET", "")}
if ANYMAIL["WEBHOOK_SECRET"] and ":" not in ANYMAIL["WEBHOOK_SECRET"]:
    raise ImproperlyConfigured("INBOUND_MAIL_SECRET must be user:password (HTTP basic auth), e.g. inbound:<random>.")
# Providers that also sign their posts want their key as well: INBOUND_MAIL_SIGNING_KEY is given to each of them
# under anymail's name for it (a site receives from one provider).
INBOUND_MAIL_SIGNING_KEY = env_str("INBOUND_MAIL_SIGNING_KEY", "")
if INBOUND_MAIL_SIGNING_KEY:
    for _name in (
        "MAILGUN_WEBHOOK_SIGNING_KEY",
        "MAILERSEND_INBOUND_SECRET",
        "MAILTRAP_INBOUND_SECRET",
        "POSTAL_WEBHOOK_KEY",
        "RESEND_INBOUND_SECRET",
    ):
        ANYMAIL[_name] = INBOUND_MAIL_SIGNING_KEY
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Wagtail
WAGTAIL_SITE_NAME = "Ask an Expert"
WAGTAILADMIN_BASE_URL = BASE_URL
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False  # passwords are managed through allauth
# No Gravatar: the admin's avatars would send a hash of each person's e-mail to a third party (and CSP allows
# images from this site only). Wagtail shows its default avatar instead.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "rtf", "txt", "xlsx"]

# --- Search: the product's own engine (search/backends): the database's full-text index (SQLite FTS5,
# PostgreSQL tsvector) by default; Elasticsearch when ELASTICSEARCH_URL is set, answering from the database
# while the cluster is unreachable (search.backends.elastic). `manage.py search_reindex` rebuilds either.
ELASTICSEARCH_URL = env_url("ELASTICSEARCH_URL", default=None, schemes=("http", "https"))
if ELASTICSEARCH_URL:
    SEARCH_BACKEND = "search.backends.elastic.FallbackElasticsearchBackend"
else:
    SEARCH_BACKEND = "search.backends.database.DatabaseBackend"
# Elasticsearch reads and writes the alias "<prefix>-answers"; searches give up (and fall back) after the timeout.
SEARCH_INDEX_PREFIX = env_str("SEARCH_INDEX_PREFIX", "ask-an-expert")
ELASTICSEARCH_TIMEOUT = env_int("ELASTICSEARCH_TIMEOUT", 3, minimum=1)
# Wagtail's own search (the admin's page search) always uses the database, so it never needs the cluster.
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# --- Jobs (django-rq) and cache: in-process by default, Redis when REDIS_URL is set.
REDIS_URL = env_url("REDIS_URL", default=None, schemes=("redis", "rediss"))
# rq kills a job that runs longer than this; a message whose worker died is taken again after its lease.
RQ_JOB_TIMEOUT = env_int("RQ_JOB_TIMEOUT", 300, minimum=10)
if REDIS_URL:
    # Connecting gives up after 2 s, so a Redis that is away costs a page at most that (then nothing, for a while:
    # see qa_site/resilience.py). Workers set their own read timeout around rq's blocking reads.
    _separator = "&" if "?" in REDIS_URL else "?"
    RQ_QUEUES = {
        "default": {
            "URL": f"{REDIS_URL}{_separator}socket_connect_timeout=2&health_check_interval=30",
            "DEFAULT_TIMEOUT": RQ_JOB_TIMEOUT,
        }
    }
    CACHES = {
        "default": {
            # Django's Redis cache, answering as an empty cache while Redis cannot be reached.
            "BACKEND": "qa_site.resilience.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "qa"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    import fakeredis
    import redis

    # django-rq still opens a Redis connection when jobs run synchronously;
    # an in-process fake server stands in for it, so no Redis is needed.
    RQ_QUEUES = {
        "default": {
            "HOST": "localhost",
            "PORT": 6379,
            "DB": 0,
            "ASYNC": False,
            "REDIS_CLIENT_KWARGS": {
                "connection_pool": redis.ConnectionPool(
                    connection_class=fakeredis.FakeRedisConnection, server=fakeredis.FakeServer()
                )
            },
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Reader pages, feeds and widget lists are cached per publication generation (qa_site/knowledge/generation.py), whose
# token is a row in the database: each process re-reads it at most this often (another process's publication shows
# within this time; the process that publishes sees it at once).
PUBLICATION_GENERATION_LOCAL_SECONDS = env_int("PUBLICATION_GENERATION_LOCAL_SECONDS", 1, minimum=0)
# Rate limits fail open if the cache fails (it carries on in memory while Redis is away: qa_site/resilience.py).
RATELIMIT_FAIL_OPEN = True

# --- Side effects (qa_site.outbox): recorded with each change, handed to rq after commit, handed over again by the
# relay (a scheduled job) when the queue was down, a worker died, or a job failed.
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 2 * RQ_JOB_TIMEOUT, minimum=RQ_JOB_TIMEOUT + 1)
OUTBOX_HANDOVER_GRACE = env_int("OUTBOX_HANDOVER_GRACE", 20, minimum=1)  # seconds a new message is left alone
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 10, minimum=1)  # 30 s, 1, 2, 4 … 60 min apart: about 4 hours
OUTBOX_KEEP_DAYS = env_int("OUTBOX_KEEP_DAYS", 7, minimum=1)  # done messages are deleted after this
OUTBOX_RQ_RESULT_TTL = 10 * 60
# /readyz says "not ready" when a side effect has waited longer than this, or no scheduled job has finished lately.
OUTBOX_STUCK_AFTER = env_int("OUTBOX_STUCK_AFTER", 10 * 60, minimum=60)
SCHEDULER_STALE_AFTER = env_int("SCHEDULER_STALE_AFTER", 3 * 60, minimum=30)

# --- Outbound webhooks (qa_site.webhooks, docs/webhooks.md): a network's endpoints are sent events by the outbox.
WEBHOOKS_TIMEOUT_SECONDS = env_int("WEBHOOKS_TIMEOUT_SECONDS", 10, minimum=1)  # per HTTP POST
# Seconds between a failed try and the next: 1 min, 5 min, 30 min, 2 h, 8 h, 24 h; then the message has failed.
WEBHOOKS_RETRY_DELAYS = [60, 5 * 60, 30 * 60, 2 * 60 * 60, 8 * 60 * 60, 24 * 60 * 60]
# Failed tries in a row (any of an endpoint's messages; a success starts again) that switch an endpoint off.
WEBHOOKS_DISABLE_AFTER = env_int("WEBHOOKS_DISABLE_AFTER", 15, minimum=1)
# Hosts an endpoint may reach over plain http (and on a local address): none in production; this computer in
# development and tests, so that a local server can receive events.
WEBHOOKS_HTTP_HOSTS = env_list("WEBHOOKS_HTTP_HOSTS", [])
# Finished messages (delivered, failed, not sent) and their tries are deleted after this many days.
WEBHOOKS_KEEP_DAYS = env_int("WEBHOOKS_KEEP_DAYS", 30, minimum=1)
# Services already enqueue their jobs with transaction.on_commit; django-rq must not defer them again.
RQ = {"COMMIT_MODE": "auto"}

# The Q&A core enqueues routing by name so that it never imports the experts app
# (experts sits above the core; see docs/architecture.md).
QA_ROUTING_JOB = "experts.tasks.route_question"
# Deleting an account (qa_site.accounts, the lowest layer) asks these to tidy up what belongs to higher layers.
ACCOUNT_DELETION_HOOKS = ["qa_site.knowledge.services.questions_withdraw_for_departed_asker"]

# --- E-mail: EMAIL_URL says where mail goes — smtp://user:password@host:587 (STARTTLS; EMAIL_USE_TLS=false for
# none), smtps://user:password@host:465 (TLS from the start), console:// (printed) or file:///a/folder (one file
# per message). Unset, mail is printed (dev and tests); production refuses to start without an explicit choice.
EMAIL_URL = env_url("EMAIL_URL", default="console://", schemes=("smtp", "smtps", "console", "file"), hostless=True)
_mail = urlsplit(EMAIL_URL)
if _mail.scheme in ("smtp", "smtps"):
    if not _mail.hostname:
        raise ImproperlyConfigured(f"EMAIL_URL={EMAIL_URL!r} names no mail server.")
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname
    EMAIL_PORT = _mail.port or (465 if _mail.scheme == "smtps" else 587)
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_SSL = _mail.scheme == "smtps"
    EMAIL_USE_TLS = _mail.scheme == "smtp" and env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)
elif _mail.scheme == "file":
    if _mail.netloc or not _mail.path.startswith("/"):
        raise ImproperlyConfigured(f"EMAIL_URL={EMAIL_URL!r}: write file:///an/absolute/folder (three slashes).")
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = unquote(_mail.path)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Logs, on stderr: plain lines (LOG_FORMAT=text, the default here) or one JSON object per line (LOG_FORMAT=json,
# production's default). Every line logged during a request carries its request id; qa_site.requests logs one line
# per request (qa_site/observability.py).
LOG_FORMAT = env_choice("LOG_FORMAT", "text", choices=LOG_FORMATS)
LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", choices=LOG_LEVELS)
LOGGING_CONFIG = "qa_site.observability.configure_logging"  # dictConfig, and warnings logged like the rest
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {**JSON_FORMATTER},
    },
    "filters": {
        "request_id": {"()": "qa_site.observability.RequestIdFilter"},
        "mask_secrets": {"()": "qa_site.observability.MaskSecretsFilter"},
        "redis_retries_are_warnings": {"()": "qa_site.resilience.RedisRetriesAreWarnings"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "mask_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "elastic_transport": {"level": "WARNING"},
        "rq.worker": {"filters": ["redis_retries_are_warnings"]},
    },
}

# --- Errors to Sentry when SENTRY_DSN is set (any environment; production's default SENTRY_ENVIRONMENT). Nothing
# personal is sent: see init_sentry in qa_site/observability.py.
SENTRY_DSN = env_url("SENTRY_DSN", default=None, schemes=("http", "https"))
if SENTRY_DSN:
    init_sentry(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
        release=env_str("SENTRY_RELEASE", None),  # unset: the git commit, when there is a checkout
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0, minimum=0.0, maximum=1.0),
    )
