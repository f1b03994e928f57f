"""With Redis away the cache answers "nothing cached", outages are logged once, and pages keep answering.

The cache runs against a private redis-server that the test starts, kills and starts again on the same port.
"""

import logging
import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache import caches
from django.urls import reverse

from qa_site.knowledge import generation
from qa_site.resilience import ResilientRedisCache
from tests.factories import PASSWORD, make_published_page

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None, reason="needs Debian's redis-server (apt-get install redis-server)"
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own, keeping nothing on disk: killed, it comes back empty, as after a crash."""

    def __init__(self, workdir):
        self.port = free_port()
        self.workdir = workdir
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, deadline=30):
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        until = time.monotonic() + deadline
        while time.monotonic() < until:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        self.kill()
        raise AssertionError(f"redis-server did not answer on port {self.port} within {deadline} s")

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def redis_server(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def cache_on(redis_server):
    cache = ResilientRedisCache(
        redis_server.url, {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1}, "KEY_PREFIX": "t"}
    )
    cache.RETRY_AFTER = 0.3
    return cache


def test_the_cache_carries_on_in_memory_while_redis_is_down_and_recovers(redis_server, cache_on, caplog):
    cache_on.set("generation", "abc")
    assert cache_on.get("generation") == "abc"
    redis_server.kill()
    with caplog.at_level(logging.WARNING, logger="qa_site.resilience"):
        assert cache_on.get("generation", "default") == "default", "what Redis held is out of reach"
        assert cache_on.add("sign-in-lock", 1) is True, "locks and counters work, in this process"
        assert cache_on.add("sign-in-lock", 1) is False
        cache_on.set("counter", 0)
        assert cache_on.incr("counter") == 1
        assert cache_on.get_many(["counter", "nothing"]) == {"counter": 1}
        cache_on.delete("counter")
        assert cache_on.has_key("counter") is False
        cache_on.set("feed", "built during the outage")
        time.sleep(0.4)  # past RETRY_AFTER: it tries Redis again, fails again, and carries on locally
        assert cache_on.get("feed") == "built during the outage"
        redis_server.start()
        time.sleep(0.4)
        assert cache_on.get("feed") is None, "Redis again, and the outage's local entries are gone"
        assert cache_on.add("sign-in-lock", 1) is True
        assert cache_on.incr("sign-in-lock") == 2
    assert cache_on.local.get("feed") is None
    messages = [r.getMessage() for r in caplog.records]
    assert sum("The Redis cache is unreachable" in m for m in messages) == 1, "one line for the outage"
    assert sum("The Redis cache is back after" in m for m in messages) == 1, "one line when it is back"


def test_after_a_failure_redis_is_left_alone_for_a_moment(redis_server, cache_on):
    redis_server.kill()
    started = time.monotonic()
    cache_on.get("a")
    calls = [cache_on.get("a") for _ in range(200)]  # within RETRY_AFTER: no connection attempts at all
    assert calls == [None] * 200
    assert time.monotonic() - started < cache_on.RETRY_AFTER + 0.5


def test_pages_signing_in_and_asking_work_with_the_cache_down(
    client, settings, alice, northshire, topic, erin, run_on_commit
):
    """The site's own cache on a Redis that is not there: pages answer, people sign in and ask, and rate limits
    still count (in this process)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "qa_site.resilience.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    settings.RATE_LIMIT_ASK = "2/h"
    assert isinstance(caches["default"], ResilientRedisCache)
    for path in ("/", topic.url, "/search/?q=trustees", "/feeds/latest.rss", reverse("account_login"), "/experts/"):
        assert client.get(path).status_code == 200, path
    # allauth takes a lock in the cache to count sign-in attempts: it must still get it.
    response = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/")
    form = {"network": northshire.pk, "topic": topic.pk, "visibility": "public", "details": "d" * 40}
    with run_on_commit():
        for n in range(3):
            response = client.post(reverse("knowledge:ask"), {**form, "title": f"Question number {n} for the panel"})
            assert response.status_code == (302 if n < 2 else 429), response.content.decode()[:500]
    assert alice.questions_asked.count() == 2


def test_a_publication_made_while_redis_was_away_makes_cached_pages_stale_everywhere(
    redis_server, settings, topic, erin, run_on_commit
):
    """Pages, feeds and widgets are cached under the publication generation. Its token lives in the database and
    changes in the publication's own transaction, so a publication made while Redis is away is seen at once, and
    still when Redis comes back holding entries of before (a network partition: Redis is cut off, not killed)."""

    def cache_at(url):
        settings.CACHES = {
            "default": {
                "BACKEND": "qa_site.resilience.ResilientRedisCache",
                "LOCATION": url,
                "OPTIONS": {"socket_connect_timeout": 0.5},
            }
        }

    cache_at(redis_server.url)
    before = generation.current()
    working_queue = settings.RQ_QUEUES
    cache_at("redis://127.0.0.1:9/0")  # cut off: the cache and, as in production, the queue with it
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:9/0?socket_connect_timeout=0.5", "ASYNC": True}}
    with run_on_commit():
        make_published_page(topic=topic, title="Volunteer mileage rates", expert=erin)
    during = generation.current()
    assert during != before, "pages cached before the publication are stale at once"
    cache_at(redis_server.url)  # back
    settings.RQ_QUEUES = working_queue
    assert generation.current() == during, "Redis coming back brings no token of before"
