"""The cast every test can use, at each access level, and the page tree they work in.

- alice: adviser of Northshire (active subscription)
- nadia: network admin of Northshire
- bob: adviser of Westvale (another active network)
- carol: adviser of Eastmoor (subscription expired)
- erin: expert on Charity law
- colin: coordinator (staff)
- nobody: signed in, belongs to no network
"""

import datetime as dt
import os

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone
from osmem_server import OsmemError, OsmemServer

from qa_site.knowledge.setup import ensure_coordinators_group, ensure_site_tree
from subscriptions.models import Membership, Subscription

from .factories import (
    MembershipFactory,
    NetworkFactory,
    PlanFactory,
    SubscriptionFactory,
    UserFactory,
    make_expert,
    make_topic,
)


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's chromium; without it they are skipped, or fail when REQUIRE_BROWSER=1."""
    if os.path.exists("/usr/bin/chromium") or os.environ.get("REQUIRE_BROWSER") == "1":
        return
    skip = pytest.mark.skip(reason="chromium is not installed (run scripts/ensure-browser)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def clear_cache():
    """Empty the cache. On Redis, only this cache's keys: flushing the database would also empty rq's queues."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(write=True)
        keys = list(client.scan_iter(match=backend.make_key("*")))
        if keys:
            client.delete(*keys)
    else:
        backend.clear()


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters, e-mail cooldowns and used TOTP codes live in the cache: each test starts with none.
    Nor does a test start with the publication token an earlier test's database held."""
    from qa_site.accounts import backends, sessions
    from qa_site.accounts import middleware as two_factor
    from qa_site.batching import Batch
    from qa_site.knowledge import generation, pagecache
    from qa_site.outbox import relay
    from subscriptions import access, usage

    def forget_everything():
        clear_cache()
        generation.reset()
        for batch in Batch.instances:  # widget counts and searches an earlier test left in the process
            batch.discard()
        # What processes keep in their own memory, keyed by ids the next test's database gives out again.
        access._local_snapshots.clear()
        access._local_grants.clear()
        usage._counted.clear()
        two_factor._on_panel.clear()
        pagecache._rendered.clear()
        pagecache._expected.clear()
        sessions._owners.clear()
        for var in (backends.prefetched, sessions.read_also, sessions.read_also_values):
            var.set(None)
        # A queue that failed in an earlier test (tests/outbox) is not left alone for the next few seconds: side
        # effects a test runs through the outbox would wait for the relay instead.
        relay.queue_outage.since = relay.queue_outage.last_failure = None

    forget_everything()
    yield
    forget_everything()


@pytest.fixture
def site_tree(db):
    return ensure_site_tree()


@pytest.fixture
def topic(site_tree):
    return make_topic("Charity law")


@pytest.fixture
def other_topic(site_tree):
    return make_topic("Rural transport")


@pytest.fixture
def standard_plan(db):
    return PlanFactory(slug="standard", sla_hours=48)


@pytest.fixture
def premium_plan(db):
    return PlanFactory(slug="premium", sla_hours=24, annual_price="2400.00")


@pytest.fixture
def northshire(standard_plan):
    network = NetworkFactory(name="Northshire RCC", slug="northshire")
    SubscriptionFactory(network=network, plan=standard_plan)
    return network


@pytest.fixture
def westvale(premium_plan):
    network = NetworkFactory(name="Westvale CVS", slug="westvale")
    SubscriptionFactory(network=network, plan=premium_plan)
    return network


@pytest.fixture
def eastmoor(standard_plan):
    network = NetworkFactory(name="Eastmoor VA", slug="eastmoor")
    today = timezone.localdate()
    SubscriptionFactory(
        network=network,
        plan=standard_plan,
        status=Subscription.Status.EXPIRED,
        starts_on=today - dt.timedelta(days=400),
        ends_on=today - dt.timedelta(days=35),
    )
    return network


@pytest.fixture
def alice(northshire):
    return MembershipFactory(network=northshire, user=UserFactory(email="alice@example.test", first_name="Alice")).user


@pytest.fixture
def nadia(northshire):
    user = UserFactory(email="nadia@example.test", first_name="Nadia")
    MembershipFactory(network=northshire, user=user, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def bob(westvale):
    return MembershipFactory(network=westvale, user=UserFactory(email="bob@example.test", first_name="Bob")).user


@pytest.fixture
def carol(eastmoor):
    return MembershipFactory(network=eastmoor, user=UserFactory(email="carol@example.test", first_name="Carol")).user


@pytest.fixture
def erin(topic):
    return make_expert(topics=[topic], user=UserFactory(email="erin@example.test", first_name="Erin")).user


@pytest.fixture
def colin(site_tree):
    user = UserFactory(email="colin@example.test", first_name="Colin", is_staff=True)
    user.groups.add(ensure_coordinators_group())
    return user


@pytest.fixture
def nobody(db):
    return UserFactory(email="nobody@example.test", first_name="Nobody")


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run after-commit side effects (routing, e-mail) as a real commit would."""

    def runner():
        return django_capture_on_commit_callbacks(execute=True)

    return runner


class OsmemKeeper:
    """Keeps one osmem-server for the session, and starts it again when it is gone.

    On a busy machine (two test runs at once, a browser test beside it) the server may be slow to start or may
    die; a test must not fail for that. Starting waits up to START_SECONDS and is tried twice; before each
    test takes its clone, a dead server is started again.
    """

    START_SECONDS = 120
    ATTEMPTS = 2

    def __init__(self):
        self.server = None

    def get(self):
        if self.server is None or self.server.process.poll() is not None:
            self.close()
            self.server = self._start()
        return self.server

    def _start(self):
        failures = []
        for _attempt in range(self.ATTEMPTS):
            try:
                return OsmemServer.start(japanese=False, startup_timeout=self.START_SECONDS)
            except OsmemError as exc:
                failures.append(str(exc))
        raise AssertionError(f"osmem-server (the Elasticsearch stand-in) did not start: {'; '.join(failures)}")

    def close(self):
        if self.server is not None:
            self.server.close()
            for pipe in (self.server.process.stdin, self.server.process.stdout):  # close() may leave them open
                if pipe and not pipe.closed:
                    pipe.close()
            self.server = None


@pytest.fixture(scope="session")
def osmem_keeper():
    keeper = OsmemKeeper()
    yield keeper
    keeper.close()


@pytest.fixture
def osmem_server(osmem_keeper):
    """The in-memory OpenSearch-compatible server (osmem-server), started once (again, if it died)."""
    return osmem_keeper.get()


@pytest.fixture
def osmem_clone(osmem_keeper):
    """A clone of the base for one test, on its own port; a server that died in between is started again."""
    try:
        clone = osmem_keeper.get().clone()
    except (OsmemError, OSError):  # it died after the liveness check, or stopped answering
        osmem_keeper.server.process.kill()
        clone = osmem_keeper.get().clone()
    yield clone
    clone.close()
