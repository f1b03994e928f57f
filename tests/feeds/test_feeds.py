"""RSS 2.0 and Atom feeds of the latest answers, read back with feedparser as a subscriber's reader would."""

import datetime as dt

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feeds.builders import answer_guid
from tests.factories import make_published_page

FEEDS = ["/feeds/latest.rss", "/feeds/latest.atom"]


@pytest.fixture
def answers(topic, northshire, erin):
    older = make_published_page(topic=topic, title="Older public answer", expert=erin)
    hidden = make_published_page(
        topic=topic, title="Network-only answer", visibility="network", network=northshire, expert=erin
    )
    newer = make_published_page(topic=topic, title="Newer public answer", expert=erin)
    return {"older": older, "hidden": hidden, "newer": newer}


@pytest.mark.parametrize("path", FEEDS)
def test_feed_is_valid_and_lists_public_answers_newest_first(client, answers, path):
    response = client.get(path)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert [e.title for e in parsed.entries] == ["Newer public answer", "Older public answer"]
    entry = parsed.entries[0]
    assert entry.link == "http://testserver" + answers["newer"].url
    assert entry.id == answer_guid(answers["newer"])
    assert entry.author == answers["newer"].expert.display_name
    published = dt.datetime(*entry.published_parsed[:6], tzinfo=dt.UTC)
    assert abs(published - answers["newer"].first_published_at) < dt.timedelta(seconds=1)
    assert "Read the full answer" in entry.summary
    assert parsed.feed.title == "Ask an Expert — latest answers"


def test_rss_and_atom_have_their_own_content_types(client, answers):
    assert client.get(FEEDS[0])["Content-Type"].startswith("application/rss+xml")
    assert client.get(FEEDS[1])["Content-Type"].startswith("application/atom+xml")


def test_guid_survives_a_title_change(client, answers):
    before = feedparser.parse(client.get(FEEDS[0]).content).entries[0].id
    page = answers["newer"]
    page.title = "Retitled public answer"
    page.save_revision().publish()
    after = feedparser.parse(client.get(FEEDS[0]).content).entries[0]
    assert (after.title, after.id) == ("Retitled public answer", before)


def test_network_only_answers_never_reach_the_public_feed_even_for_members(client, answers, alice):
    client.force_login(alice)
    assert b"Network-only answer" not in client.get(FEEDS[0]).content


def test_conditional_get_answers_304_until_something_is_published(client, answers, topic):
    first = client.get(FEEDS[0])
    etag, modified = first["ETag"], first["Last-Modified"]
    assert "public" in first["Cache-Control"]
    assert "max-age" in first["Cache-Control"]
    assert client.get(FEEDS[0], HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(FEEDS[0], HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    make_published_page(topic=topic, title="Brand new answer")
    fresh = client.get(FEEDS[0], HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200
    assert b"Brand new answer" in fresh.content
    assert fresh["ETag"] != etag


def test_rss_and_atom_etags_differ(client, answers):
    assert client.get(FEEDS[0])["ETag"] != client.get(FEEDS[1])["ETag"]


def test_empty_feed_is_still_valid(client, site_tree):
    parsed = feedparser.parse(client.get(FEEDS[1]).content)
    assert parsed.bozo == 0
    assert parsed.entries == []


def test_feed_queries_do_not_grow_with_the_number_of_entries(client, topic, erin):
    make_published_page(topic=topic, title="First", expert=erin)
    client.get(FEEDS[0])
    with CaptureQueriesContext(connection) as few:
        client.get(FEEDS[0])
    for n in range(12):
        make_published_page(topic=topic, title=f"Answer {n}", expert=erin)
    with CaptureQueriesContext(connection) as many:
        client.get(FEEDS[0])
    assert len(many) == len(few)


def test_feed_dates_are_timezone_aware_and_in_the_past(client, answers):
    for entry in feedparser.parse(client.get(FEEDS[1]).content).entries:
        updated = dt.datetime(*entry.updated_parsed[:6], tzinfo=dt.UTC)
        assert updated <= timezone.now()
