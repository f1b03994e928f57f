"""Test settings: fast hashing, in-memory cache and mail, jobs in-process unless REDIS_URL is set."""

import os
import re

from .base import *  # noqa: F403
from .base import DATABASES, REDIS_URL, STORAGES, VAR_DIR

# pytest-xdist runs the suite in several processes ("gw0", "gw1", …; `make test` uses two): each has its own test
# database (pytest-django adds the suffix), uploads folder and Redis database.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_NUMBER = int(WORKER[2:]) if re.fullmatch(r"gw\d+", WORKER) else 0

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-0123456789abcdef0123456789"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,  # uploads as base.py chose them (MEDIA_ROOT below unless MEDIA_STORAGE_URL is set)
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / (f"test-media-{WORKER}" if WORKER else "test-media")
WHITENOISE_AUTOREFRESH = True

# Threads in the race tests open connections of their own: closed after each use, none outlives its test.
DATABASES["default"]["CONN_MAX_AGE"] = 0

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # An in-memory database per test run; the file-based default is only for `make run`.
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "OPTIONS": {"timeout": 20},
        "TEST": {"NAME": ":memory:"},
    }

if REDIS_URL:
    # Real Redis: jobs are stored in it and run at once in the test process (tests/test_jobs.py also runs
    # a worker against it); cache keys are kept apart from anything else on the server. Parallel test processes
    # take the databases below the one named (15, 14, …), so that none empties another's queue or cache.
    if WORKER_NUMBER:
        _base, _, _db = REDIS_URL.partition("?")[0].rpartition("/")
        REDIS_URL = f"{_base}/{(int(_db or 0) - WORKER_NUMBER) % 16}"
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "ASYNC": False, "DEFAULT_TIMEOUT": 300}}
    CACHES = {
        "default": {
            "BACKEND": "qa_site.resilience.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "qa-test",
        }
    }

PAYMENT_WEBHOOK_SECRET = "test-webhook-secret"
WEBHOOKS_HTTP_HOSTS = ["127.0.0.1", "localhost"]  # outbound webhooks' tests run a receiver on this computer
# Inbound mail (replying by e-mail); tests that need reply addresses set REPLY_DOMAIN with the `settings` fixture.
ANYMAIL = {"WEBHOOK_SECRET": "inbound:test-inbound-secret"}
# Tests that need two-factor authentication enforced turn it on with the `settings` fixture.
MFA_REQUIRED_FOR_STAFF_AND_EXPERTS = False
# Each process re-reads the publication token at most this often; tests change it in-process only (which is seen
# at once), so a long time keeps query counts from depending on how fast a test runs.
PUBLICATION_GENERATION_LOCAL_SECONDS = 600
