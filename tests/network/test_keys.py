"""Keys for a network's feeds and widgets: made, listed with how to use them, revoked; only on plans that have them."""

import pytest

from qa_site.network.forms import parse_origin
from subscriptions.models import AccessKey, Plan

from .pages import messages_of, soup, text_of

KEYS = "/network/northshire/keys/"


def field_errors(response, name):
    """A field's messages, without the "Error:" read out to screen readers before each."""
    errors = soup(response).select_one(f"#id_{name}_error")
    return [" ".join(li.get_text().split()).removeprefix("Error: ") for li in errors.select("li")] if errors else []


@pytest.fixture
def feeds_too(northshire):
    Plan.objects.filter(slug="standard").update(widgets=True, private_feeds=True)


def test_a_widget_key_is_made_and_shown_with_its_snippet(as_nadia, northshire, nadia, settings):
    settings.BASE_URL = "https://ask.example.org"
    response = as_nadia.post(
        KEYS,
        {
            "name": " Members' website ",
            "kind": "widget",
            "allowed_origins": "https://www.northshire.example.org/\r\n\r\nHTTP://Localhost:8000\nhttps://www.northshire.example.org",
        },
        follow=True,
    )
    assert messages_of(response) == ["Key “Members' website” created."]
    key = AccessKey.objects.get()
    assert (key.name, key.kind, key.created_by, key.network) == ("Members' website", "widget", nadia, northshire)
    assert key.allowed_origins == "https://www.northshire.example.org\nhttp://localhost:8000"
    assert len(key.key) >= 32
    card = text_of(response, f"key-{key.pk}")
    assert f"Key {key.key}" in card
    assert (
        f'Paste this into your web page <script src="https://ask.example.org/embed/widget.js" data-key="{key.key}" '
        "async></script> Allowed websites"
    ) in card
    assert "coming with syndication" not in card
    assert "Allowed websites https://www.northshire.example.org , http://localhost:8000" in card
    assert "Topics All topics" in card
    link = soup(response).select_one(f'[data-testid="key-{key.pk}"] a[href$="/widget/"]')
    assert (link.get_text(), link["href"]) == (
        "Set up and preview the widget",
        f"/network/northshire/keys/{key.pk}/widget/",
    )


def test_a_key_may_be_limited_to_topics(as_nadia, northshire, topic, other_topic, site_tree):
    response = as_nadia.post(
        KEYS,
        {"name": "Transport page", "kind": "widget", "allowed_origins": "https://a.org", "topics": [other_topic.pk]},
        follow=True,
    )
    key = AccessKey.objects.get()
    assert key.topic_ids == [other_topic.pk]
    assert "Topics Rural transport Change name, topics or websites Revoke" in text_of(response, f"key-{key.pk}")
    assert [label.get_text(" ", strip=True) for label in soup(response).select("#id_topics label")] == [
        "Charity law",
        "Rural transport",
    ]


def test_an_unknown_topic_is_refused(as_nadia, northshire, topic):
    response = as_nadia.post(
        KEYS, {"name": "Site", "kind": "widget", "allowed_origins": "https://a.org", "topics": ["999999"]}
    )
    assert response.status_code == 400
    assert field_errors(response, "topics") == ["Choose topics from the list"]
    assert not AccessKey.objects.exists()


def test_a_feed_key_shows_its_feed_address(as_nadia, feeds_too, settings):
    settings.BASE_URL = "https://ask.example.org"
    as_nadia.post(KEYS, {"name": "Intranet", "kind": "feed", "allowed_origins": ""})
    key = AccessKey.objects.get()
    assert key.kind == "feed"
    assert key.allowed_origins == ""
    response = as_nadia.get(KEYS)
    card = text_of(response, f"key-{key.pk}")
    assert f"Feed address https://ask.example.org/feeds/key/{key.key}.rss" in card
    assert "coming with syndication" not in card


@pytest.mark.parametrize(
    ("line", "origin"),
    [
        ("https://www.example.org", "https://www.example.org"),
        ("https://www.example.org/", "https://www.example.org"),
        ("HTTPS://WWW.Example.ORG", "https://www.example.org"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("https://192.0.2.10:8443", "https://192.0.2.10:8443"),
        ("https://www.example.org/page", None),
        ("https://www.example.org//", None),
        ("https://www.example.org/?q=1", None),
        ("https://www.example.org?q=1", None),
        ("https://www.example.org#top", None),
        ("https://user:secret@www.example.org", None),
        ("ftp://www.example.org", None),
        ("javascript:alert(1)", None),
        ("www.example.org", None),
        ("//www.example.org", None),
        ("https://", None),
        ("https://exa mple.org", None),
        ("https://www.example.org:443", "https://www.example.org"),
        ("https://www.example.org:8443", "https://www.example.org:8443"),
        ("http://localhost", "http://localhost"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("http://[::1]:5000", "http://[::1]:5000"),
        ("http://shop.localhost:8000", "http://shop.localhost:8000"),
        ("http://www.example.org", None),
        ("http://192.0.2.10", None),
        ("https://www.example.org:99999", None),
        ("https://www.example.org:port", None),
        ("https://-bad-.example.org", None),
        ("https://" + "a" * 250 + ".org", None),
    ],
)
def test_origins_are_scheme_and_host_only(line, origin):
    assert parse_origin(line) == origin


@pytest.mark.parametrize(
    ("data", "field", "errors"),
    [
        (
            {"allowed_origins": "https://www.example.org\nhttps://www.example.org/members"},
            "allowed_origins",
            [
                "Line 2 (“https://www.example.org/members”) is not a website origin: write only http:// or https:// "
                "and the host name, e.g. https://www.example.org, with no path after it."
            ],
        ),
        (
            {"allowed_origins": "example.org\nftp://example.org"},
            "allowed_origins",
            [
                "Line 1 (“example.org”) is not a website origin: write only http:// or https:// and the host name, "
                "e.g. https://www.example.org, with no path after it.",
                "Line 2 (“ftp://example.org”) is not a website origin: write only http:// or https:// and the host "
                "name, e.g. https://www.example.org, with no path after it.",
            ],
        ),
        (
            {"allowed_origins": "http://www.example.org"},
            "allowed_origins",
            [
                "Line 1 (“http://www.example.org”) uses http://: websites must use https://. Plain http:// is only "
                "for testing on your own computer (http://localhost)."
            ],
        ),
        ({"allowed_origins": ""}, "allowed_origins", ["List at least one website where the widget will be shown."]),
        (
            {"allowed_origins": " \n \n"},
            "allowed_origins",
            ["List at least one website where the widget will be shown."],
        ),
        (
            {"allowed_origins": "\n".join(f"https://site{n}.example.org" for n in range(21))},
            "allowed_origins",
            ["List at most 20 websites."],
        ),
        ({"name": ""}, "name", ["Enter a name for the key"]),
        ({"name": "   "}, "name", ["Enter a name for the key"]),
        ({"name": "x" * 101}, "name", ["Shorten the name to at most 100 characters"]),
        ({"kind": "banner"}, "kind", ["Choose a kind of key your plan includes"]),
        # The standard plan has widgets but not private feeds.
        ({"kind": "feed"}, "kind", ["Choose a kind of key your plan includes"]),
    ],
)
def test_bad_keys_are_refused_with_a_reason(as_nadia, northshire, data, field, errors):
    response = as_nadia.post(KEYS, {"name": "Website", "kind": "widget", "allowed_origins": "https://a.org", **data})
    assert response.status_code == 400
    assert field_errors(response, field) == errors
    assert not AccessKey.objects.exists()


def test_a_feed_takes_no_websites(as_nadia, feeds_too):
    response = as_nadia.post(KEYS, {"name": "Feed", "kind": "feed", "allowed_origins": "https://a.org"})
    assert response.status_code == 400
    assert field_errors(response, "allowed_origins") == [
        "Feeds are read by feed readers, not shown on websites: leave this empty for a feed."
    ]
    assert not AccessKey.objects.exists()


def test_plans_without_the_features_say_which_plans_have_them(as_nadia, northshire, premium_plan):
    Plan.objects.filter(slug="standard").update(widgets=False, private_feeds=False)
    Plan.objects.filter(slug="premium").update(widgets=True, private_feeds=True)
    PlanFactory = type(premium_plan)  # noqa: N806
    PlanFactory.objects.create(
        name="Network Plus", slug="plus", annual_price=3000, widgets=True, private_feeds=False, is_listed=True
    )
    PlanFactory.objects.create(name="Hidden", slug="hidden", annual_price=9000, widgets=True, is_listed=False)
    response = as_nadia.get(KEYS)
    assert response.status_code == 200
    assert text_of(response, "missing-1") == (
        "Feeds are not included in your plan. They come with the Premium plan: compare plans or contact us to change."
    )
    assert text_of(response, "missing-2") == (
        "Widgets are not included in your plan. They come with the Premium and Network Plus plans: compare plans "
        "or contact us to change."
    )
    assert soup(response).select_one("#new-key") is None
    response = as_nadia.post(KEYS, {"name": "Sneaky", "kind": "widget", "allowed_origins": "https://a.org"})
    assert response.status_code == 403
    assert not AccessKey.objects.exists()


def test_keys_kept_after_the_plan_lost_the_feature_are_flagged(as_nadia, northshire, nadia):
    key = AccessKey.objects.create(network=northshire, name="Old widget", kind="widget", created_by=nadia)
    Plan.objects.filter(slug="standard").update(widgets=False)
    card = text_of(as_nadia.get(KEYS), f"key-{key.pk}")
    assert "Your plan no longer includes widgets: this key will not work." in card


def test_revoking_a_key(as_nadia, northshire, nadia):
    key = AccessKey.objects.create(
        network=northshire, name="Website", kind="widget", created_by=nadia, allowed_origins="https://a.org"
    )
    url = f"/network/northshire/keys/{key.pk}/revoke/"
    assert as_nadia.get(url).status_code == 405
    response = as_nadia.post(url, follow=True)
    assert messages_of(response) == ["The key “Website” is revoked: it stops working at once."]
    key.refresh_from_db()
    revoked_at = key.revoked_at
    assert revoked_at is not None
    card = text_of(response, f"key-{key.pk}")
    assert card.startswith(f"Website Widget Revoked {revoked_at.day} ")
    assert key.key not in card
    response = as_nadia.post(url, follow=True)
    assert messages_of(response) == ["The key “Website” was already revoked."]
    key.refresh_from_db()
    assert key.revoked_at == revoked_at


def test_keys_belong_to_their_network(client, northshire, westvale, nadia, walter):
    key = AccessKey.objects.create(network=westvale, name="Westvale site", kind="widget", created_by=walter)
    client.force_login(nadia)
    assert client.post(f"/network/northshire/keys/{key.pk}/revoke/").status_code == 404
    assert client.post(f"/network/westvale/keys/{key.pk}/revoke/").status_code == 403
    assert key.key not in client.get(KEYS).content.decode()
    client.force_login(walter)
    assert client.post(KEYS, {"name": "x", "kind": "widget", "allowed_origins": "https://a.org"}).status_code == 403
    key.refresh_from_db()
    assert key.is_active
    assert not AccessKey.objects.filter(network=northshire).exists()


def test_a_feed_key_kept_after_the_plan_lost_network_feeds_says_what_it_still_carries(as_nadia, northshire, nadia):
    key = AccessKey.objects.create(network=northshire, name="Intranet", kind="feed", created_by=nadia)
    card = text_of(as_nadia.get(KEYS), f"key-{key.pk}")
    assert (
        "Your plan no longer includes your network's own answers in feeds: this feed now carries public answers only."
        in card
    )
    assert "will not work" not in card


def edit_url(key):
    return f"/network/northshire/keys/{key.pk}/edit/"


def test_a_widget_key_is_renamed_limited_to_topics_and_moved_to_other_websites(
    as_nadia, client, northshire, nadia, topic, other_topic, site_tree
):
    Plan.objects.filter(slug="standard").update(widgets=True)
    key = AccessKey.objects.create(
        network=northshire, name="Website", kind="widget", created_by=nadia, allowed_origins="https://old.example.org"
    )
    value = key.key
    form = soup(as_nadia.get(edit_url(key)))
    assert form.select_one("#id_name")["value"] == "Website"
    assert form.select_one("#id_allowed_origins").get_text().strip() == "https://old.example.org"
    assert form.select_one("#id_kind") is None  # the kind is shown nowhere to change

    response = as_nadia.post(
        edit_url(key),
        {
            "name": "New site",
            "topics": [other_topic.pk],
            "allowed_origins": "https://new.example.org\nhttps://b.example.org/",
        },
        follow=True,
    )
    assert messages_of(response) == ["Key “New site” saved: the change applies at once."]
    key.refresh_from_db()
    assert (key.name, key.key, key.kind, key.topic_ids) == ("New site", value, "widget", [other_topic.pk])
    assert key.origins == ["https://new.example.org", "https://b.example.org"]
    assert "Topics Rural transport" in text_of(response, f"key-{key.pk}")

    # The widget's JSON follows at once: the new website may read it, the old one no longer.
    new = client.get(f"/embed/answers.json?key={value}", HTTP_ORIGIN="https://new.example.org")
    assert new.status_code == 200
    assert new["Access-Control-Allow-Origin"] == "https://new.example.org"
    old = client.get(f"/embed/answers.json?key={value}", HTTP_ORIGIN="https://old.example.org")
    assert old.status_code == 403
    assert old.json()["reason"] == "origin"
    assert "Access-Control-Allow-Origin" not in old
    refused = client.get(f"/embed/answers.json?key={value}&topic={topic.slug}", HTTP_ORIGIN="https://new.example.org")
    assert (refused.status_code, refused.json()["reason"]) == (403, "topic")


def test_a_feed_key_edit_has_no_websites(as_nadia, northshire, nadia, topic, site_tree):
    key = AccessKey.objects.create(network=northshire, name="Intranet", kind="feed", created_by=nadia)
    link = soup(as_nadia.get(KEYS)).select_one(f'[data-testid="key-{key.pk}"] a[href$="/edit/"]')
    assert (link.get_text(), link["href"]) == ("Change name or topics", edit_url(key))
    response = as_nadia.get(edit_url(key))
    assert soup(response).select_one("#id_allowed_origins") is None
    as_nadia.post(edit_url(key), {"name": "Staff intranet", "topics": [topic.pk], "allowed_origins": "https://x.org"})
    key.refresh_from_db()
    assert (key.name, key.topic_ids, key.allowed_origins) == ("Staff intranet", [topic.pk], "")


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"name": "", "allowed_origins": "https://a.org"}, "name", "Enter a name for the key"),
        (
            {"name": "Site", "allowed_origins": ""},
            "allowed_origins",
            "List at least one website where the widget will be shown.",
        ),
        (
            {"name": "Site", "allowed_origins": "https://a.org/page"},
            "allowed_origins",
            "Line 1 (“https://a.org/page”) is not a website origin: write only http:// or https:// and the host name, "
            "e.g. https://www.example.org, with no path after it.",
        ),
        (
            {"name": "Site", "allowed_origins": "https://a.org", "topics": ["999999"]},
            "topics",
            "Choose topics from the list",
        ),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(as_nadia, northshire, nadia, data, field, error):
    key = AccessKey.objects.create(
        network=northshire, name="Website", kind="widget", created_by=nadia, allowed_origins="https://a.org"
    )
    response = as_nadia.post(edit_url(key), data)
    assert response.status_code == 400
    assert field_errors(response, field) == [error]
    key.refresh_from_db()
    assert (key.name, key.allowed_origins, key.topic_ids) == ("Website", "https://a.org", [])


def test_only_active_keys_of_ones_own_network_are_changed(client, northshire, westvale, nadia, walter, alice):
    revoked = AccessKey.objects.create(network=northshire, name="Old", kind="feed", created_by=nadia)
    revoked.revoked_at = revoked.created_at
    revoked.save()
    theirs = AccessKey.objects.create(network=westvale, name="Westvale site", kind="feed", created_by=walter)
    client.force_login(nadia)
    assert client.get(edit_url(revoked)).status_code == 404
    assert client.post(edit_url(revoked), {"name": "Back"}).status_code == 404
    assert client.post(edit_url(theirs), {"name": "Mine"}).status_code == 404
    client.force_login(alice)  # an adviser of Northshire, not its admin
    mine = AccessKey.objects.create(network=northshire, name="Intranet", kind="feed", created_by=nadia)
    assert client.post(edit_url(mine), {"name": "Hers"}).status_code == 403
    names = set(AccessKey.objects.values_list("name", flat=True))
    assert names == {"Old", "Westvale site", "Intranet"}
