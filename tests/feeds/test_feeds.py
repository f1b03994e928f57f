"""Public RSS 2.0 and Atom feeds (latest, per topic, per expert), read back with feedparser as a subscriber's
reader would: validity, audience, conditional GET, and the cache that renders each feed once per publish."""

import datetime as dt

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feeds.builders import answer_guid
from qa_site.knowledge import generation
from qa_site.knowledge.models import Question
from tests.factories import make_published_page
from tests.query_plans import sorted_in_full

FEEDS = ["/feeds/latest.rss", "/feeds/latest.atom"]
# Every public feed of the `answers` fixture, in both formats.
PUBLIC_FEEDS = [
    *FEEDS,
    "/feeds/topics/charity-law.rss",
    "/feeds/topics/charity-law.atom",
    "/feeds/experts/{erin}.rss",
    "/feeds/experts/{erin}.atom",
]


def feed_url(template, erin):
    return template.format(erin=erin.expert_profile.slug)


def parse(response):
    assert response.status_code == 200, response.content[:300]
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def self_link(parsed):
    return next(link.href for link in parsed.feed.links if link.rel == "self")


def uncache():
    """A new publication generation, as after a publish: the next request renders afresh."""
    generation.renew()


@pytest.fixture
def answers(topic, northshire, erin):
    older = make_published_page(topic=topic, title="Older public answer", expert=erin)
    hidden = make_published_page(
        topic=topic, title="Network-only answer", visibility="network", network=northshire, expert=erin
    )
    newer = make_published_page(topic=topic, title="Newer public answer", expert=erin)
    return {"older": older, "hidden": hidden, "newer": newer}


@pytest.mark.parametrize("path", PUBLIC_FEEDS)
def test_feed_is_valid_and_lists_public_answers_newest_first(client, answers, erin, path):
    url = feed_url(path, erin)
    parsed = parse(client.get(url))
    assert [e.title for e in parsed.entries] == ["Newer public answer", "Older public answer"]
    entry = parsed.entries[0]
    assert entry.link == "http://testserver" + answers["newer"].url
    assert entry.id == answer_guid(answers["newer"])
    assert entry.author == answers["newer"].expert.display_name
    published = dt.datetime(*entry.published_parsed[:6], tzinfo=dt.UTC)
    assert abs(published - answers["newer"].first_published_at) < dt.timedelta(seconds=1)
    updated = dt.datetime(*entry.updated_parsed[:6], tzinfo=dt.UTC)
    assert abs(updated - answers["newer"].last_published_at) < dt.timedelta(seconds=1)
    assert "Read the full answer" in entry.summary
    assert "content" not in entry  # teasers only: the full answer is for subscribers
    assert self_link(parsed) == "http://testserver" + url


def test_feed_titles_and_alternate_links_name_what_they_follow(client, answers, topic, erin):
    latest = parse(client.get("/feeds/latest.atom")).feed
    assert (latest.title, latest.link) == ("Ask an Expert — latest answers", "http://testserver/")
    by_topic = parse(client.get("/feeds/topics/charity-law.atom")).feed
    assert (by_topic.title, by_topic.link) == ("Ask an Expert — Charity law", "http://testserver" + topic.url)
    by_expert = parse(client.get(f"/feeds/experts/{erin.expert_profile.slug}.rss")).feed
    assert by_expert.title == f"Ask an Expert — answers by {erin.display_name}"
    assert by_expert.link == f"http://testserver/experts/{erin.expert_profile.slug}/"


def test_rss_and_atom_have_their_own_content_types(client, answers):
    assert client.get(FEEDS[0])["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert client.get(FEEDS[1])["Content-Type"] == "application/atom+xml; charset=utf-8"


def test_topic_feed_lists_only_its_topic(client, answers, other_topic, erin):
    make_published_page(topic=other_topic, title="Minibus permits", expert=erin)
    titles = [e.title for e in parse(client.get("/feeds/topics/rural-transport.rss")).entries]
    assert titles == ["Minibus permits"]
    assert "Minibus permits" not in [e.title for e in parse(client.get("/feeds/topics/charity-law.rss")).entries]


def test_expert_feed_lists_only_their_answers(client, answers, topic):
    from tests.factories import make_expert

    other = make_expert(topics=[topic])
    make_published_page(topic=topic, title="Answer by someone else", expert=other.user)
    assert [e.title for e in parse(client.get(f"/feeds/experts/{other.slug}.atom")).entries] == [
        "Answer by someone else"
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/topics/no-such-topic.rss",
        "/feeds/topics/no-such-topic.atom",
        "/feeds/experts/no-such-expert.rss",
        "/feeds/experts/no-such-expert.atom",
        "/feeds/latest.json",
        "/feeds/latest.rss/",
        "/feeds/topics/charity-law.xml",
        "/feeds/topics/charity%20law.rss",
        "/feeds/topics/%00.rss",
        "/feeds/topics/.rss",
        "/feeds/topics/a/b.rss",
        "/feeds/experts/%E2%80%AE.rss",
        "/feeds/key/short.rss",
        "/feeds/key/" + "x" * 65 + ".rss",
    ],
)
def test_unknown_or_malformed_feed_addresses_are_not_found(client, answers, path):
    response = client.get(path)
    assert response.status_code == 404


def test_an_unpublished_topic_has_no_feed(client, answers, topic, run_on_commit):
    assert client.get("/feeds/topics/charity-law.rss").status_code == 200
    with run_on_commit():
        topic.unpublish()
    assert client.get("/feeds/topics/charity-law.rss").status_code == 404


def test_query_strings_are_ignored(client, answers):
    plain = client.get(FEEDS[0])
    junk = client.get(FEEDS[0] + "?page=%ff&utm_source=<script>")
    assert (junk.status_code, junk.content, junk["ETag"]) == (200, plain.content, plain["ETag"])


def test_feeds_answer_only_get_and_head(client, answers):
    assert client.post(FEEDS[0]).status_code == 405
    head = client.head(FEEDS[0])
    assert (head.status_code, head.content) == (200, b"")


def test_guid_survives_a_title_change(client, answers, run_on_commit):
    before = parse(client.get(FEEDS[0])).entries[0].id
    page = answers["newer"]
    page.title = "Retitled public answer"
    with run_on_commit():
        page.save_revision().publish()
    after = parse(client.get(FEEDS[0])).entries[0]
    assert (after.title, after.id) == ("Retitled public answer", before)


@pytest.mark.parametrize("path", PUBLIC_FEEDS)
def test_network_only_answers_never_reach_public_feeds_even_for_members(client, answers, alice, erin, path):
    client.force_login(alice)
    response = client.get(feed_url(path, erin))
    assert b"Network-only answer" not in response.content
    assert len(parse(response).entries) == 2


def test_private_questions_are_never_in_any_feed(client, answers, topic, northshire, erin, alice):
    Question.objects.create(
        title="A private matter about our treasurer",
        details="Details nobody else may read.",
        topic=topic,
        asker=alice,
        network=northshire,
        visibility="private",
        status=Question.Status.PUBLISHED,
        assignee=erin,
        sla_hours=48,
        published_at=timezone.now(),
    )
    for path in PUBLIC_FEEDS:
        assert b"private matter" not in client.get(feed_url(path, erin)).content


@pytest.mark.parametrize("path", PUBLIC_FEEDS)
def test_conditional_get_answers_304_until_something_is_published(client, answers, topic, erin, path, run_on_commit):
    url = feed_url(path, erin)
    first = client.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert first["Cache-Control"] == "public, max-age=300"
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    not_modified = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert (not_modified.content, not_modified["ETag"], not_modified["Cache-Control"]) == (
        b"",
        etag,
        "public, max-age=300",
    )
    with run_on_commit():
        make_published_page(topic=topic, title="Brand new answer", expert=erin)
    fresh = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200
    assert parse(fresh).entries[0].title == "Brand new answer"
    assert fresh["ETag"] != etag


def test_unpublishing_takes_an_answer_out_of_the_feeds(client, answers, run_on_commit):
    assert len(parse(client.get(FEEDS[1])).entries) == 2
    with run_on_commit():
        answers["newer"].unpublish()
    assert [e.title for e in parse(client.get(FEEDS[1])).entries] == ["Older public answer"]


def test_making_an_answer_network_only_takes_it_out_at_once(client, answers, northshire, run_on_commit):
    assert len(parse(client.get(FEEDS[0])).entries) == 2
    page = answers["older"]
    with run_on_commit():
        page.visibility = "network"
        page.network = northshire
        page.save()
    assert [e.title for e in parse(client.get(FEEDS[0])).entries] == ["Newer public answer"]


def test_every_feed_has_its_own_etag(client, answers, erin):
    etags = {client.get(feed_url(path, erin))["ETag"] for path in PUBLIC_FEEDS}
    assert len(etags) == len(PUBLIC_FEEDS)


def test_empty_feed_is_still_valid(client, site_tree):
    assert parse(client.get(FEEDS[1])).entries == []


def test_a_cached_feed_costs_no_query(client, answers, erin, django_assert_max_num_queries):
    for path in PUBLIC_FEEDS:
        first = client.get(feed_url(path, erin))
        with django_assert_max_num_queries(0):
            again = client.get(feed_url(path, erin))
        assert (again.content, again["ETag"]) == (first.content, first["ETag"])


@pytest.mark.parametrize("path", ["/feeds/latest.rss", "/feeds/topics/charity-law.atom", "/feeds/experts/{erin}.rss"])
def test_rendering_a_feed_takes_the_same_queries_for_5_or_25_answers(client, topic, erin, path):
    url = feed_url(path, erin)

    def queries_for_a_render():
        uncache()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        queries_for_a_render.last = queries.captured_queries
        return len(parse(response).entries), len(queries)

    for n in range(5):
        make_published_page(topic=topic, title=f"Answer {n}", expert=erin)
    queries_for_a_render()  # once to fill Wagtail's own cache of site root paths
    few_entries, few = queries_for_a_render()
    for n in range(5, 25):
        make_published_page(topic=topic, title=f"Answer {n}", expert=erin)
    many_entries, many = queries_for_a_render()
    assert (few_entries, many_entries) == (5, 20)
    # At most 6: one reads the publication token again after the change (qa_site/knowledge/generation.py).
    assert many == few <= 6, [q["sql"][:90] for q in queries_for_a_render.last]
    assert sorted_in_full(queries_for_a_render.last) == []  # newest first through an index, whatever the number


def test_feed_dates_are_timezone_aware_and_in_the_past(client, answers):
    for entry in parse(client.get(FEEDS[1])).entries:
        updated = dt.datetime(*entry.updated_parsed[:6], tzinfo=dt.UTC)
        assert updated <= timezone.now()
