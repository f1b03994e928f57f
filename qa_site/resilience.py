"""How the site degrades when Redis blinks: the cache answers "nothing cached", and outages are logged once.

With ``REDIS_URL`` set, Redis holds the cache (rendered feeds, rate-limit counters, the publication generation,
widget counts) and the job queue. Django's own ``RedisCache`` raises on a refused connection, which would turn
every page into a 500 while Redis is away. ``ResilientRedisCache`` catches connection errors instead: reads miss,
writes are dropped, ``add`` says "not added" and ``incr`` says "no such key" (so rate limits, set to fail open,
let people through, and counters skip a beat). After a failure it stops trying for ``RETRY_AFTER`` seconds, so a
page that touches the cache ten times pays for one refused connection, not ten.

``Outage`` logs the moment a service goes away and the moment it comes back — once each, not once per request.
This module imports no app: settings name the cache backend by its dotted path.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# What a Redis that is down, restarting or unreachable raises (BusyLoadingError is a ConnectionError).
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)

log = logging.getLogger(__name__)


class Outage:
    """One service's state as this process last saw it; logs each change of state once."""

    def __init__(self, what, *, consequence):
        self.what = what
        self.consequence = consequence
        self.since = None
        self._lock = threading.Lock()

    @property
    def down(self):
        return self.since is not None

    def failed(self, exc):
        with self._lock:
            if self.since is not None:
                return
            self.since = time.monotonic()
        log.warning("%s is unreachable (%s: %s); %s", self.what, type(exc).__name__, exc, self.consequence)

    def worked(self):
        if self.since is None:
            return
        with self._lock:
            if self.since is None:
                return
            lasted = time.monotonic() - self.since
            self.since = None
        log.warning("%s is back after %.0f s", self.what, lasted)


class RedisRetriesAreWarnings(logging.Filter):
    """rq's worker logs each failed reconnection as an error, every few seconds of an outage; they are warnings
    (the outage itself is what matters, and monitoring sees it in /readyz), so error reporting is not flooded."""

    def filter(self, record):
        if record.levelno == logging.ERROR and "could not connect to Redis" in record.getMessage():
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, which answers as an empty cache while Redis cannot be reached."""

    RETRY_AFTER = 2.0  # seconds without trying Redis again after it failed

    def __init__(self, server, params):
        super().__init__(server, params)
        self.outage = Outage("The Redis cache", consequence="pages are served uncached and rate limits are off")
        self._skip_until = 0.0

    def _guard(self, call, fallback):
        if time.monotonic() < self._skip_until:
            return fallback()
        try:
            result = call()
        except REDIS_DOWN as exc:
            self._skip_until = time.monotonic() + self.RETRY_AFTER
            self.outage.failed(exc)
            return fallback()
        if self.outage.down:
            self.outage.worked()
        return result

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(lambda: super(ResilientRedisCache, self).add(key, value, timeout, version), lambda: False)

    def get(self, key, default=None, version=None):
        return self._guard(lambda: super(ResilientRedisCache, self).get(key, default, version), lambda: default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(lambda: super(ResilientRedisCache, self).set(key, value, timeout, version), lambda: None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(lambda: super(ResilientRedisCache, self).touch(key, timeout, version), lambda: False)

    def delete(self, key, version=None):
        return self._guard(lambda: super(ResilientRedisCache, self).delete(key, version), lambda: False)

    def get_many(self, keys, version=None):
        return self._guard(lambda: super(ResilientRedisCache, self).get_many(keys, version), dict)

    def has_key(self, key, version=None):
        return self._guard(lambda: super(ResilientRedisCache, self).has_key(key, version), lambda: False)

    def incr(self, key, delta=1, version=None):
        def missing():
            raise ValueError(f"Key '{key}' not found (the cache is unreachable).")

        return self._guard(lambda: super(ResilientRedisCache, self).incr(key, delta, version), missing)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version), lambda: list(data)
        )

    def delete_many(self, keys, version=None):
        return self._guard(lambda: super(ResilientRedisCache, self).delete_many(keys, version), lambda: None)

    def clear(self):
        return self._guard(lambda: super(ResilientRedisCache, self).clear(), lambda: False)
