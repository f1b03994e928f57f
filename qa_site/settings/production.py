"""Production: every secret and address comes from the environment; nothing insecure by default.

Start-up stops, naming the variable, when any of ``REQUIRED`` is missing — production never falls back to SQLite,
the in-process queue, a per-process cache, mail printed to the console, or a localhost address in feeds.
docs/deploy.md lists every variable.
"""

import os

from django.core.exceptions import ImproperlyConfigured

REQUIRED = {
    "DATABASE_URL": "the PostgreSQL database, e.g. postgres://ask:password@db.internal:5432/ask",
    "REDIS_URL": "Redis for the job queue and the cache, e.g. redis://redis.internal:6379/0",
    "SECRET_KEY": "at least 50 random characters: python -c 'import secrets; print(secrets.token_urlsafe(50))'",
    "ALLOWED_HOSTS": "the site's host names, comma-separated, e.g. answers.example.org",
    "BASE_URL": "the public address, used in e-mails, feeds and widget snippets, e.g. https://answers.example.org",
    "EMAIL_URL": "where mail goes: smtp://user:password@host:587, smtps://…:465, console:// or file:///a/folder",
}
_missing = [name for name in REQUIRED if not os.environ.get(name, "").strip()]
if _missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables, which are not set: "
        + "; ".join(f"{name} ({REQUIRED[name]})" for name in _missing)
        + ". See docs/deploy.md."
    )
if len(os.environ["SECRET_KEY"]) < 50:
    raise ImproperlyConfigured(
        f"SECRET_KEY is {len(os.environ['SECRET_KEY'])} characters long; production needs at least 50 "
        f"({REQUIRED['SECRET_KEY']})."
    )

from .base import *  # noqa: E402, F403
from .base import BASE_URL, LOG_FORMATS, LOGGING, STORAGES  # noqa: E402
from .env import env_bool, env_choice, env_int, env_list, env_str  # noqa: E402

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [BASE_URL])

# Behind a TLS proxy that sets X-Forwarded-Proto. SECURE_SSL_REDIRECT=false serves plain HTTP (a proxy that
# terminates TLS and talks HTTP to us without that header, or a local trial run).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Coordinators and experts on the panel must set up two-factor authentication before anything else.
MFA_REQUIRED_FOR_STAFF_AND_EXPERTS = env_bool("MFA_REQUIRED_FOR_STAFF_AND_EXPERTS", True)

# Uploads as base decides (MEDIA_STORAGE_URL: S3); static files compressed and fingerprinted by whitenoise.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

# Logs: one JSON object per line on stderr (LOG_FORMAT=text for plain lines). Errors go to Sentry when SENTRY_DSN is
# set, which base.py reads for every environment (SENTRY_ENVIRONMENT defaults to "production").
LOG_FORMAT = env_choice("LOG_FORMAT", "json", choices=LOG_FORMATS)
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
