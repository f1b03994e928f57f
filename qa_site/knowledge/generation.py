"""The publication generation: a token that changes whenever the set of published answers may have changed.

Anything built from published answers (feeds, widget JSON, related questions) is cached under a key holding
the current token, so the next publish, unpublish, move or delete makes every such entry unreachable at once —
no list of keys to delete. The token is random rather than a counter, so a cache that lost it (evicted,
restarted) can never bring old entries back to life. Entries still get a timeout: without Redis each process
has its own cache, and a change made by another process (an import on the command line) is only seen when
that timeout runs out.

The bump runs after commit: a request racing a publish must not cache the old answers under the new token. It is
also recorded in the outbox, so a bump made while Redis was unreachable reaches Redis when it is back.
"""

import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete
from wagtail.signals import page_published, page_unpublished, post_page_move

from qa_site import outbox

from .signals import pages_bulk_created

KEY = "published-answers:generation"


def current():
    """The current token: a short string to put into cache keys and ETags."""
    token = cache.get(KEY)
    if token is None:
        cache.add(KEY, uuid.uuid4().hex[:12], timeout=None)
        token = cache.get(KEY)
    return token


def renew():
    """Put a new token in the cache: everything cached under the old one is stale."""
    cache.set(KEY, uuid.uuid4().hex[:12], timeout=None)


def bump():
    """Make everything cached under the current token stale, once the current transaction commits.

    At once, and again from the outbox: while Redis is away the first is made in each process's own memory only,
    and Redis would keep the old token (and serve feeds cached under it for a day); the outbox's task renews it
    once the queue, and so Redis, is back.
    """
    transaction.on_commit(renew)
    outbox.enqueue_once(renew)


def _on_change(sender, **kwargs):
    bump()


def connect():
    """Called from the app's ready(): bump on every change to the published answers."""
    from .models import QuestionPage

    signals = {"published": page_published, "unpublished": page_unpublished, "moved": post_page_move}
    for name, signal in {**signals, "deleted": post_delete}.items():
        signal.connect(_on_change, sender=QuestionPage, dispatch_uid=f"published-generation-{name}")
    pages_bulk_created.connect(_on_change, dispatch_uid="published-generation-bulk")
