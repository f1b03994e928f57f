"""Settings shared by every environment. dev / test / production import from here."""

from pathlib import Path

import dj_database_url

from .env import env_bool, env_int, env_str, env_url

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent
VAR_DIR = BASE_DIR / "var"  # runtime files of the embedded default (SQLite, media, mail)

INSTALLED_APPS = [
    # Our apps, lowest layer first (see docs/architecture.md).
    "qa_site.accounts",
    "subscriptions",
    "qa_site.knowledge",
    "experts",
    "search",
    "feeds",
    "qa_site.demo",
    "qa_site.scheduling",
    "qa_site.network",
    "qa_site.imports",
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
    # Django
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
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
        },
    },
]

# --- Database: SQLite file by default, anything dj-database-url understands via DATABASE_URL.
DATABASE_URL = env_url(
    "DATABASE_URL",
    default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
    schemes=("sqlite", "postgres", "postgresql"),
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0, minimum=0))}
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PROJECT_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# The public address of the site, used in e-mails and feeds built outside a request.
BASE_URL = env_url("BASE_URL", default="http://127.0.0.1:8000", schemes=("http", "https")).rstrip("/")

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
# Attempts at deleting one's account (each asks for the password), per person.
RATE_LIMIT_DELETE_ACCOUNT = "10/h"
RATELIMIT_VIEW = "qa_site.views.rate_limited"
# Two-factor authentication (allauth.mfa, TOTP and recovery codes at /accounts/2fa/) is open to everyone.
# When this is true, coordinators and experts on the panel must set it up before using any other page
# (qa_site.accounts.middleware). On in production (MFA_REQUIRED_FOR_STAFF_AND_EXPERTS), off in dev and tests.
MFA_REQUIRED_FOR_STAFF_AND_EXPERTS = True

# Card payments: the shared secret of the payment provider's signed webhooks (unset: card payments off).
PAYMENT_WEBHOOK_SECRET = env_str("PAYMENT_WEBHOOK_SECRET", "")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Ask an Expert <noreply@ask-an-expert.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Wagtail
WAGTAIL_SITE_NAME = "Ask an Expert"
WAGTAILADMIN_BASE_URL = BASE_URL
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False  # passwords are managed through allauth
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
if REDIS_URL:
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300}}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "qa"),
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
# Services already enqueue their jobs with transaction.on_commit; django-rq must not defer them again.
RQ = {"COMMIT_MODE": "auto"}

# The Q&A core enqueues routing by name so that it never imports the experts app
# (experts sits above the core; see docs/architecture.md).
QA_ROUTING_JOB = "experts.jobs.route_question"
# Deleting an account (qa_site.accounts, the lowest layer) asks these to tidy up what belongs to higher layers.
ACCOUNT_DELETION_HOOKS = ["qa_site.knowledge.services.questions_withdraw_for_departed_asker"]

# --- E-mail: printed to the console unless SMTP is configured.
EMAIL_URL = env_url("EMAIL_URL", default=None, schemes=("smtp", "smtps"))
if EMAIL_URL:
    from urllib.parse import unquote, urlsplit

    _mail = urlsplit(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname
    EMAIL_PORT = _mail.port or (465 if _mail.scheme == "smtps" else 587)
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_SSL = _mail.scheme == "smtps"
    EMAIL_USE_TLS = _mail.scheme == "smtp" and env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "elastic_transport": {"level": "WARNING"},
    },
}
