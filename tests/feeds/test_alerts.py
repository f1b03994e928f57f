"""E-mail alerts: following topics and answers, immediate alerts, daily and weekly digests, unsubscribe links.

The cast (tests/conftest.py): alice (Northshire, live), bob (Westvale, live), carol (Eastmoor, expired),
nobody (no network), erin (expert), colin (coordinator).
"""

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import mail, signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feeds import alerts
from feeds.models import AlertSent, Follow
from qa_site.accounts import services as account_services
from qa_site.knowledge.models import QuestionPage
from qa_site.scheduling.schedule import JOBS
from tests.factories import MembershipFactory, UserFactory, make_published_page

LONDON = ZoneInfo("Europe/London")
Frequency = Follow.Frequency


def london(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def follow(user, *, topic=None, page=None, frequency=Frequency.IMMEDIATE, since=None):
    created = Follow.objects.create(user=user, topic=topic, question_page=page, frequency=frequency)
    if since is not None:
        Follow.objects.filter(pk=created.pk).update(digest_through=since, created_at=since)
    return created


def dated(page, first, last=None):
    """Give a published answer the publication dates a test needs."""
    QuestionPage.objects.filter(pk=page.pk).update(first_published_at=first, last_published_at=last or first)
    return QuestionPage.objects.get(pk=page.pk)


def to(address):
    return [m for m in mail.outbox if m.to == [address]]


def html_of(message):
    return message.alternatives[0][0]


def unsubscribe_path(message):
    return message.extra_headers["List-Unsubscribe"].strip("<>").removeprefix(settings.BASE_URL)


# --- Following ----------------------------------------------------------------------------------------------------


def test_follow_buttons_show_to_subscribers_only(client, topic, alice, carol, nobody, erin):
    page = make_published_page(topic=topic, title="How do we register?", expert=erin)
    for url in (topic.url, page.url):
        assert 'data-testid="follow"' not in client.get(url).content.decode()
        for person, shown in ((alice, True), (carol, False), (nobody, False), (erin, True)):
            client.force_login(person)
            body = client.get(url).content.decode()
            assert ('data-testid="follow"' in body) is shown, (person, url)
        client.logout()
    client.force_login(alice)
    assert "Follow this topic" in client.get(topic.url).content.decode()
    assert "Follow this answer" in client.get(page.url).content.decode()


def test_follow_change_and_unfollow_work_without_javascript(topic, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    body = client.get(topic.url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    form = {"csrfmiddlewaretoken": token, "page": topic.pk, "next": topic.url}

    response = client.post("/alerts/follow/", form)
    assert (response.status_code, response["Location"]) == (302, topic.url)
    assert client.post("/alerts/follow/", form).status_code == 302  # again: still one follow
    mine = Follow.objects.get(user=alice)
    assert (mine.topic_id, mine.question_page_id, mine.frequency) == (topic.pk, None, "immediate")
    assert "You follow this (at once, one e-mail per answer)" in client.get(topic.url).content.decode()

    page = client.get("/alerts/").content.decode()
    assert 'data-testid="follows"' in page
    assert f'<a href="{topic.url}">Charity law</a>' in page
    assert '<option value="immediate" selected>' in page

    response = client.post(f"/alerts/{mine.pk}/", {"csrfmiddlewaretoken": token, "frequency": "weekly"})
    assert (response.status_code, response["Location"]) == (302, "/alerts/")
    mine.refresh_from_db()
    assert mine.frequency == "weekly"
    assert abs(mine.digest_through - timezone.now()) < dt.timedelta(seconds=5)  # the next digest starts now

    response = client.post(f"/alerts/{mine.pk}/unfollow/", {"csrfmiddlewaretoken": token, "next": topic.url})
    assert (response.status_code, response["Location"]) == (302, topic.url)
    assert not Follow.objects.exists()
    assert 'data-testid="no-follows"' in client.get("/alerts/").content.decode()


def test_following_needs_a_csrf_token(topic, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/alerts/follow/", {"page": topic.pk}).status_code == 403
    assert not Follow.objects.exists()


def test_following_an_answer(client, topic, alice, erin):
    page = make_published_page(topic=topic, expert=erin)
    client.force_login(alice)
    client.post("/alerts/follow/", {"page": page.pk, "frequency": "daily"})
    assert list(Follow.objects.values_list("user", "topic", "question_page", "frequency")) == [
        (alice.pk, None, page.pk, "daily")
    ]


def test_only_subscribers_follow_and_only_what_they_may_see(client, topic, site_tree, alice, carol, nobody, westvale):
    hidden = make_published_page(topic=topic, title="Westvale only", visibility="network", network=westvale)
    for person in (carol, nobody):
        client.force_login(person)
        response = client.post("/alerts/follow/", {"page": topic.pk}, follow=True)
        assert "E-mail alerts are for subscribers" in response.content.decode()
    client.force_login(alice)
    assert client.post("/alerts/follow/", {"page": hidden.pk}).status_code == 404  # as if it did not exist
    response = client.post("/alerts/follow/", {"page": site_tree[0].pk}, follow=True)  # the home page
    assert "Only topics and published answers" in response.content.decode()
    assert client.post("/alerts/follow/", {"page": "junk"}).status_code == 400
    assert not Follow.objects.exists()


def shown(response):
    """All a visitor gets from ``response``: its body, where it sends them, and the messages left for the next page."""
    notes = " ".join(str(message) for message in get_messages(response.wsgi_request))
    return f"{response.content.decode()}\n{response.get('Location', '')}\n{notes}"


def test_following_an_answer_one_may_not_see_is_not_found_and_names_nothing(
    client, topic, westvale, alice, bob, carol, nobody
):
    page = make_published_page(topic=topic, title="Westvale hall lease", visibility="network", network=westvale)
    for person in (alice, carol, nobody):  # another network, an expired network, no network
        client.force_login(person)
        for form in ({"page": page.pk}, {"page": page.pk, "frequency": "daily", "next": topic.url}):
            response = client.post("/alerts/follow/", form)
            assert "Westvale hall lease" not in shown(response)
            assert page.slug not in shown(response)
            assert response.status_code == 404, (person, form)
            assert "Page not found" in response.content.decode()
    assert not Follow.objects.exists()
    client.force_login(bob)  # his network's answer: he follows it as before
    response = client.post("/alerts/follow/", {"page": page.pk})
    assert response["Location"] == page.url
    assert "You are following “Westvale hall lease”." in shown(response)
    assert Follow.objects.get().question_page_id == page.pk


def test_alerts_page_needs_signing_in_and_shows_only_ones_own(client, topic, other_topic, alice, bob, carol):
    assert client.get("/alerts/")["Location"].startswith("/accounts/login/")
    follow(alice, topic=topic)
    theirs = follow(bob, topic=other_topic)
    client.force_login(alice)
    body = client.get("/alerts/").content.decode()
    assert "Charity law" in body
    assert "Rural transport" not in body
    assert client.post(f"/alerts/{theirs.pk}/unfollow/").status_code == 404
    assert client.post(f"/alerts/{theirs.pk}/", {"frequency": "daily"}).status_code == 404
    assert Follow.objects.count() == 2
    client.force_login(carol)
    follow(carol, topic=topic)
    assert 'data-testid="paused"' in client.get("/alerts/").content.decode()


def test_the_account_page_links_to_alerts(client, alice):
    client.force_login(alice)
    assert '<a href="/alerts/">Your alerts</a>' in client.get("/account/").content.decode()


# --- Immediate alerts ---------------------------------------------------------------------------------------------


def test_a_new_answer_alerts_immediate_followers_after_commit(
    django_capture_on_commit_callbacks, topic, other_topic, alice, bob, carol, nobody, erin
):
    follow(alice, topic=topic)
    follow(bob, topic=topic)
    follow(carol, topic=topic)  # her network's subscription has ended: nothing
    follow(nobody, topic=topic)  # made before they left their network
    follow(UserFactory(), topic=other_topic)
    daily = MembershipFactory(network=alice.memberships.get().network).user
    follow(daily, topic=topic, frequency=Frequency.DAILY)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page = make_published_page(topic=topic, title="Can trustees be paid?", expert=erin)
        assert mail.outbox == []  # not before commit
    assert callbacks

    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.test", "bob@example.test"]
    message = to("alice@example.test")[0]
    assert message.subject == "New answer: Can trustees be paid?"
    assert "A new answer has been published in Charity law:" in message.body
    assert f"http://127.0.0.1:8000{page.url}" in message.body
    assert "Register with the Charity Commission" in message.body  # the teaser
    assert 'you follow the topic "Charity law" (at once, one e-mail per answer)' in message.body
    assert "<strong>Charity law</strong>" in html_of(message)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(
        r"<http://127\.0\.0\.1:8000/alerts/unsubscribe/[^/]+/>", message.extra_headers["List-Unsubscribe"]
    )
    assert message.extra_headers["List-Unsubscribe"].strip("<>") in message.body
    assert sorted(AlertSent.objects.values_list("user__email", flat=True)) == ["alice@example.test", "bob@example.test"]


def test_a_network_only_answer_alerts_only_that_networks_members(
    run_on_commit, topic, northshire, alice, bob, colin, erin
):
    for person in (alice, bob, colin, erin):
        follow(person, topic=topic)
    with run_on_commit():
        make_published_page(topic=topic, title="For Northshire", visibility="network", network=northshire, expert=erin)
    # Members of the network, coordinators and the expert who wrote it; never Bob of Westvale.
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.test", "colin@example.test", "erin@example.test"]


def test_the_alert_job_run_twice_sends_once(run_on_commit, topic, alice, bob, erin):
    follow(alice, topic=topic)
    follow(bob, topic=topic)
    with run_on_commit():
        page = make_published_page(topic=topic, expert=erin)
    assert len(mail.outbox) == 2
    assert alerts.answer_alerts_send(page_id=page.pk) == 0
    assert alerts.answer_alerts_send(page_id=page.pk) == 0
    assert len(mail.outbox) == 2


def test_someone_following_topic_and_answer_gets_one_email(run_on_commit, topic, alice, erin):
    page = make_published_page(topic=topic, expert=erin)
    follow(alice, topic=topic)
    follow(alice, page=page)
    assert alerts.answer_alerts_send(page_id=page.pk) == 1
    assert "you follow this answer" in mail.outbox[0].body


def test_an_updated_answer_alerts_its_followers_not_the_topics(run_on_commit, topic, alice, bob, erin):
    page = make_published_page(topic=topic, title="How do we register?", expert=erin)
    follow(alice, page=page)
    follow(bob, topic=topic)
    page.answer = "A corrected answer: the threshold changed this year. " * 3
    with run_on_commit():
        page.save_revision().publish()
    assert [m.to for m in mail.outbox] == [["alice@example.test"]]
    assert mail.outbox[0].subject == "Updated answer: How do we register?"
    assert "An answer you follow has been updated:" in mail.outbox[0].body
    assert "A corrected answer" in mail.outbox[0].body
    with run_on_commit():  # and each later publication again
        page.save_revision().publish()
    assert len(mail.outbox) == 2


def test_the_alert_job_keeps_its_queries_constant(run_on_commit, topic, northshire, erin):
    def publish_to(n):
        for _ in range(n):
            follow(MembershipFactory(network=northshire).user, topic=topic)
        page = make_published_page(topic=topic, expert=erin)
        page.url  # noqa: B018 — Wagtail caches the site's root paths: not what is measured
        mail.outbox.clear()
        with CaptureQueriesContext(connection) as queries:
            sent = alerts.answer_alerts_send(page_id=page.pk)
        return sent, len(queries)

    few = publish_to(5)
    many = publish_to(15)
    assert (few[0], many[0]) == (5, 20)
    assert few[1] == many[1]


# --- Digests ------------------------------------------------------------------------------------------------------


def test_digest_moments_are_local_and_settle_first():
    daily, weekly = Frequency.DAILY, Frequency.WEEKLY
    wednesday = london(2026, 3, 4, 9, 0)
    assert alerts.digest_cutoff(daily, wednesday) == london(2026, 3, 4, 7, 0)
    assert alerts.digest_cutoff(weekly, wednesday) == london(2026, 3, 2, 7, 0)
    assert alerts.digest_cutoff(daily, london(2026, 3, 4, 7, 3)) == london(2026, 3, 3, 7, 0)  # settling
    assert alerts.digest_cutoff(daily, london(2026, 3, 4, 7, 5)) == london(2026, 3, 4, 7, 0)
    # British Summer Time began on 29 March 2026: still 07:00 in London, 06:00 UTC.
    assert alerts.digest_cutoff(daily, london(2026, 3, 30, 12, 0)) == dt.datetime(2026, 3, 30, 6, 0, tzinfo=dt.UTC)
    assert alerts.digest_cutoff(weekly, london(2026, 3, 29, 23, 0)) == dt.datetime(2026, 3, 23, 7, 0, tzinfo=dt.UTC)


def test_digests_are_scheduled():
    assert ("feeds.alerts.digests_send_due", 10 * 60) in JOBS


@pytest.fixture
def daily_world(topic, other_topic, westvale, alice, bob, carol, erin):
    """Answers around the daily digest of Wednesday 4 March 2026 (07:00), and who follows what, daily."""
    last_digest = london(2026, 3, 3, 7, 0)
    pages = {
        "before": dated(make_published_page(topic=topic, title="Before the window"), london(2026, 3, 2, 12)),
        "new": dated(make_published_page(topic=topic, title="New in charity law"), london(2026, 3, 3, 12)),
        "rural": dated(make_published_page(topic=other_topic, title="New in rural transport"), london(2026, 3, 4, 6)),
        "after": dated(make_published_page(topic=topic, title="After the cutoff"), london(2026, 3, 4, 8)),
        "westvale": dated(
            make_published_page(topic=topic, title="Westvale only", visibility="network", network=westvale),
            london(2026, 3, 3, 13),
        ),
        "updated": dated(
            make_published_page(topic=topic, title="Updated old answer"), london(2026, 2, 1, 10), london(2026, 3, 3, 15)
        ),
    }
    follow(alice, topic=topic, frequency=Frequency.DAILY, since=last_digest)
    follow(alice, topic=other_topic, frequency=Frequency.DAILY, since=last_digest)
    follow(alice, page=pages["updated"], frequency=Frequency.DAILY, since=last_digest)
    follow(bob, topic=topic, frequency=Frequency.DAILY, since=last_digest)
    follow(carol, topic=topic, frequency=Frequency.DAILY, since=last_digest)
    follow(erin, topic=topic, frequency=Frequency.WEEKLY, since=london(2026, 3, 2, 7))
    return pages


def test_the_daily_digest_lists_new_answers_by_topic(daily_world):
    assert alerts.digests_send(frequency=Frequency.DAILY, now=london(2026, 3, 4, 9, 0)) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.test", "bob@example.test"]

    message = to("alice@example.test")[0]
    assert message.subject == "Your daily digest: 3 answers"
    assert "3 answers you follow were published since 3 March 2026, 07:00." in message.body
    titles = re.findall(r"^(== .+ ==|\* .+)$", message.body, flags=re.MULTILINE)
    assert titles == [
        "== Charity law ==",
        "* [Updated] Updated old answer",
        "* New in charity law",
        "== Rural transport ==",
        "* New in rural transport",
    ]
    html = html_of(message)
    assert html.index("Charity law") < html.index("Updated old answer") < html.index("Rural transport")
    assert "(updated)" in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "You receive this daily digest" in message.body

    bobs = to("bob@example.test")[0].body
    assert re.findall(r"^\* .+$", bobs, flags=re.MULTILINE) == ["* Westvale only", "* New in charity law"]
    assert "Westvale only" not in message.body  # a network-only answer never goes to a non-member
    # Carol (expired) got nothing, but her digest moved on: no backlog when her network renews.
    assert set(Follow.objects.filter(frequency="daily").values_list("digest_through", flat=True)) == {
        london(2026, 3, 4, 7)
    }


def test_the_daily_digest_is_not_sent_twice(daily_world):
    now = london(2026, 3, 4, 9, 0)
    assert alerts.digests_send(frequency=Frequency.DAILY, now=now) == 2
    assert alerts.digests_send(frequency=Frequency.DAILY, now=now) == 0
    assert alerts.digests_send(frequency=Frequency.DAILY, now=london(2026, 3, 4, 23, 0)) == 0
    assert len(mail.outbox) == 2
    # The next day's digest starts where this one ended.
    mail.outbox.clear()
    assert alerts.digests_send(frequency=Frequency.DAILY, now=london(2026, 3, 5, 7, 30)) == 2
    assert re.findall(r"^\* .+$", to("alice@example.test")[0].body, flags=re.MULTILINE) == ["* After the cutoff"]


def test_the_weekly_digest_on_mondays(topic, alice):
    follow(alice, topic=topic, frequency=Frequency.WEEKLY, since=london(2026, 2, 23, 7))
    dated(make_published_page(topic=topic, title="Last week's answer"), london(2026, 2, 25, 10))
    dated(make_published_page(topic=topic, title="This week's answer"), london(2026, 3, 3, 10))
    dated(make_published_page(topic=topic, title="Too old"), london(2026, 2, 20, 10))

    assert alerts.digests_send(frequency=Frequency.WEEKLY, now=london(2026, 3, 2, 7, 4)) == 0  # settling
    assert alerts.digests_send(frequency=Frequency.WEEKLY, now=london(2026, 3, 2, 7, 15)) == 1
    assert alerts.digests_send(frequency=Frequency.WEEKLY, now=london(2026, 3, 6, 9, 0)) == 0
    assert alerts.digests_send(frequency=Frequency.DAILY, now=london(2026, 3, 6, 9, 0)) == 0
    assert alerts.digests_send(frequency=Frequency.WEEKLY, now=london(2026, 3, 9, 6, 0)) == 0
    assert alerts.digests_send(frequency=Frequency.WEEKLY, now=london(2026, 3, 9, 8, 0)) == 1
    first, second = mail.outbox
    assert first.subject == "Your weekly digest: 1 answer"
    assert "One answer you follow was published since 23 February 2026, 07:00." in first.body
    assert re.findall(r"^\* .+$", first.body, flags=re.MULTILINE) == ["* Last week's answer"]
    assert re.findall(r"^\* .+$", second.body, flags=re.MULTILINE) == ["* This week's answer"]
    assert "You receive this weekly digest" in second.body


def test_a_digest_covers_one_period_at_most(topic, alice):
    follow(alice, topic=topic, frequency=Frequency.DAILY, since=london(2026, 1, 1, 7))
    dated(make_published_page(topic=topic, title="Weeks ago"), london(2026, 2, 1, 10))
    dated(make_published_page(topic=topic, title="Yesterday"), london(2026, 3, 3, 10))
    alerts.digests_send(frequency=Frequency.DAILY, now=london(2026, 3, 4, 9))
    assert re.findall(r"^\* .+$", mail.outbox[0].body, flags=re.MULTILINE) == ["* Yesterday"]


def test_no_digest_when_nothing_new(topic, other_topic, alice):
    since = timezone.now() - dt.timedelta(days=8)
    follow(alice, topic=topic, frequency=Frequency.DAILY, since=since)
    follow(alice, topic=other_topic, frequency=Frequency.WEEKLY, since=since)
    assert alerts.digests_send_due() == {"daily": 0, "weekly": 0}
    assert mail.outbox == []
    assert all(through > since for through in Follow.objects.values_list("digest_through", flat=True))


def test_the_digest_job_keeps_its_queries_constant(topic, northshire):
    page = dated(make_published_page(topic=topic, title="New answer"), london(2026, 3, 3, 12))
    page.url  # noqa: B018 — Wagtail caches the site's root paths: not what is measured
    now = london(2026, 3, 4, 9)

    def digest_for(n):
        for _ in range(n):
            user = MembershipFactory(network=northshire).user
            follow(user, topic=topic, frequency=Frequency.DAILY)
            follow(user, page=page, frequency=Frequency.DAILY)
        Follow.objects.update(digest_through=london(2026, 3, 3, 7))
        mail.outbox.clear()
        with CaptureQueriesContext(connection) as queries:
            sent = alerts.digests_send(frequency=Frequency.DAILY, now=now)
        return sent, len(queries)

    few = digest_for(5)
    many = digest_for(15)
    assert (few[0], many[0]) == (5, 20)
    assert few[1] == many[1]


# --- Unsubscribing ------------------------------------------------------------------------------------------------


@pytest.fixture
def alerted(run_on_commit, topic, other_topic, alice, bob, erin):
    """Alice follows two topics at once and one daily; Bob one; an answer has been published."""
    mine = follow(alice, topic=topic)
    follow(alice, topic=other_topic)
    follow(alice, page=make_published_page(topic=other_topic, title="Kept"), frequency=Frequency.DAILY)
    follow(bob, topic=topic)
    with run_on_commit():
        make_published_page(topic=topic, title="News", expert=erin)
    return {"message": to("alice@example.test")[0], "follow": mine}


def test_the_unsubscribe_link_asks_first_then_unfollows(alerted, alice):
    path = unsubscribe_path(alerted["message"])
    client = Client(enforce_csrf_checks=True)  # no session, no CSRF cookie: as from a mail client
    response = client.get(path)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Stop e-mails about:" in body
    assert "the topic “Charity law”" in body
    assert Follow.objects.filter(pk=alerted["follow"].pk).exists(), "a GET changes nothing"

    response = client.post(path)
    assert response.status_code == 200
    assert "<li>“Charity law”</li>" in response.content.decode()
    assert sorted((f.user.email, f.followed.title) for f in Follow.objects.all()) == [
        ("alice@example.test", "Kept"),
        ("alice@example.test", "Rural transport"),
        ("bob@example.test", "Charity law"),
    ]
    response = client.post(path)  # again: nothing left, and no error
    assert response.status_code == 200
    assert "nothing left to unsubscribe from" in response.content.decode()
    assert 'data-testid="nothing-left"' in client.get(path).content.decode()


def test_rfc8058_one_click_post_unsubscribes_at_once(alerted):
    path = unsubscribe_path(alerted["message"])
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not Follow.objects.filter(pk=alerted["follow"].pk).exists()


def test_a_digest_unsubscribe_link_stops_that_digest(daily_world, alice):
    at_once = follow(alice, page=daily_world["new"])
    alerts.digests_send(frequency=Frequency.DAILY, now=london(2026, 3, 4, 9))
    path = unsubscribe_path(to("alice@example.test")[0])
    later = follow(alice, page=daily_world["rural"], frequency=Frequency.DAILY)
    Follow.objects.filter(pk=later.pk).update(created_at=timezone.now() + dt.timedelta(minutes=5))
    response = Client().post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    body = response.content.decode()
    assert re.findall(r"<li>“(.+?)”</li>", body) == ["Charity law", "Rural transport", "Updated old answer"]
    # Her daily follows made before the digest went; her immediate one, a newer one, and everyone else's, stay.
    assert sorted(Follow.objects.filter(user=alice).values_list("pk", flat=True)) == [at_once.pk, later.pk]
    assert Follow.objects.exclude(user=alice).count() == 3


def _tokens(valid):
    other_salt = signing.dumps({"u": 1, "f": 1, "t": 0}, salt="something.else")
    no_user = signing.dumps({"f": 1, "t": 0}, salt=alerts.UNSUBSCRIBE_SALT)
    bad_frequency = signing.dumps({"u": 1, "q": "hourly", "t": 0}, salt=alerts.UNSUBSCRIBE_SALT)
    not_a_dict = signing.dumps([1, 2], salt=alerts.UNSUBSCRIBE_SALT)
    tampered = valid[:-3] + ("aaa" if not valid.endswith("aaa") else "bbb")
    return ["junk", "a:b:c", tampered, other_salt, no_user, bad_frequency, not_a_dict, valid.split(":")[0]]


@pytest.mark.parametrize("method", ["get", "post"])
def test_junk_tokens_get_a_clear_400_and_change_nothing(client, alerted, method):
    valid = unsubscribe_path(alerted["message"]).split("/")[3]
    before = Follow.objects.count()
    for token in _tokens(valid):
        response = getattr(client, method)(f"/alerts/unsubscribe/{token}/")
        assert response.status_code == 400, token
        body = response.content.decode()
        assert "We could not use this link" in body
        assert "Nothing has been changed." in body
    assert Follow.objects.count() == before


def test_an_expired_token_says_so(client, alerted, monkeypatch):
    path = unsubscribe_path(alerted["message"])
    monkeypatch.setattr(alerts, "UNSUBSCRIBE_MAX_AGE", dt.timedelta(seconds=-1))
    response = client.post(path)
    assert response.status_code == 400
    assert "This unsubscribe link has expired." in response.content.decode()
    assert Follow.objects.filter(pk=alerted["follow"].pk).exists()


# --- A person's data ----------------------------------------------------------------------------------------------


def test_follows_and_alerts_sent_are_in_the_data_export(client, alerted, alice):
    client.force_login(alice)
    data = json.loads(client.get("/account/data/").content)
    since = [f.created_at.isoformat() for f in Follow.objects.filter(user=alice).order_by("created_at", "pk")]
    assert data["alerts"]["following"] == [
        {"topic": "Charity law", "answer": None, "frequency": "immediate", "since": since[0]},
        {"topic": "Rural transport", "answer": None, "frequency": "immediate", "since": since[1]},
        {"topic": None, "answer": "Kept", "frequency": "daily", "since": since[2]},
    ]
    sent = AlertSent.objects.get(user=alice)
    assert data["alerts"]["sent"] == [
        {"answer": "News", "published_at": sent.published_at.isoformat(), "sent_at": sent.sent_at.isoformat()}
    ]
    assert "Bob" not in json.dumps(data["alerts"])


def test_deleting_the_account_removes_follows_and_alerts_sent(alerted, alice, bob):
    done = account_services.delete_account(alice)
    assert done["alert_follows_removed"] == 3
    assert list(Follow.objects.values_list("user", flat=True)) == [bob.pk]
    assert list(AlertSent.objects.values_list("user", flat=True)) == [bob.pk]
