"""Reply-To addresses for the clarification thread: ``reply+<token>@<REPLY_DOMAIN>``.

A token names one question, one person and the part they play in its thread (``a``: the adviser who asked,
``e``: the expert it is assigned to), and the day it stops working; an HMAC of those (``salted_hmac``, the
primitive under ``django.core.signing``, keyed by ``SECRET_KEY`` or one of ``SECRET_KEY_FALLBACKS``) makes it
unforgeable. Everything is lower-case base 36 / base 32, because mail systems may change the case of an address's
local part, and short: a local part may hold 64 characters at most (``reply+`` and a token fit in under 60).

The core's e-mails that ask someone to act carry one (``tasks.py``); ``qa_site.replies`` reads them.
"""

import base64
import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "qa_site.knowledge.reply_addresses"
PREFIX = "reply+"
ADVISER, EXPERT = "a", "e"
_SIGNATURE_LENGTH = 26  # base 32 characters: 130 bits of the HMAC
_TOKEN = re.compile(r"^([0-9a-z]{1,13})-([0-9a-z]{1,13})-([ae])-([0-9a-z]{1,8})-([a-z2-7]{26})$")


class ReplyAddressError(Exception):
    """The address is not one this site made, or no longer works; the message says so, for people."""


class ForgedAddress(ReplyAddressError):
    pass


class ExpiredAddress(ReplyAddressError):
    pass


@dataclass(frozen=True)
class ReplyAddress:
    question_id: int
    user_id: int
    role: str
    expires_on: dt.date


def enabled():
    return bool(settings.REPLY_DOMAIN)


def _base36(number):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def _signature(value, secret):
    digest = salted_hmac(SALT, value, secret=secret, algorithm="sha256").digest()
    return base64.b32encode(digest).decode().lower()[:_SIGNATURE_LENGTH]


def _today():
    return timezone.localdate()


def make_token(*, question_id, user_id, role, today=None):
    """A token for ``user_id`` acting as ``role`` in ``question_id``'s thread, good for REPLY_ADDRESS_MAX_AGE_DAYS."""
    if role not in (ADVISER, EXPERT):
        raise ValueError(f"Unknown role {role!r}.")
    expires_on = (today or _today()) + dt.timedelta(days=settings.REPLY_ADDRESS_MAX_AGE_DAYS)
    value = "-".join([_base36(question_id), _base36(user_id), role, _base36(expires_on.toordinal())])
    return f"{value}-{_signature(value, settings.SECRET_KEY)}"


def make_address(*, question_id, user_id, role, today=None):
    """The Reply-To address, or "" when replying by e-mail is off (no REPLY_DOMAIN)."""
    if not enabled():
        return ""
    token = make_token(question_id=question_id, user_id=user_id, role=role, today=today)
    return f"{PREFIX}{token}@{settings.REPLY_DOMAIN}"


def token_from_address(address):
    """The token in ``reply+<token>@<REPLY_DOMAIN>``, or None when the address is not a reply address of ours."""
    local, _, domain = (address or "").strip().lower().rpartition("@")
    if not enabled() or domain != settings.REPLY_DOMAIN.lower() or not local.startswith(PREFIX):
        return None
    return local[len(PREFIX) :]


def read_token(token, *, today=None):
    """The ``ReplyAddress`` a token names; ``ForgedAddress`` or ``ExpiredAddress`` when it cannot be used."""
    match = _TOKEN.match((token or "").lower())
    if not match:
        raise ForgedAddress("The address you replied to is not one this site made.")
    question, user, role, expires, signature = match.groups()
    value = "-".join([question, user, role, expires])
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(constant_time_compare(signature, _signature(value, secret)) for secret in secrets):
        raise ForgedAddress("The address you replied to is not one this site made.")
    try:
        expires_on = dt.date.fromordinal(int(expires, 36))
    except (ValueError, OverflowError):
        raise ForgedAddress("The address you replied to is not one this site made.") from None
    if expires_on < (today or _today()):
        raise ExpiredAddress(
            f"The address you replied to stopped working on {expires_on:%-d %B %Y}: please reply on the site."
        )
    return ReplyAddress(question_id=int(question, 36), user_id=int(user, 36), role=role, expires_on=expires_on)
