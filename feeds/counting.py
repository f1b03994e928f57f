"""Widget views and clicks, counted per network and day without a database write on every request.

A request adds one to a counter in the cache (Redis INCR when REDIS_URL is set, a second's worth of counts at
once: ``qa_site.batching``), keyed by kind, network and day. ``flush`` — a scheduled job — moves those counts
into ``UsageCount`` (the value report) with ``usage.record``. It takes each count with an atomic DECR by the amount
it read, so requests counting in the meantime are kept for the next flush, and two flushes at once never both take
the same views: a DECR that goes below zero means another flush got there first, and is put back.

Without Redis the cache lives in each process, and the scheduled job (another process) cannot see it: there,
the process that counts flushes its own counters itself, at most once every FLUSH_EVERY seconds.
"""

import datetime as dt
from collections import Counter

from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.utils import timezone

from qa_site.batching import Batch
from subscriptions import usage
from subscriptions.models import AccessKey, UsageCount

VIEW = UsageCount.Kind.WIDGET_VIEW
CLICK = UsageCount.Kind.WIDGET_CLICK
KINDS = (VIEW, CLICK)
DAYS_KEPT = 3  # a count not flushed within this many days (the schedule stopped that long) is dropped
FLUSH_EVERY = 5 * 60
LOCAL_FLUSH_MARK = "widget-counts:flushed-recently"


def counter_key(kind, network_id, day):
    return f"widget-counts:{kind}:{network_id}:{day.isoformat()}"


def count(*, network_id, kind):
    """Count one view or click for ``network_id`` today, in the cache (with Redis: gathered in the process for up to
    a second first, so that a request makes no round trip: ``qa_site.batching``)."""
    key = counter_key(kind, network_id, timezone.localdate())
    if isinstance(caches["default"], LocMemCache):
        _add(key, 1)
        if cache.add(LOCAL_FLUSH_MARK, 1, timeout=FLUSH_EVERY):
            flush()
    else:
        gathered.add(key)


def _add(key, amount):
    for _attempt in range(2):  # a second go when the key expired between add and incr
        cache.add(key, 0, timeout=DAYS_KEPT * 24 * 60 * 60)
        try:
            cache.incr(key, amount)
            return
        except ValueError:
            continue  # after two goes, a cache that keeps nothing (Django's dummy cache) loses the count


def _deliver(keys):
    for key, amount in Counter(keys).items():
        _add(key, amount)


gathered = Batch(_deliver, name="widget counts")


def pending(*, network_ids=None, today=None):
    """{(kind, network_id, day): n} of the counts waiting in the cache (for the flush, and for tests)."""
    gathered.flush()  # this process's own second's worth first
    if network_ids is None:
        network_ids = AccessKey.objects.filter(kind=AccessKey.Kind.WIDGET).values_list("network_id", flat=True)
        network_ids = set(network_ids)
    today = today or timezone.localdate()
    days = [today - dt.timedelta(days=n) for n in range(DAYS_KEPT + 1)]
    wanted = {
        counter_key(kind, network_id, day): (kind, network_id, day)
        for kind in KINDS
        for network_id in network_ids
        for day in days
    }
    found = cache.get_many(list(wanted))
    return {wanted[key]: value for key, value in found.items() if value and value > 0}


def _take(key, amount):
    """Take ``amount`` from the counter at ``key``; False (and nothing taken) if another flush took it first."""
    try:
        left = cache.decr(key, amount)
    except ValueError:  # the key expired meanwhile
        return False
    if left < 0:
        cache.incr(key, amount)
        return False
    return True


def flush():
    """Move the counts waiting in the cache into UsageCount. Safe to run twice, or twice at once."""
    moved = 0
    for (kind, network_id, day), amount in pending().items():
        key = counter_key(kind, network_id, day)
        if not _take(key, amount):
            continue
        try:
            with transaction.atomic():
                usage.record(network_ids=[network_id], kind=kind, amount=amount, day=day)
        except Exception:
            cache.incr(key, amount)  # give the counts back for the next run
            raise
        moved += amount
    return {"recorded": moved}
