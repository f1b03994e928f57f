"""What feeds cost when served by a real server, cached and uncached, against a static file as the baseline.

Fills a fresh bench database with published answers (``bench/generate_qa.generate``: ~80 % public, ~20 %
network-only, by the demo experts), then starts two threaded servers (``manage.py runserver --noreload``,
settings ``bench.feeds_settings``): one with the configured cache (Redis with REDIS_URL, else the process's
memory) and one with no cache at all (Django's DummyCache), where every request renders the feed afresh.
Concurrent clients (a thread pool of plain HTTP/1.1 requests) measure requests a second, p50 and p95 for:
the latest answers as RSS (cached, uncached, and answered 304 to If-None-Match), a topic feed, a network's key
feed, the widget's JSON (20 answers: cached, 304 and uncached), and a static file from the same server (the
baseline: the figures are also given as a ratio of it). Before that, in-process, it counts the SQL queries
of one uncached render of each feed and of the widget's JSON with 20 and then 200 answers in the database:
they must not change.

    .venv/bin/python bench/feeds.py                       # SQLite file in var/bench/, in-memory cache
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qa_bench_feeds REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python bench/feeds.py --count 2000
"""

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate_qa import _prepare_database  # noqa: E402

STATIC_PATH = "/static/css/site.css"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000, help="published answers in the database (≥ 200)")
    parser.add_argument("--requests", type=int, default=600, help="requests per measurement")
    parser.add_argument("--concurrency", type=int, default=8, help="clients at once")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'bench' / 'feeds.sqlite3'}",
        help="bench database, emptied first (default: DATABASE_URL, else var/bench/feeds.sqlite3)",
    )
    args = parser.parse_args()
    if args.count < 200:
        parser.error("--count must be at least 200")
    return args


def setup_django(database_url):
    _prepare_database(database_url, fresh=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.feeds_settings"
    os.environ.setdefault("CACHE_KEY_PREFIX", "qa-bench-feeds")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def make_keys():
    """A live network whose plan has private feeds and full answers, with a feed key and a widget key."""
    import datetime as dt

    from django.utils import timezone

    from subscriptions.models import AccessKey, Network, Plan, Subscription

    plan, _ = Plan.objects.get_or_create(
        slug="bench-premium",
        defaults={
            "name": "Bench premium",
            "annual_price": 2400,
            "private_feeds": True,
            "full_answers_in_widgets": True,
        },
    )
    network = Network.objects.get(slug="westvale-cvs")
    today = timezone.localdate()
    Subscription.objects.create(
        network=network, plan=plan, starts_on=today - dt.timedelta(days=10), ends_on=today + dt.timedelta(days=300)
    )
    feed = AccessKey.objects.create(network=network, name="Bench feed", kind=AccessKey.Kind.FEED)
    widget = AccessKey.objects.create(network=network, name="Bench widget", kind=AccessKey.Kind.WIDGET)
    return feed.key, widget.key


def feed_paths(feed_key):
    from django.contrib.auth import get_user_model

    from qa_site.knowledge.models import TopicPage

    topic = TopicPage.objects.live().order_by("title").first()
    expert = get_user_model().objects.filter(expert_profile__isnull=False).order_by("pk").first()
    return {
        "latest": "/feeds/latest.rss",
        "topic": f"/feeds/topics/{topic.slug}.rss",
        "expert": f"/feeds/experts/{expert.expert_profile.slug}.rss",
        "key": f"/feeds/key/{feed_key}.rss",
    }


def queries_per_render(paths):
    """{feed: number of SQL queries} of one uncached render of each feed, through Django's test client."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from qa_site.knowledge import generation

    client = Client()
    counts = {}
    for name, path in paths.items():
        client.get(path)  # fills Wagtail's own caches (site root paths)
        cache.delete(generation.KEY)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[name] = len(queries)
    return counts


def forget_cached_feeds():
    """On Redis, delete this bench's cache keys (only those: the server may hold other data)."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(write=True)
        keys = list(client.scan_iter(match=backend.make_key("*")))
        if keys:
            client.delete(*keys)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(*, uncached):
    port = free_port()
    env = dict(os.environ, FEEDS_BENCH_UNCACHED="1" if uncached else "0")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(port, STATIC_PATH)[0] == 200:
                return process, port
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the bench server did not start")


def get(port, path, headers=None):
    """(status, seconds) of one GET on a fresh connection, the body read in full."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        connection.close()


def load(port, path, *, requests, concurrency, headers=None, expect=200):
    """Requests a second, p50 and p95 (ms) of ``requests`` GETs of ``path`` by ``concurrency`` clients."""
    for _ in range(concurrency):
        get(port, path, headers)  # warm up: the first request renders and fills the cache
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda _: get(port, path, headers), range(requests)))
    elapsed = time.perf_counter() - started
    statuses = {status for status, _ in results}
    assert statuses == {expect}, (path, statuses)
    times = sorted(seconds * 1000 for _, seconds in results)
    return requests / elapsed, statistics.median(times), times[int(0.95 * (len(times) - 1))]


def etag_of(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.getheader("ETag")
    finally:
        connection.close()


def main():
    args = parse_args()
    setup_django(args.database_url)
    from django.conf import settings
    from django.db import connection
    from django.urls import reverse

    from bench.generate_qa import generate

    generate(20, progress=False)
    feed_key, widget_key = make_keys()
    paths = feed_paths(feed_key)
    paths["widget"] = reverse("embed:answers") + f"?key={widget_key}&count=20"
    at_20 = queries_per_render(paths)
    generate(180, start=20, progress=False)
    at_200 = queries_per_render(paths)
    if args.count > 200:
        generate(args.count - 200, start=200, progress=False)

    widget_path = paths["widget"]

    cache_name = "Redis" if settings.REDIS_URL else "in-process memory"
    print(f"\n{args.count:,} published answers on {connection.vendor}; cache: {cache_name}; ", end="")
    print(f"{args.requests} requests per row, {args.concurrency} clients at once; threaded runserver.\n")
    print("SQL queries per uncached render (20 answers in the database → 200):")
    for name in paths:
        print(f"  {name:8} {at_20[name]} → {at_200[name]}")
    print()

    cached_server, cached_port = start_server(uncached=False)
    uncached_server, uncached_port = start_server(uncached=True)
    try:
        rows = [("static file (baseline)", cached_port, STATIC_PATH, None, 200)]
        latest_etag = etag_of(cached_port, paths["latest"])
        rows += [
            ("latest.rss cached", cached_port, paths["latest"], None, 200),
            ("latest.rss 304 (If-None-Match)", cached_port, paths["latest"], {"If-None-Match": latest_etag}, 304),
            ("latest.rss uncached", uncached_port, paths["latest"], None, 200),
            ("topic feed cached", cached_port, paths["topic"], None, 200),
            ("topic feed uncached", uncached_port, paths["topic"], None, 200),
            ("key feed cached", cached_port, paths["key"], None, 200),
            ("key feed uncached", uncached_port, paths["key"], None, 200),
        ]
        widget_etag = etag_of(cached_port, widget_path)
        rows += [
            ("widget answers.json cached", cached_port, widget_path, None, 200),
            ("widget answers.json 304", cached_port, widget_path, {"If-None-Match": widget_etag}, 304),
            ("widget answers.json uncached", uncached_port, widget_path, None, 200),
        ]
        results = []
        for label, port, path, headers, expect in rows:
            rps, p50, p95 = load(
                port, path, requests=args.requests, concurrency=args.concurrency, headers=headers, expect=expect
            )
            results.append((label, rps, p50, p95))
    finally:
        for process in (cached_server, uncached_server):
            process.terminate()
            process.wait(timeout=30)
        forget_cached_feeds()

    baseline = results[0][1]
    print(f"{'request':34} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'÷ static':>9}")
    print("-" * 71)
    for label, rps, p50, p95 in results:
        print(f"{label:34} {rps:8.0f} {p50:8.1f} {p95:8.1f} {rps / baseline:8.2f}×")


if __name__ == "__main__":
    main()
