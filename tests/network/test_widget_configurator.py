"""The widget configurator: choose topic, size, style and script or iframe; see the snippet and a live preview."""

import pytest
from django.utils import timezone

from subscriptions.models import AccessKey, Plan

from .pages import soup

SITE = "https://www.northshire.example.org"


@pytest.fixture
def key(northshire, nadia):
    return AccessKey.objects.create(
        network=northshire, name="Members' website", kind="widget", created_by=nadia, allowed_origins=SITE
    )


def url(key, slug="northshire"):
    return f"/network/{slug}/keys/{key.pk}/widget/"


def snippet_of(response):
    return soup(response).select_one('[data-testid="snippet"]').get_text()


def test_the_default_snippet_is_a_script_tag(as_nadia, key, settings, topic):
    settings.BASE_URL = "https://ask.example.org"
    response = as_nadia.get(url(key))
    assert response.status_code == 200
    assert snippet_of(response) == (
        f'<script src="https://ask.example.org/embed/widget.js" data-key="{key.key}" data-count="5" '
        'data-style="light" async></script>'
    )
    page = soup(response)
    preview = page.select_one('[data-testid="preview"] script')
    assert preview["src"] == "/embed/widget.js"  # this site, whatever address it is reached at
    assert (preview["data-key"], preview["data-preview"], preview["data-count"]) == (key.key, "1", "5")
    assert [option.get_text() for option in page.select("#id_topic option")] == ["All topics", "Charity law"]
    assert page.select_one('script[src$="network/widget-configurator.js"]') is not None
    assert page.select_one("#copy-snippet").get_text() == "Copy"


def test_choices_make_the_snippet_and_preview(as_nadia, key, settings, topic):
    settings.BASE_URL = "https://ask.example.org"
    response = as_nadia.get(url(key), {"topic": "charity-law", "count": "3", "style": "dark", "variant": "script"})
    assert snippet_of(response) == (
        f'<script src="https://ask.example.org/embed/widget.js" data-key="{key.key}" data-topic="charity-law" '
        'data-count="3" data-style="dark" async></script>'
    )
    response = as_nadia.get(url(key), {"topic": "charity-law", "count": "3", "style": "compact", "variant": "iframe"})
    assert snippet_of(response) == (
        f'<iframe src="https://ask.example.org/embed/frame/?key={key.key}&amp;topic=charity-law&amp;count=3&amp;'
        'style=compact" title="Latest answers from Ask an Expert" width="100%" height="196" style="border:0" '
        'loading="lazy"></iframe>'
    )
    frame = soup(response).select_one('[data-testid="preview"] iframe')
    assert frame["src"] == f"/embed/frame/?key={key.key}&topic=charity-law&count=3&style=compact&preview=1"
    # The iframe page lets this site frame it, so the preview shows.
    framed = as_nadia.get(frame["src"])
    assert "frame-ancestors 'self' https://www.northshire.example.org" in framed["Content-Security-Policy"]


def test_bad_choices_fall_back_to_the_defaults(as_nadia, key, topic):
    response = as_nadia.get(url(key), {"topic": "<script>", "count": "500", "style": "neon", "variant": "x"})
    assert response.status_code == 200
    assert snippet_of(response).endswith(f'data-key="{key.key}" data-count="5" data-style="light" async></script>')


def test_a_key_limited_to_topics_offers_only_those(as_nadia, key, topic, other_topic):
    key.topic_ids = [other_topic.pk]
    key.save()
    page = soup(as_nadia.get(url(key)))
    assert [option.get_text() for option in page.select("#id_topic option")] == [
        "All the key's topics",
        "Rural transport",
    ]
    response = as_nadia.get(url(key), {"topic": "charity-law"})
    assert "data-topic" not in snippet_of(response)


def test_the_plan_without_widgets_is_explained(as_nadia, key):
    Plan.objects.filter(slug="standard").update(widgets=False)
    response = as_nadia.get(url(key))
    assert soup(response).select_one('[data-testid="not-included"]').get_text() == (
        "Your plan does not include widgets at the moment: the widget shows nothing until it does."
    )


def test_only_the_networks_admins_configure_its_active_widget_keys(client, key, northshire, nadia, walter, alice):
    client.force_login(walter)  # admin of another network
    assert client.get(url(key)).status_code == 403
    assert client.get(url(key, "westvale")).status_code == 404
    client.force_login(alice)  # a member, not an admin
    assert client.get(url(key)).status_code == 403
    client.force_login(nadia)
    feed = AccessKey.objects.create(network=northshire, name="Feed", kind="feed")
    assert client.get(url(feed)).status_code == 404
    key.revoked_at = timezone.now()
    key.save()
    assert client.get(url(key)).status_code == 404
    client.logout()
    assert client.get(url(key)).status_code == 302
