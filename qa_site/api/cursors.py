"""Opaque cursors for paging: the position after the last item sent, signed so that a client cannot forge one.

A cursor names what it pages (``kind``) and, for searches, the query it belongs to; a cursor given out for one
listing is refused by another."""

from django.core import signing

from .problems import Problem

SALT = "qa_site.api.cursor"
MAX_LENGTH = 2000


def make(kind, **position):
    # Signed without a timestamp, so that the same page gives the same cursor (and the same ETag) every time.
    return signing.Signer(salt=SALT).sign_object({"k": kind, **position}, compress=True)


def read(raw, kind):
    """The position in the cursor ``raw`` (without its kind), or {} for no cursor; a bad one is a 400."""
    if raw in (None, ""):
        return {}
    if len(raw) > MAX_LENGTH:
        raise Problem(400, "This cursor is not one the API gave out.", kind="bad-cursor")
    try:
        data = signing.Signer(salt=SALT).unsign_object(raw)
    except (signing.BadSignature, ValueError, UnicodeError, TypeError):
        raise Problem(400, "This cursor is not one the API gave out (or it was changed).", kind="bad-cursor") from None
    if not isinstance(data, dict) or data.pop("k", None) != kind:
        raise Problem(
            400, "This cursor belongs to another listing: use it only with the one that gave it.", kind="bad-cursor"
        )
    return data
