"""oEmbed for public answers, its discovery link, and the feed links on topic and expert pages."""

import re
from urllib.parse import quote

import pytest

from tests.factories import make_published_page


@pytest.fixture
def public(topic, erin):
    return make_published_page(topic=topic, title="Can trustees be paid?", expert=erin)


@pytest.fixture
def network_only(topic, northshire, erin):
    return make_published_page(
        topic=topic, title="Our members' question", visibility="network", network=northshire, expert=erin
    )


def oembed(client, url, **params):
    query = "&".join(f"{name}={value}" for name, value in {"url": quote(url, safe=""), **params}.items())
    return client.get(f"/oembed/?{query}")


def test_a_public_answer_has_a_rich_embed(client, public, erin):
    response = oembed(client, "http://testserver" + public.url, format="json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    page_url = "http://testserver" + public.url
    assert {key: value for key, value in data.items() if key != "html"} == {
        "version": "1.0",
        "type": "rich",
        "title": "Can trustees be paid?",
        "author_name": erin.display_name,
        "author_url": f"http://testserver/experts/{erin.expert_profile.slug}/",
        "provider_name": "Ask an Expert",
        "provider_url": "http://testserver/",
        "cache_age": 3600,
        "width": 600,
        "height": 320,
    }
    html = data["html"]
    assert html.startswith('<blockquote class="ask-an-expert-answer"')
    assert f'<a href="{page_url}">Read the full answer on Ask an Expert</a>' in html
    assert "<p><strong>Can trustees be paid?</strong></p>" in html
    assert "Register with the Charity Commission" in html
    assert not re.search(r"<(script|iframe|style|img)\b", html)


def test_maxwidth_and_maxheight_bound_the_size(client, public):
    data = oembed(client, "http://testserver" + public.url, maxwidth="300", maxheight="200").json()
    assert (data["width"], data["height"]) == (300, 200)
    assert 'style="max-width:300px"' in data["html"]
    larger = oembed(client, "http://testserver" + public.url, maxwidth="5000").json()
    assert (larger["width"], larger["height"]) == (600, 320)


def test_the_site_address_from_settings_is_ours_too(client, public, settings):
    settings.BASE_URL = "https://ask.example.org"
    assert oembed(client, "https://ask.example.org" + public.url).status_code == 200


def test_xml_is_not_implemented(client, public):
    response = oembed(client, "http://testserver" + public.url, format="xml")
    assert (response.status_code, response.json()) == (501, {"error": "Only the json format is available."})


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://elsewhere.example.org/topics/charity-law/can-trustees-be-paid/", "That address is not on this site."),
        ("http://testserver/topics/charity-law/", "That address is not a public answer on this site."),
        ("http://testserver/no/such/page/", "That address is not a public answer on this site."),
        ("http://testserver/", "That address is not a public answer on this site."),
    ],
)
def test_addresses_that_are_not_public_answers_are_not_found(client, public, url, message):
    response = oembed(client, url)
    assert (response.status_code, response.json()) == (404, {"error": message})


def test_network_only_answers_have_no_embed(client, network_only, alice):
    client.force_login(alice)
    response = oembed(client, "http://testserver" + network_only.url)
    assert (response.status_code, response.json()) == (
        404,
        {"error": "That address is not a public answer on this site."},
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "The url parameter is required."),
        ("url=", "The url parameter is required."),
        ("url=javascript%3Aalert(1)", "url must be an http or https address."),
        ("url=%2F%2F", "url must be an http or https address."),
        ("url=http%3A%2F%2F%5Bnot-an-ip", "url is not a valid address."),
        ("url=http%3A%2F%2Ftestserver%2F%00", "url is not a valid address."),
        ("url=http%3A%2F%2Ftestserver%2F&maxwidth=wide", "maxwidth must be a whole number of pixels from 1 to 10000."),
        ("url=http%3A%2F%2Ftestserver%2F&maxheight=-5", "maxheight must be a whole number of pixels from 1 to 10000."),
        ("url=http%3A%2F%2Ftestserver%2F&maxwidth=0", "maxwidth must be a whole number of pixels from 1 to 10000."),
        ("url=http%3A%2F%2Ftestserver%2F&format=%3Cjson%3E", "format must be json."),
        ("url=" + "a" * 2100, "url is not a valid address."),
    ],
)
def test_junk_is_a_bad_request_with_a_reason(client, public, query, message):
    response = client.get(f"/oembed/?{query}")
    assert (response.status_code, response.json()) == (400, {"error": message})


def test_only_get_and_head(client, public):
    assert client.post("/oembed/", {"url": "http://testserver" + public.url}).status_code == 405


def test_public_answer_pages_announce_their_embed(client, public):
    html = client.get(public.url).content.decode()
    page_url = quote("http://testserver" + public.url, safe="")
    assert (
        '<link rel="alternate" type="application/json+oembed" '
        f'href="http://testserver/oembed/?url={page_url}&amp;format=json" title="Can trustees be paid?">'
    ) in html


def test_the_announced_embed_address_works(client, public):
    html = client.get(public.url).content.decode()
    href = re.search(r'type="application/json\+oembed" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert client.get(href.removeprefix("http://testserver")).json()["title"] == "Can trustees be paid?"


def test_network_only_pages_announce_no_embed(client, network_only, alice):
    client.force_login(alice)
    response = client.get(network_only.url)
    assert response.status_code == 200
    assert b"json+oembed" not in response.content


def test_topic_pages_link_their_feeds(client, topic, public):
    html = client.get(topic.url).content.decode()
    assert (
        '<link rel="alternate" type="application/rss+xml" title="Charity law: answers (RSS)" '
        'href="/feeds/topics/charity-law.rss">'
    ) in html
    assert (
        'type="application/atom+xml" title="Charity law: answers (Atom)" href="/feeds/topics/charity-law.atom"' in html
    )
    assert '<a href="/feeds/topics/charity-law.rss">RSS</a> / <a href="/feeds/topics/charity-law.atom">Atom</a>' in html


def test_expert_profiles_link_their_feeds(client, erin, public):
    slug = erin.expert_profile.slug
    html = client.get(f"/experts/{slug}/").content.decode()
    assert (
        f'<link rel="alternate" type="application/rss+xml" title="Answers by {erin.display_name} (RSS)" '
        f'href="/feeds/experts/{slug}.rss">'
    ) in html
    assert f'<a href="/feeds/experts/{slug}.rss">RSS</a> / <a href="/feeds/experts/{slug}.atom">Atom</a>' in html
    assert client.get(f"/feeds/experts/{slug}.rss").status_code == 200
