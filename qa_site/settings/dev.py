"""Local development: the embedded default that `make run` serves."""

import os

from .base import *  # noqa: F403
from .env import env_bool, env_list, env_str

DEBUG = True
SECRET_KEY = env_str("SECRET_KEY", "django-insecure-dev-only-key-never-use-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
INTERNAL_IPS = ["127.0.0.1"]
PAYMENT_WEBHOOK_SECRET = env_str("PAYMENT_WEBHOOK_SECRET", "dev-only-webhook-secret")
# Outbound webhooks may go to a receiver on this computer over plain http.
WEBHOOKS_HTTP_HOSTS = env_list("WEBHOOKS_HTTP_HOSTS", ["127.0.0.1", "localhost"])
# The demo logins (coordinator, expert) work without setting up two-factor authentication first.
MFA_REQUIRED_FOR_STAFF_AND_EXPERTS = env_bool("MFA_REQUIRED_FOR_STAFF_AND_EXPERTS", False)

# E-mail is kept, not sent: each one is written to var/mail/ as one .eml file, with one line on the console, and
# listed for coordinators at /admin/mail/ (qa_site/devmail). EMAIL_URL (e.g. console://) chooses otherwise.
DEV_MAILBOX_DIR = VAR_DIR / "mail"  # noqa: F405
if "EMAIL_URL" not in os.environ:
    EMAIL_BACKEND = "qa_site.devmail.MailboxBackend"
