"""How the site degrades when Redis blinks: the cache carries on in each process's memory, outages are logged once.

With ``REDIS_URL`` set, Redis holds the cache (rendered feeds, rate-limit counters, sign-in locks, the publication
generation, widget counts) and the job queue. Django's own ``RedisCache`` raises on a refused connection, which
would turn every page into a 500 while Redis is away. ``ResilientRedisCache`` catches connection errors and
answers from a local, per-process cache instead, until Redis answers again; after a failure it leaves Redis alone
for ``RETRY_AFTER`` seconds, so a page that touches the cache ten times pays for one refused connection, not ten.

``Outage`` logs the moment a service goes away and the moment it comes back — once each, not once per request.
This module imports no app: settings name the cache backend by its dotted path.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
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
        self.last_failure = None
        self._lock = threading.Lock()

    @property
    def down(self):
        return self.since is not None

    def failed_within(self, seconds):
        """Did the last try fail less than ``seconds`` ago (so the next may as well wait)?"""
        return self.down and self.last_failure is not None and time.monotonic() - self.last_failure < seconds

    def failed(self, exc):
        self.last_failure = time.monotonic()
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
    """Django's Redis cache, which carries on in this process's memory while Redis cannot be reached.

    While Redis is away every call goes to a per-process local cache instead, so what needs a cache to work at all
    keeps working: allauth's sign-in lock and rate limits, "this authenticator code was used", django-ratelimit's
    counters — per process rather than for the whole site, and only until Redis is back. Cached pages and feeds are
    built again per process. When Redis answers again the local cache is emptied, so nothing from one outage is
    served in the next.
    """

    RETRY_AFTER = 2.0  # seconds without trying Redis again after it failed

    def __init__(self, server, params):
        super().__init__(server, params)
        self.outage = Outage("The Redis cache", consequence="each process caches in its own memory until it is back")
        self.local = LocMemCache(f"redis-fallback-{id(self)}", {"OPTIONS": {"MAX_ENTRIES": 5000}})
        self._skip_until = 0.0

    def _guard(self, name, *args):
        if time.monotonic() >= self._skip_until:
            try:
                result = getattr(super(), name)(*args)
            except REDIS_DOWN as exc:
                self._skip_until = time.monotonic() + self.RETRY_AFTER
                self.outage.failed(exc)
            else:
                if self.outage.down:
                    self.local.clear()
                    self.outage.worked()
                return result
        return getattr(self.local, name)(*args)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._guard("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._guard("delete", key, version)

    def get_many(self, keys, version=None):
        return self._guard("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._guard("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._guard("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._guard("delete_many", keys, version)

    def clear(self):
        return self._guard("clear")
