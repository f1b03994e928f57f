"""The search query log, queued in the cache and written in batches (search/querylog.py)."""

from django.core.cache import cache

from qa_site.scheduling.schedule import JOBS
from search import querylog
from search.models import SearchQueryLog


def logged():
    return {row.query: (row.count, row.last_hits) for row in SearchQueryLog.objects.all()}


def test_searches_wait_in_the_cache_until_the_scheduled_flush_writes_them(db):
    assert ("search.querylog.flush", 10) in JOBS
    cache.add(querylog.LOCAL_FLUSH_MARK, 1)  # as if this process had just flushed: the next searches wait
    for query, hits in (("gift aid", 3), ("gift aid", 4), ("minibus", 0)):
        querylog.record(query, hits)
    assert logged() == {}
    assert querylog.flush() == {"written": 3}
    assert logged() == {"gift aid": (2, 4), "minibus": (1, 0)}
    querylog.record("gift aid", 5)
    querylog.flush()
    assert logged()["gift aid"] == (3, 5)
    assert querylog.flush() == {"written": 0}  # nothing twice


def test_two_flushes_at_once_write_each_search_once(db):
    cache.add(querylog.LOCAL_FLUSH_MARK, 1)
    querylog.record("lease", 1)
    cache.add(querylog.LOCK, 1)  # another flush is running
    assert querylog.flush() == {"written": 0}
    cache.delete(querylog.LOCK)
    assert querylog.flush() == {"written": 1}
    assert logged() == {"lease": (1, 1)}


def test_a_search_still_being_stored_is_waited_for(db):
    cache.add(querylog.LOCAL_FLUSH_MARK, 1)
    querylog.record("first", 1)
    querylog.gathered.flush()  # with Redis, searches wait a second in the process first (qa_site/batching.py)
    cache.incr(querylog.SEQUENCE)  # a search has taken its number but not stored its words yet
    assert querylog.flush() == {"written": 1}
    querylog.record("third", 2)
    assert querylog.flush() == {"written": 0}, "the flush stops before the search being stored"
    cache.set(f"search-log:item:{cache.get(querylog.SEQUENCE) - 1}", ("second", 0, 0.0))
    assert querylog.flush() == {"written": 2}
    assert set(logged()) == {"first", "second", "third"}
