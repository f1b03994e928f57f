"""A network's own feed, reached through one of its feed keys: its topics, its network-only answers when its
plan has private feeds, full answers when its plan allows them off the site, and refusals that say why."""

import feedparser
import pytest

from subscriptions import access, services
from subscriptions.models import AccessKey, Plan
from tests.factories import NetworkFactory, make_published_page


def parse(response):
    assert response.status_code == 200, response.content[:300]
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def titles(response):
    return [entry.title for entry in parse(response).entries]


def plan_of(network, **features):
    for plan in Plan.objects.filter(subscriptions__network=network).distinct():
        for name, value in features.items():
            setattr(plan, name, value)
        plan.save()


def feed_key(network, **fields):
    return AccessKey.objects.create(network=network, name="Intranet", kind=AccessKey.Kind.FEED, **fields)


@pytest.fixture
def answers(topic, other_topic, northshire, westvale, erin):
    return {
        "public": make_published_page(topic=topic, title="Public answer", expert=erin),
        "transport": make_published_page(topic=other_topic, title="Public transport answer", expert=erin),
        "ours": make_published_page(
            topic=topic, title="Northshire-only answer", visibility="network", network=northshire, expert=erin
        ),
        "theirs": make_published_page(
            topic=topic, title="Westvale-only answer", visibility="network", network=westvale, expert=erin
        ),
    }


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_without_private_feeds_a_key_feed_has_public_teasers_only(client, answers, northshire, fmt):
    plan_of(northshire, private_feeds=False, full_answers_in_widgets=False)
    key = feed_key(northshire)
    url = f"/feeds/key/{key.key}.{fmt}"
    response = client.get(url)
    assert titles(response) == ["Public transport answer", "Public answer"]
    parsed = parse(response)
    assert parsed.feed.title == "Ask an Expert — answers for Northshire RCC"
    assert next(link.href for link in parsed.feed.links if link.rel == "self") == "http://testserver" + url
    assert all("content" not in entry for entry in parsed.entries)


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_with_private_feeds_the_networks_own_answers_join_never_anothers(client, answers, northshire, fmt):
    plan_of(northshire, private_feeds=True)
    key = feed_key(northshire)
    response = client.get(f"/feeds/key/{key.key}.{fmt}")
    assert titles(response) == ["Northshire-only answer", "Public transport answer", "Public answer"]
    assert b"Westvale-only answer" not in response.content


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_full_answers_come_only_with_the_plan_that_allows_them(client, answers, northshire, fmt):
    plan_of(northshire, private_feeds=True, full_answers_in_widgets=True)
    key = feed_key(northshire)
    entries = parse(client.get(f"/feeds/key/{key.key}.{fmt}")).entries
    ours = next(entry for entry in entries if entry.title == "Northshire-only answer")
    assert ours.content[0].type == "text/html"
    assert ours.content[0].value == (
        "<p>" + ("Register with the Charity Commission once income passes the threshold. " * 5).rstrip() + "</p>"
    )
    assert "Read the full answer" in ours.summary


def test_a_key_naming_topics_lists_only_those(client, answers, northshire, other_topic):
    key = feed_key(northshire, topic_ids=[other_topic.pk])
    assert titles(client.get(f"/feeds/key/{key.key}.rss")) == ["Public transport answer"]


def test_a_plan_change_shows_at_once_without_a_publish(client, answers, northshire):
    key = feed_key(northshire)
    before = client.get(f"/feeds/key/{key.key}.rss")
    assert "Northshire-only answer" not in titles(before)
    plan_of(northshire, private_feeds=True)
    after = client.get(f"/feeds/key/{key.key}.rss", HTTP_IF_NONE_MATCH=before["ETag"])
    assert titles(after)[0] == "Northshire-only answer"
    assert after["ETag"] != before["ETag"]


def test_key_feeds_are_private_to_caches_and_answer_304(client, answers, northshire):
    key = feed_key(northshire)
    first = client.get(f"/feeds/key/{key.key}.atom")
    assert first["Cache-Control"] == "private, max-age=300"
    assert client.get(f"/feeds/key/{key.key}.atom", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    modified = client.get(f"/feeds/key/{key.key}.atom", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert modified.status_code == 304


def test_a_cached_key_feed_costs_one_query(client, answers, northshire, django_assert_max_num_queries):
    plan_of(northshire, private_feeds=True)
    key = feed_key(northshire)
    first = client.get(f"/feeds/key/{key.key}.rss")
    with django_assert_max_num_queries(1):
        again = client.get(f"/feeds/key/{key.key}.rss")
    assert again.content == first.content


def test_a_new_answer_for_the_network_appears(client, answers, northshire, topic, erin, run_on_commit):
    plan_of(northshire, private_feeds=True)
    key = feed_key(northshire)
    etag = client.get(f"/feeds/key/{key.key}.rss")["ETag"]
    with run_on_commit():
        make_published_page(topic=topic, title="Fresh for Northshire", visibility="network", network=northshire)
    fresh = client.get(f"/feeds/key/{key.key}.rss", HTTP_IF_NONE_MATCH=etag)
    assert titles(fresh)[0] == "Fresh for Northshire"


def refusal(response):
    return response.status_code, response["Content-Type"], response.content.decode()


def test_a_revoked_key_is_gone_at_once(client, answers, northshire, nadia):
    key = feed_key(northshire)
    assert client.get(f"/feeds/key/{key.key}.rss").status_code == 200
    services.key_revoke(key_id=key.pk, actor=nadia)
    assert refusal(client.get(f"/feeds/key/{key.key}.rss")) == (
        410,
        "text/plain; charset=utf-8",
        "This feed key was revoked by its network.\n",
    )


def test_a_network_whose_subscription_ended_has_no_feed(client, answers, eastmoor):
    key = feed_key(eastmoor)
    assert refusal(client.get(f"/feeds/key/{key.key}.atom")) == (
        404,
        "text/plain; charset=utf-8",
        "This network's subscription has ended.\n",
    )


def test_unknown_keys_and_widget_keys_have_no_feed(client, answers, northshire):
    widget = AccessKey.objects.create(network=northshire, name="Website", kind=AccessKey.Kind.WIDGET)
    assert refusal(client.get(f"/feeds/key/{'x' * 32}.rss")) == (
        404,
        "text/plain; charset=utf-8",
        "No feed has this key.\n",
    )
    assert refusal(client.get(f"/feeds/key/{widget.key}.atom")) == (
        403,
        "text/plain; charset=utf-8",
        "This is a widget key: feeds need a feed key.\n",
    )


def test_with_network_features_agrees_with_network_has_feature(northshire, westvale, eastmoor):
    Plan.objects.filter(slug="premium").update(private_feeds=True, full_answers_in_widgets=True)
    unsubscribed = NetworkFactory()
    keys = [feed_key(network) for network in (northshire, westvale, eastmoor, unsubscribed)]
    features = ("widgets", "private_feeds", "full_answers_in_widgets")
    rows = access.with_network_features(AccessKey.objects.filter(pk__in=[k.pk for k in keys]), *features)
    for row in rows.select_related("network"):
        assert row.network_is_live == (row.network.current_subscription is not None)
        for feature in features:
            assert getattr(row, f"network_has_{feature}") == access.network_has_feature(row.network, feature)
    with pytest.raises(ValueError, match="Unknown plan features"):
        access.with_network_features(AccessKey.objects.all(), "annual_price")
