"""Secrets and signatures as the Standard Webhooks specification describes them.

A secret is ``whsec_`` followed by the base64 of random bytes; the HMAC key is those bytes. Each message carries
``webhook-id`` (the same on every try, so a receiver can ignore a repeat), ``webhook-timestamp`` (Unix seconds, when
sent) and ``webhook-signature``: ``v1,`` and the base64 of HMAC-SHA256 over ``{id}.{timestamp}.{body}``, one such
entry per secret in force, separated by spaces (two during the day after a rotation).
"""

import base64
import hashlib
import hmac
import secrets
import uuid

PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret():
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id():
    return f"msg_{uuid.uuid4().hex}"


def _key(secret):
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret, message_id, timestamp, body):
    """``v1,<base64 signature>`` of ``body`` (str) sent as ``message_id`` at ``timestamp`` (int seconds)."""
    content = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets_in_force, message_id, timestamp, body):
    """The three headers of a message signed with each of ``secrets_in_force``."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_in_force),
    }
