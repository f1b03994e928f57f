"""Making, revoking and checking personal API tokens.

A token is ``qae_`` and 43 URL-safe random characters (256 bits). Only its SHA-256 is stored, so a copy of the
database opens nothing; the token is shown once, to the person who made it. Checking a token is one indexed
lookup; its last use is written at most once a minute (a conditional UPDATE, so busy clients cost no writes).
"""

import datetime as dt
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import SCOPE_ORDER, ApiToken

TOKEN_PREFIX = "qae_"
SHOWN_PREFIX_LENGTH = 12  # "qae_" and 8 characters of the secret: enough to tell tokens apart, useless to guess with
LAST_USED_EVERY = dt.timedelta(minutes=1)
MAX_TOKENS_PER_PERSON = 20
MAX_TOKEN_LENGTH = 100  # anything longer in an Authorization header is not ours, and is not hashed


class TokenRefused(Exception):
    """A token could not be made; the message says why, fit to show."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def clean_scopes(scopes) -> list[str]:
    """The scopes in their usual order; an unknown or missing one raises TokenRefused."""
    chosen = {str(scope).strip().lower() for scope in scopes if str(scope).strip()}
    unknown = sorted(chosen - set(SCOPE_ORDER))
    if unknown:
        raise TokenRefused(f"Unknown scope {', '.join(unknown)}: choose from {', '.join(SCOPE_ORDER)}.")
    if not chosen:
        raise TokenRefused("Choose at least one scope.")
    return [scope for scope in SCOPE_ORDER if scope in chosen]


@transaction.atomic
def token_create(*, user, name: str, scopes) -> tuple[ApiToken, str]:
    """A new token for ``user``: (the stored record, the token itself — shown once, never stored)."""
    name = " ".join((name or "").split())
    if not name:
        raise TokenRefused("Give the token a name, such as the system that will use it.")
    if len(name) > 100:
        raise TokenRefused("Shorten the name to at most 100 characters.")
    scopes = clean_scopes(scopes)
    if not user.is_active:
        raise TokenRefused("This account is not active.")
    # Counted under a lock on the person's row, so that two requests at once cannot pass the limit.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if ApiToken.objects.live().filter(user=user).count() >= MAX_TOKENS_PER_PERSON:
        raise TokenRefused(f"You already have {MAX_TOKENS_PER_PERSON} tokens: revoke one you no longer use first.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(
        user=user, name=name, scopes=scopes, prefix=token[:SHOWN_PREFIX_LENGTH], digest=digest(token)
    )
    return record, token


def token_revoke(*, user, token_id) -> bool:
    """Revoke one of ``user``'s tokens; False when they have no such live token. Takes effect on the next request."""
    return bool(ApiToken.objects.live().filter(user=user, pk=token_id).update(revoked_at=timezone.now()))


def token_for(token: str):
    """The live token record (with its person) for the token text, or None. Notes its use at most once a minute."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    record = ApiToken.objects.live().select_related("user").filter(digest=digest(token)).first()
    if record is None or not record.user.is_active:
        return None
    now = timezone.now()
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_EVERY:
        stale = now - LAST_USED_EVERY
        ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=record.pk).update(
            last_used_at=now
        )
        record.last_used_at = now
    return record
