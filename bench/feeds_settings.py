"""Settings for the servers that bench/feeds.py starts: the development settings as a production server runs them.

No debug (no query log, static files through WhiteNoise as in production), the bench database from
DATABASE_URL, the cache of REDIS_URL or the process's memory — or no cache at all with FEEDS_BENCH_UNCACHED=1,
so every request renders afresh. Jobs always run in-process, so a bench never leaves work in a real queue.
"""

import os
import warnings

import fakeredis
import redis

from qa_site.settings.dev import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
WHITENOISE_USE_FINDERS = True  # static files straight from the apps' folders, no collectstatic needed
warnings.filterwarnings("ignore", message="No directory at")
RQ_QUEUES = {
    "default": {
        "HOST": "localhost",
        "PORT": 6379,
        "DB": 0,
        "ASYNC": False,
        "REDIS_CLIENT_KWARGS": {
            "connection_pool": redis.ConnectionPool(
                connection_class=fakeredis.FakeRedisConnection, server=fakeredis.FakeServer()
            )
        },
    }
}
if os.environ.get("FEEDS_BENCH_UNCACHED") == "1":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
