"""The publication generation: a token that changes whenever what readers see may have changed.

Anything built from published answers (reader pages, feeds, widget JSON, related questions) is cached under a key
holding the current token, so the next publish, unpublish, move, delete or edit makes every such entry unreachable
at once — no list of keys to delete. The token is random rather than a counter, so a cache that was emptied can
never bring old entries back to life. Entries still get a timeout, which bounds how long a change that sends no
signal takes to show.

The token is one row in the database (``PublicationGeneration``), written in the same transaction as the change:
a change that rolls back leaves the token as it was, one that commits changes it for every process at once,
whichever cache each process has (its own memory, or Redis, reachable or not). A request that reads the new token
reads the data committed with it.

Reading it costs no query on most requests: each process keeps the token it read for ``LOCAL_SECONDS``
(setting ``PUBLICATION_GENERATION_LOCAL_SECONDS``, default 1), and forgets it at once when it changes the token
itself. So another process's change reaches a process within that time.

Entries cached under the token are read through ``get``/``put``: each process keeps the most recently used of
them in its own memory (``LOCAL_ENTRIES``) in front of Django's cache, so a page read often costs no round trip to
Redis. That is safe because an entry's key holds the token: a process's memory can only be as stale as its token.
"""

import threading
import time
import uuid
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_unpublished, post_page_move

from .signals import pages_bulk_created

_local = {"token": None, "until": 0.0, "version": 0}
_lock = threading.Lock()
_thread = threading.local()
LOCAL_ENTRIES = 256
_entries = OrderedDict()  # key -> (value, expires at, monotonic)


def local_seconds():
    return getattr(settings, "PUBLICATION_GENERATION_LOCAL_SECONDS", 1.0)


def forget():
    """Read the token from the database next time (after a change, and between tests)."""
    _thread.token = None
    with _lock:
        _local["token"], _local["until"] = None, 0.0
        _local["version"] += 1  # a read that started before this must not be kept
        _entries.clear()


def reset():
    """Forget everything, including that this connection's transaction renewed the token (between tests)."""
    forget()
    transaction.get_connection().qa_generation_renewed = False


def _shared_is_local():
    """Is Django's cache this process's own memory already (no Redis)? Then a second copy would be a waste."""
    return isinstance(caches["default"], LocMemCache)


def get(key):
    """The entry cached under ``key`` (a key holding the current token), or None."""
    if not _shared_is_local():
        with _lock:
            found = _entries.get(key)
            if found is not None:
                if found[1] > time.monotonic():
                    _entries.move_to_end(key)
                    return found[0]
                del _entries[key]
    value = cache.get(key)
    if value is not None and not _shared_is_local():
        _remember(key, value, _LOCAL_ENTRY_SECONDS)
    return value


def put(key, value, timeout):
    """Cache ``value`` under ``key`` (a key holding the current token) for ``timeout`` seconds."""
    cache.set(key, value, timeout)
    if not _shared_is_local():
        _remember(key, value, min(timeout, _LOCAL_ENTRY_SECONDS))


_LOCAL_ENTRY_SECONDS = 5 * 60  # a process re-reads an entry from the shared cache at least this often


def _remember(key, value, seconds):
    with _lock:
        _entries[key] = (value, time.monotonic() + seconds)
        _entries.move_to_end(key)
        while len(_entries) > LOCAL_ENTRIES:
            _entries.popitem(last=False)


def current():
    """The current token: a short string to put into cache keys and ETags."""
    connection = transaction.get_connection()
    # A token this transaction wrote is kept for this thread only: until it commits, no other request may read it
    # (it would render the data of before under it).
    own = connection.in_atomic_block and getattr(connection, "qa_generation_renewed", False)
    now = time.monotonic()
    if own:
        token = getattr(_thread, "token", None)
        if token is not None:
            return token
    else:
        with _lock:
            token, until, version = _local["token"], _local["until"], _local["version"]
        if token is not None and now < until:
            return token
    from .models import PublicationGeneration

    token = PublicationGeneration.objects.filter(pk=1).values_list("token", flat=True).first()
    if token is None:
        row, _created = PublicationGeneration.objects.get_or_create(
            pk=1, defaults={"token": uuid.uuid4().hex[:12], "changed_at": timezone.now()}
        )
        token = row.token
    if own:
        _thread.token = token
    else:
        with _lock:
            if _local["version"] == version:
                _local["token"], _local["until"] = token, now + local_seconds()
    return token


def renew():
    """A new token, in the current transaction: everything cached under the old one is stale once it commits."""
    from .models import PublicationGeneration

    token, now = uuid.uuid4().hex[:12], timezone.now()
    if not PublicationGeneration.objects.filter(pk=1).update(token=token, changed_at=now):
        PublicationGeneration.objects.update_or_create(pk=1, defaults={"token": token, "changed_at": now})
    forget()
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        connection.qa_generation_renewed = True

        def committed():
            connection.qa_generation_renewed = False
            forget()  # a request in another thread may have read the old token meanwhile

        transaction.on_commit(committed)


def bump():
    """Make everything cached under the current token stale, with the change being made."""
    renew()


def _on_change(sender, **kwargs):
    bump()


def connect():
    """Called from the app's ready(): bump on every change to published pages, and to who may view them."""
    for name, signal in {"published": page_published, "unpublished": page_unpublished, "moved": post_page_move}.items():
        # Any page: a topic's title is in every answer page's breadcrumb, the home page's intro is on the home.
        signal.connect(_on_change, dispatch_uid=f"published-generation-{name}")
    # Deleting a page of any type deletes its Page row too, which sends this.
    post_delete.connect(_on_change, sender=Page, dispatch_uid="published-generation-deleted")
    for name, signal in {"saved": post_save, "deleted": post_delete}.items():
        signal.connect(_on_change, sender=PageViewRestriction, dispatch_uid=f"published-generation-restriction-{name}")
    pages_bulk_created.connect(_on_change, dispatch_uid="published-generation-bulk")
    # Saves of an answer page outside publishing (visibility or topic changed in code).
    post_save.connect(_on_change, sender="knowledge.QuestionPage", dispatch_uid="published-generation-answer-saved")
    # Expert profiles: their names, photos and headlines are on answer pages, profiles and feeds. By label: the core
    # does not import the experts app.
    for name, signal in {"saved": post_save, "deleted": post_delete}.items():
        signal.connect(_on_change, sender="experts.ExpertProfile", dispatch_uid=f"published-generation-expert-{name}")
