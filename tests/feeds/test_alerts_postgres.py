"""Alert jobs racing each other with real threads and connections: every alert is sent exactly once.

PostgreSQL only (row locks and ON CONFLICT are the point); CI runs the suite a second time with DATABASE_URL set.
"""

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection

from feeds import alerts
from feeds.models import AlertSent, Follow
from qa_site.knowledge.models import QuestionPage
from tests.factories import MembershipFactory, make_published_page
from tests.racing import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 3, 4, 9, 0, tzinfo=LONDON)
FOLLOWERS = 6


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (CI does)")


@pytest.fixture
def followers(topic, northshire):
    return [MembershipFactory(network=northshire).user for _ in range(FOLLOWERS)]


def test_digest_jobs_at_once_send_each_digest_once(monkeypatch, topic, followers):
    monkeypatch.setattr(alerts, "BATCH", 2)  # several batches each, so the runs interleave
    page = make_published_page(topic=topic, title="New answer")
    QuestionPage.objects.filter(pk=page.pk).update(
        first_published_at=NOW - dt.timedelta(hours=20), last_published_at=NOW - dt.timedelta(hours=20)
    )
    for user in followers:
        Follow.objects.create(user=user, topic=topic, frequency=Follow.Frequency.DAILY)
    Follow.objects.update(digest_through=NOW - dt.timedelta(days=1))

    results = race(*[lambda: alerts.digests_send(frequency=Follow.Frequency.DAILY, now=NOW)] * 3)

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == FOLLOWERS
    assert Counter(m.to[0] for m in mail.outbox) == Counter({user.email: 1 for user in followers})
    assert alerts.digests_send(frequency=Follow.Frequency.DAILY, now=NOW) == 0


def test_alert_jobs_at_once_send_each_alert_once(topic, followers):
    page = make_published_page(topic=topic, title="New answer")
    for user in followers:
        Follow.objects.create(user=user, topic=topic)

    results = race(*[lambda: alerts.answer_alerts_send(page_id=page.pk)] * 3)

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == FOLLOWERS
    assert Counter(m.to[0] for m in mail.outbox) == Counter({user.email: 1 for user in followers})
    assert AlertSent.objects.count() == FOLLOWERS
