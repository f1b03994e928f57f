"""The search query log, written off the request path.

A search adds its (normalised) words and number of hits to a queue in the cache: a sequence number from an atomic
INCR, and the item under that number. ``flush`` — a scheduled job every 10 seconds — reads the items since the last
flush, adds them up per query and writes them to ``SearchQueryLog`` in one transaction, so searching never takes
the database's write lock (on SQLite, the whole file's) and a burst of searches costs one write.

Without Redis the cache lives in each process, where the scheduler (another process) cannot see it: there, the
process that logs flushes its own queue itself, at most once every ``FLUSH_EVERY`` seconds (as widget counts do,
``feeds/counting.py``). A process that dies loses what it had not flushed; with Redis nothing waits in a process.
"""

import logging
import time
from datetime import UTC, datetime

from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import DatabaseError, connection, transaction

from qa_site.batching import Batch

from .models import SearchQueryLog

log = logging.getLogger(__name__)

SEQUENCE = "search-log:sequence"  # the number of the last search queued
FLUSHED = "search-log:flushed"  # the number of the last search written
LOCK = "search-log:flushing"
KEEP_SECONDS = 3 * 24 * 60 * 60  # a search not flushed within this time (the schedule stopped that long) is dropped
FLUSH_EVERY = 10
LOCAL_FLUSH_MARK = "search-log:flushed-recently"
BATCH = 1000
# An item missing among the newest this many is one whose search has taken its number but not yet stored it: the
# flush stops before it and takes it next time. Older missing items were evicted and are skipped.
IN_FLIGHT = 50


def _item_key(number):
    return f"search-log:item:{number}"


def record(query, hits):
    """Queue one search for ``query`` (normalised) that found ``hits`` answers (with Redis: gathered in the process
    for up to a second first, so that a request makes no round trip: ``qa_site.batching``)."""
    item = (query, hits, time.time())
    if isinstance(caches["default"], LocMemCache):
        _queue([item])
        if cache.add(LOCAL_FLUSH_MARK, 1, timeout=FLUSH_EVERY):
            flush()
    else:
        gathered.add(item)


def _queue(items):
    """Number ``items`` with one INCR and store them with one write."""
    for _attempt in range(2):  # a second go when the sequence vanished between add and incr (evicted)
        cache.add(SEQUENCE, 0, timeout=None)
        try:
            last = cache.incr(SEQUENCE, len(items))
            break
        except ValueError:
            continue
    else:
        return  # a cache that keeps nothing (Django's dummy cache) cannot queue
    first = last - len(items) + 1
    cache.set_many({_item_key(first + n): item for n, item in enumerate(items)}, KEEP_SECONDS)


gathered = Batch(_queue, name="search log")


def _read(first, last):
    """Items ``first``..``last`` present in the cache, and the number up to which all are accounted for."""
    keys = {number: _item_key(number) for number in range(first, last + 1)}
    found = cache.get_many(list(keys.values()))
    items, done = [], first - 1
    for number, key in keys.items():
        if key in found:
            items.append(found[key])
        elif number > last - IN_FLIGHT:
            break
        done = number
    return items, done


def _write(items):
    """One row per query: searches added to its count, the latest search's time and hits."""
    totals = {}
    for query, hits, at in items:
        count, latest, latest_hits = totals.get(query, (0, 0.0, 0))
        totals[query] = (count + 1, max(latest, at), hits if at >= latest else latest_hits)
    table = connection.ops.quote_name(SearchQueryLog._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"""
            INSERT INTO {table} (query, count, last_searched_at, last_hits, zero_results)
            VALUES (%s, %s, %s, %s, %s)
            ON CONFLICT (query) DO UPDATE SET
                count = {table}.count + excluded.count,
                last_searched_at = excluded.last_searched_at,
                last_hits = excluded.last_hits,
                zero_results = excluded.zero_results
            """,
            [
                [query, count, datetime.fromtimestamp(at, tz=UTC), hits, hits == 0]
                for query, (count, at, hits) in totals.items()
            ],
        )


def flush():
    """Write the queued searches to the query log. Safe to run twice, or twice at once (the second does nothing)."""
    gathered.flush()  # this process's own second's worth first
    if not cache.add(LOCK, 1, timeout=60):
        return {"written": 0}
    written = 0
    try:
        done, last = cache.get(FLUSHED) or 0, cache.get(SEQUENCE) or 0
        if last < done:  # the cache lost the sequence (emptied): start again from its new numbers
            done = 0
        while done < last:
            items, upto = _read(done + 1, min(last, done + BATCH))
            if upto == done:
                break  # the next item is still being stored
            if items:
                try:
                    _write(items)
                except DatabaseError:
                    log.warning("Could not write searches to the query log; they wait for the next run", exc_info=True)
                    break
            cache.set(FLUSHED, upto, timeout=None)
            cache.delete_many([_item_key(number) for number in range(done + 1, upto + 1)])
            written += len(items)
            done = upto
    finally:
        cache.delete(LOCK)
    return {"written": written}
