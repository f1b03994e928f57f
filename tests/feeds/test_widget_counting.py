"""Widget views and clicks: counted in the cache on the request path, moved into UsageCount by a scheduled flush."""

import datetime as dt
import threading

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feeds import counting
from qa_site.scheduling.schedule import JOBS
from subscriptions.models import AccessKey, UsageCount
from tests.factories import NetworkFactory, SubscriptionFactory, make_published_page

SITE = "https://www.northshire.example.org"
VIEW, CLICK = UsageCount.Kind.WIDGET_VIEW, UsageCount.Kind.WIDGET_CLICK


@pytest.fixture
def hold_local_flush():
    """Without Redis, the counting process flushes at most every five minutes: pretend it just did."""
    cache.set(counting.LOCAL_FLUSH_MARK, 1, timeout=None)


@pytest.fixture
def key(northshire, nadia):
    return AccessKey.objects.create(
        network=northshire, name="Website", kind="widget", created_by=nadia, allowed_origins=SITE
    )


@pytest.fixture
def page(topic):
    return make_published_page(topic=topic, title="Can trustees claim travel expenses?")


def counts(network):
    return dict(UsageCount.objects.filter(network=network).values_list("kind", "count"))


def test_the_flush_is_scheduled_every_five_minutes():
    assert ("feeds.counting.flush", 300) in JOBS


def test_requests_count_in_the_cache_and_write_nothing(client, key, page, northshire, hold_local_flush):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/embed/answers.json", {"key": key.key}, HTTP_ORIGIN=SITE).status_code == 200
        assert client.get("/embed/answers.json", {"key": key.key, "count": "3"}).status_code == 200
        assert client.get("/embed/frame/", {"key": key.key}).status_code == 200
        assert client.get(f"/embed/click/{page.pk}/", {"key": key.key}).status_code == 302
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert not [q["sql"] for q in queries if "usagecount" in q["sql"].lower()]
    today = timezone.localdate()
    assert counting.pending() == {(VIEW, northshire.pk, today): 3, (CLICK, northshire.pk, today): 1}
    assert counts(northshire) == {}

    assert counting.flush() == {"recorded": 4}
    assert counts(northshire) == {VIEW: 3, CLICK: 1}
    assert UsageCount.objects.get(network=northshire, kind=VIEW).day == today
    assert counting.pending() == {}


def test_a_second_flush_counts_nothing_twice(client, key, northshire, page, hold_local_flush):
    for _ in range(5):
        client.get("/embed/answers.json", {"key": key.key})
    counting.flush()
    assert counting.flush() == {"recorded": 0}
    assert counts(northshire) == {VIEW: 5}
    client.get("/embed/answers.json", {"key": key.key})
    counting.flush()
    counting.flush()
    assert counts(northshire) == {VIEW: 6}


def test_only_requests_that_show_answers_are_views(client, key, northshire, topic, other_topic, hold_local_flush):
    make_published_page(topic=topic, title="Charity law answer")
    client.get("/embed/answers.json", {"key": key.key, "topic": "rural-transport"})  # no answers there yet
    client.get("/embed/answers.json", {"key": key.key, "count": "abc"})
    client.get("/embed/answers.json", {"key": key.key}, HTTP_ORIGIN="https://elsewhere.example.com")
    client.get("/embed/answers.json", {"key": key.key, "preview": "1"})  # the configurator's preview
    client.get("/embed/frame/", {"key": key.key, "preview": "1"})
    assert counting.pending() == {}
    key.revoked_at = timezone.now()
    key.save()
    client.get("/embed/answers.json", {"key": key.key})
    assert counting.pending() == {}


def test_counts_go_to_their_own_network_and_day(key, northshire, westvale, hold_local_flush):
    AccessKey.objects.create(network=westvale, name="Westvale site", kind="widget", allowed_origins=SITE)
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    counting.count(network_id=northshire.pk, kind=VIEW)
    counting.count(network_id=westvale.pk, kind=CLICK)
    cache.set(counting.counter_key(VIEW, northshire.pk, yesterday), 7)  # counted before midnight, not yet flushed
    counting.flush()
    rows = UsageCount.objects.order_by("network__name", "day").values_list("network__slug", "day", "kind", "count")
    assert list(rows) == [
        ("northshire", yesterday, VIEW, 7),
        ("northshire", today, VIEW, 1),
        ("westvale", today, CLICK, 1),
    ]


def test_counts_already_in_the_report_are_added_to(key, northshire, hold_local_flush):
    UsageCount.objects.create(network=northshire, day=timezone.localdate(), kind=VIEW, count=10)
    counting.count(network_id=northshire.pk, kind=VIEW)
    counting.flush()
    assert counts(northshire) == {VIEW: 11}


def test_without_redis_the_counting_process_flushes_now_and_then(key, northshire):
    if not isinstance(caches["default"], counting.LocMemCache):
        pytest.skip("with Redis the scheduled job flushes")
    counting.count(network_id=northshire.pk, kind=VIEW)  # the first count in five minutes flushes
    assert counts(northshire) == {VIEW: 1}
    with CaptureQueriesContext(connection) as queries:
        counting.count(network_id=northshire.pk, kind=VIEW)
    assert queries.captured_queries == []
    assert counts(northshire) == {VIEW: 1}
    assert counting.flush() == {"recorded": 1}


def test_a_failed_write_gives_the_counts_back(key, northshire, hold_local_flush, monkeypatch):
    counting.count(network_id=northshire.pk, kind=VIEW)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(counting.usage, "record", broken)
    with pytest.raises(RuntimeError):
        counting.flush()
    monkeypatch.undo()
    assert counting.pending() == {(VIEW, northshire.pk, timezone.localdate()): 1}
    counting.flush()
    assert counts(northshire) == {VIEW: 1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_flushes_racing_each_other_and_the_requests_neither_lose_nor_double_count():
    """Real Redis and PostgreSQL: counting threads and three flushing threads at the same time."""
    if connection.vendor != "postgresql" or not isinstance(caches["default"], RedisCache):
        pytest.skip("needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL (CI does)")
    network = NetworkFactory()
    SubscriptionFactory(network=network)
    AccessKey.objects.create(network=network, name="Site", kind="widget", allowed_origins=SITE)
    counters, per_counter, flushers = 4, 250, 3
    barrier = threading.Barrier(counters + flushers)
    done = threading.Event()
    errors = []

    def counter():
        try:
            barrier.wait()
            for n in range(per_counter):
                counting.count(network_id=network.pk, kind=VIEW if n % 2 else CLICK)
        except Exception as exc:
            errors.append(exc)

    def flusher():
        try:
            barrier.wait()
            while not done.is_set():
                counting.flush()
        except Exception as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    counting_threads = [threading.Thread(target=counter) for _ in range(counters)]
    flushing_threads = [threading.Thread(target=flusher) for _ in range(flushers)]
    for thread in counting_threads + flushing_threads:
        thread.start()
    for thread in counting_threads:
        thread.join(timeout=120)
    done.set()
    for thread in flushing_threads:
        thread.join(timeout=120)
    counting.flush()
    assert errors == []
    total = counters * per_counter
    assert counts(network) == {VIEW: total // 2, CLICK: total // 2}
    assert counting.pending() == {}


def test_a_cache_that_keeps_nothing_loses_counts_but_never_the_page(client, key, page, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    response = client.get("/embed/answers.json", {"key": key.key}, HTTP_ORIGIN=SITE)
    assert response.status_code == 200
    assert [item["title"] for item in response.json()["items"]] == ["Can trustees claim travel expenses?"]
    assert client.get(f"/embed/click/{page.pk}/", {"key": key.key}).status_code == 302
