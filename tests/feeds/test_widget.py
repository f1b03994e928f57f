"""The answers widget: answers.json (what a key shows, CORS, refusals, caching), widget.js, the iframe, clicks."""

import datetime as dt
import json

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feeds import counting
from qa_site.knowledge import generation
from subscriptions import access, services
from subscriptions.models import AccessKey, Plan, Subscription
from tests.factories import make_published_page
from tests.query_plans import sorted_in_full

SITE = "https://www.northshire.example.org"
OTHER_SITE = "https://evil.example.com"
JSON = "/embed/answers.json"
FRAME = "/embed/frame/"
ANSWER = (
    "Yes: trustees can be repaid reasonable travel costs for board meetings. <script>alert('x')</script>\n\n"
    "[Guidance](https://www.gov.uk/guidance) and [a trap](javascript:alert(1)). " + "Keep every receipt. " * 30
)


@pytest.fixture(autouse=True)
def counts_stay_in_the_cache():
    """Without Redis, the process that counts flushes now and then (see counting.py): not during these tests."""
    cache.set(counting.LOCAL_FLUSH_MARK, 1, timeout=None)


@pytest.fixture
def key(northshire, nadia):
    return AccessKey.objects.create(
        network=northshire,
        name="Website",
        kind="widget",
        created_by=nadia,
        allowed_origins=f"{SITE}\nhttp://localhost:8000",
    )


@pytest.fixture
def answers(topic, other_topic, northshire, erin):
    older = make_published_page(topic=topic, title="Older public answer", expert=erin)
    make_published_page(topic=topic, title="Network-only answer", visibility="network", network=northshire)
    newer = make_published_page(topic=topic, title="Newer public answer", expert=erin, answer=ANSWER)
    transport = make_published_page(topic=other_topic, title="Community bus permits")
    return {"older": older, "newer": newer, "transport": transport}


def get(client, key, origin=None, **params):
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return client.get(JSON, {"key": key.key if isinstance(key, AccessKey) else key, **params}, **headers)


def titles(response):
    return [item["title"] for item in response.json()["items"]]


def test_answers_json_lists_the_latest_public_answers_with_teasers(client, key, answers):
    response = get(client, key)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert titles(response) == ["Community bus permits", "Newer public answer", "Older public answer"]
    assert body["title"] == "Latest answers from Ask an Expert"
    assert body["topic"] is None
    assert body["more"] == {"title": "More answers from Ask an Expert", "url": "http://testserver/"}
    assert body["full_answers"] is False
    newer = answers["newer"]
    item = body["items"][1]
    assert item == {
        "id": newer.pk,
        "title": "Newer public answer",
        "url": f"http://testserver{newer.url}",
        "click_url": f"http://testserver/embed/click/{newer.pk}/?key={key.key}",
        "topic": {"slug": "charity-law", "title": "Charity law"},
        "expert": newer.expert.display_name,
        "published": timezone.localdate(newer.first_published_at).isoformat(),
        "teaser": item["teaser"],
        "source": None,  # written here: nothing to credit
    }
    assert item["teaser"].startswith("Yes: trustees can be repaid reasonable travel costs for board meetings.")
    assert item["teaser"].endswith(" …")
    assert "<" not in item["teaser"]
    assert "answer_html" not in item


def test_full_answers_come_with_the_plan_that_includes_them_and_are_sanitised(client, key, answers):
    Plan.objects.filter(slug="standard").update(full_answers_in_widgets=True)
    body = get(client, key, topic="charity-law").json()
    assert body["full_answers"] is True
    html = body["items"][0]["answer_html"]
    assert html.startswith("<p>Yes: trustees can be repaid reasonable travel costs for board meetings.")
    assert '<a href="https://www.gov.uk/guidance" rel="nofollow noopener">Guidance</a>' in html
    assert "<script" not in html
    assert "javascript:" not in html
    assert "Keep every receipt. Keep every receipt." in html


def test_a_topic_narrows_the_list_and_count_limits_it(client, key, answers):
    response = get(client, key, topic="charity-law", count="1")
    assert titles(response) == ["Newer public answer"]
    assert response.json()["title"] == "Latest answers on Charity law"
    assert response.json()["topic"] == {"slug": "charity-law", "title": "Charity law"}
    assert response.json()["more"]["url"] == "http://testserver/topics/charity-law/"
    assert titles(get(client, key, topic="rural-transport", count="20")) == ["Community bus permits"]


def test_a_key_limited_to_topics_shows_only_those(client, key, answers, topic, other_topic):
    key.topic_ids = [other_topic.pk]
    key.save()
    assert titles(get(client, key)) == ["Community bus permits"]
    response = get(client, key, topic="charity-law")
    assert response.status_code == 403
    assert response.json() == {"error": "This key does not include the topic “Charity law”.", "reason": "topic"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"count": "abc"}, "count must be a whole number from 1 to 20."),
        ({"count": "10000"}, "count must be a whole number from 1 to 20."),
        ({"count": "0"}, "count must be a whole number from 1 to 20."),
        ({"count": "-1"}, "count must be a whole number from 1 to 20."),
        ({"count": "٣"}, "count must be a whole number from 1 to 20."),
        ({"count": "1" * 5000}, "count must be a whole number from 1 to 20."),  # past int()'s digit limit
        ({"topic": "no-such-topic"}, "There is no topic “no-such-topic”."),
    ],
)
def test_junk_parameters_are_refused_with_a_message(client, key, answers, params, message):
    response = get(client, key, SITE, **params)
    assert response.status_code == 400
    assert response.json() == {"error": message, "reason": "bad_request"}
    assert response["Access-Control-Allow-Origin"] == SITE  # the key's website may read why


def test_a_missing_key_is_a_bad_request(client, answers):
    response = client.get(JSON)
    assert response.status_code == 400
    assert response.json() == {"error": "Add your widget key to the address: ?key=…", "reason": "bad_request"}


def test_cors_lets_only_the_keys_websites_read_the_answers(client, key, answers):
    allowed = get(client, key, SITE)
    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == SITE
    assert "Origin" in allowed["Vary"]
    assert get(client, key, "http://localhost:8000")["Access-Control-Allow-Origin"] == "http://localhost:8000"

    refused = get(client, key, OTHER_SITE)
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "This key may not be used on https://evil.example.com: add it to the key's websites.",
        "reason": "origin",
    }
    assert "Access-Control-Allow-Origin" not in refused
    assert "Origin" in refused["Vary"]
    # Near misses are other origins.
    for origin in (f"{SITE}:8443", "http://www.northshire.example.org", "null", f"{SITE}.evil.example.com"):
        assert "Access-Control-Allow-Origin" not in get(client, key, origin)

    no_origin = get(client, key)  # a server, or our own page: nothing to allow
    assert no_origin.status_code == 200
    assert "Access-Control-Allow-Origin" not in no_origin


def test_keys_that_cannot_be_used_say_why_and_show_nothing(client, key, answers, eastmoor, northshire, nadia):
    def refusal(response):
        assert "items" not in response.json()
        return response.status_code, response.json()["reason"]

    assert refusal(get(client, "not-a-key", SITE)) == (404, "unknown")
    assert "Access-Control-Allow-Origin" not in get(client, "not-a-key", SITE)

    feed = AccessKey.objects.create(network=northshire, name="Feed", kind="feed", created_by=nadia)
    assert refusal(get(client, feed)) == (403, "wrong_kind")

    expired = AccessKey.objects.create(network=eastmoor, name="Old", kind="widget", allowed_origins=SITE)
    response = get(client, expired, SITE)
    assert refusal(response) == (403, "expired")
    assert response.json()["error"] == "The subscription of Eastmoor VA has ended."

    subscription = Subscription.objects.get(network=northshire)
    subscription.status = Subscription.Status.CANCELLED
    subscription.save()
    assert refusal(get(client, key, SITE)) == (403, "expired")
    subscription.status = Subscription.Status.ACTIVE
    subscription.save()

    plan = Plan.objects.get(slug="standard")
    plan.widgets = False
    plan.save()
    assert refusal(get(client, key, SITE)) == (403, "not_in_plan")
    plan.widgets = True
    plan.save()

    assert get(client, key, SITE).status_code == 200
    key.revoked_at = timezone.now()
    key.save()
    response = get(client, key, SITE)
    assert refusal(response) == (410, "revoked")
    assert response.json()["error"] == "This widget key has been revoked."
    assert response["Access-Control-Allow-Origin"] == SITE  # the key's own website may read why
    assert response["Cache-Control"] == "no-store"


def test_the_list_is_cached_until_the_next_publish(client, key, answers, topic, run_on_commit):
    first = get(client, key, SITE, topic="charity-law")
    with CaptureQueriesContext(connection) as queries:
        again = get(client, key, SITE, topic="charity-law")
    assert again.content == first.content
    assert not [q["sql"] for q in queries if "knowledge_questionpage" in q["sql"]]
    with run_on_commit():  # the generation moves on after the publish commits
        make_published_page(topic=topic, title="Newest public answer")
    assert titles(get(client, key, SITE, topic="charity-law"))[0] == "Newest public answer"


def test_a_revoked_key_stops_at_once_even_with_a_cached_list(client, key, answers, nadia):
    assert get(client, key).status_code == 200
    services.key_revoke(key_id=key.pk, actor=nadia)
    assert get(client, key).status_code == 410


def test_a_key_changed_behind_the_sites_back_stops_within_a_minute(client, key, answers, django_assert_num_queries):
    """A valid key answers from its cached grant, with no query. A change that no signal announces (a direct update
    in the database, a subscription ending by the calendar) is read when the grant expires: within a minute."""
    assert get(client, key).status_code == 200
    with django_assert_num_queries(0):
        assert get(client, key).status_code == 200
    AccessKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    assert get(client, key).status_code == 200  # still the grant of before
    assert access.KEY_SECONDS + access.KEY_LOCAL_SECONDS <= 60
    cache.delete(f"access-key:{key.key}")  # as when the shared cache's entry expires…
    access._local_grants.clear()  # … and this process's copy
    assert get(client, key).status_code == 410


def test_etags_answer_not_modified_until_the_list_changes(client, key, answers, topic, run_on_commit):
    response = get(client, key, SITE)
    etag = response["ETag"]
    assert response["Cache-Control"] == "no-cache"
    not_modified = client.get(JSON, {"key": key.key}, HTTP_ORIGIN=SITE, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert not_modified["Access-Control-Allow-Origin"] == SITE
    # A 304 is a view too: the browser shows what it has.
    assert sum(counting.pending(network_ids=[key.network_id]).values()) == 2
    with run_on_commit():
        make_published_page(topic=topic, title="Newest public answer")
    assert client.get(JSON, {"key": key.key}, HTTP_IF_NONE_MATCH=etag).status_code == 200
    key.revoked_at = timezone.now()
    key.save()
    assert client.get(JSON, {"key": key.key}, HTTP_IF_NONE_MATCH=etag).status_code == 410


def test_widget_js_is_small_cached_for_long_and_javascript(client):
    response = client.get("/embed/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    body = response.content.decode()
    assert len(response.content) < 6 * 1024
    assert "attachShadow" in body
    assert "innerHTML = item.answer_html" in body  # the only HTML it inserts: sanitised on our side
    assert body.count("innerHTML") == 1
    assert "http" not in body.split("*/", 1)[1]  # no third-party address: it asks only its own origin
    assert client.get("/embed/widget.js", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def frame_soup(response):
    return BeautifulSoup(response.content, "html.parser")


def test_the_iframe_page_shows_the_same_answers_to_the_keys_websites_only(client, key, answers):
    response = client.get(FRAME, {"key": key.key, "topic": "charity-law", "count": "2", "style": "dark"})
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors 'self' {SITE} http://localhost:8000"
    )
    assert "X-Frame-Options" not in response
    page = frame_soup(response)
    assert page.select_one("section.aae.dark")["aria-label"] == "Latest answers on Charity law"
    assert page.select_one("h2").get_text() == "Latest answers on Charity law"
    links = page.select("li > a")
    newer = answers["newer"]
    assert [a.get_text() for a in links] == ["Newer public answer", "Older public answer"]
    assert links[0]["href"] == f"http://testserver/embed/click/{newer.pk}/?key={key.key}"
    assert all(a["target"] == "_blank" and a["rel"] == ["noopener"] for a in page.select("a"))
    published = timezone.localdate(newer.first_published_at)
    assert page.select_one("li .meta").get_text() == (
        f"{newer.expert.display_name} · Charity law · {published.day} {published:%B %Y}"
    )
    assert page.select_one("li .teaser").get_text().startswith("Yes: trustees can be repaid")
    assert page.select_one("script") is None
    assert page.select_one("html")["lang"] == "en-GB"


def test_the_compact_iframe_leaves_out_teasers(client, key, answers):
    page = frame_soup(client.get(FRAME, {"key": key.key, "style": "compact"}))
    assert len(page.select("li")) == 3
    assert page.select(".teaser") == []


def test_the_iframe_of_an_unusable_key_shows_nothing(client, key, answers):
    key.revoked_at = timezone.now()
    key.save()
    response = client.get(FRAME, {"key": key.key})
    assert response.status_code == 410
    page = frame_soup(response)
    assert page.select_one("body").get_text(strip=True) == ""
    assert "revoked: This widget key has been revoked." in response.content.decode()  # in a comment
    bad = client.get(FRAME, {"key": "x" * 20, "style": "neon"})
    assert bad.status_code == 404
    assert bad["Content-Security-Policy"].endswith("frame-ancestors 'self'")
    usable = AccessKey.objects.create(network=key.network, name="Two", kind="widget", allowed_origins=SITE)
    bad_style = client.get(FRAME, {"key": usable.key, "style": "neon"})
    assert bad_style.status_code == 400
    assert "style must be one of: light, dark, compact." in bad_style.content.decode()


def test_a_click_is_counted_and_leads_to_the_answer(client, key, answers):
    newer = answers["newer"]
    response = client.get(f"/embed/click/{newer.pk}/", {"key": key.key})
    assert response.status_code == 302
    assert response["Location"] == newer.url
    assert "no-cache" in response["Cache-Control"]
    today = timezone.localdate()
    assert counting.pending(network_ids=[key.network_id]) == {(counting.CLICK, key.network_id, today): 1}


def test_clicks_through_a_revoked_key_still_lead_to_the_answer_uncounted(client, key, answers):
    key.revoked_at = timezone.now()
    key.save()
    response = client.get(f"/embed/click/{answers['newer'].pk}/", {"key": key.key})
    assert (response.status_code, response["Location"]) == (302, answers["newer"].url)
    assert counting.pending(network_ids=[key.network_id]) == {}


def test_clicks_lead_only_to_public_answers(client, key, answers, northshire):
    hidden = make_published_page(
        topic=answers["newer"].topic, title="Members only", visibility="network", network=northshire
    )
    assert client.get(f"/embed/click/{hidden.pk}/", {"key": key.key}).status_code == 404
    assert client.get("/embed/click/999999/", {"key": key.key}).status_code == 404


def test_the_json_never_carries_html_outside_answer_html(client, key, topic):
    make_published_page(topic=topic, title='<img src=x onerror="alert(1)"> & “quotes”')
    response = get(client, key)
    assert titles(response) == ['<img src=x onerror="alert(1)"> & “quotes”']  # data: the widget sets textContent
    assert json.loads(response.content)["items"][0]["title"].startswith("<img")


def test_published_dates_are_local_days(client, key, topic):
    page = make_published_page(topic=topic, title="Late-night answer")
    late = timezone.make_aware(dt.datetime(2026, 6, 30, 23, 30))
    type(page).objects.filter(pk=page.pk).update(first_published_at=late)
    assert get(client, key).json()["items"][0]["published"] == "2026-06-30"


def test_an_uncached_list_takes_the_same_queries_for_3_or_20_answers(client, key, topic, erin):
    Plan.objects.filter(slug="standard").update(full_answers_in_widgets=True)

    def render():
        generation.renew()  # a new generation: the list is built afresh
        with CaptureQueriesContext(connection) as queries:
            response = get(client, key, SITE, count=20)
        assert response.status_code == 200
        render.last = queries.captured_queries
        return len(response.json()["items"]), len(queries)

    for number in range(3):
        make_published_page(topic=topic, title=f"Answer {number}", expert=erin)
    render()  # fills Wagtail's own cache of site root paths
    few_items, few = render()
    for number in range(3, 20):
        make_published_page(topic=topic, title=f"Answer {number}", expert=erin)
    many_items, many = render()
    assert (few_items, many_items) == (3, 20)
    assert many == few
    assert sorted_in_full(render.last) == []  # newest first through an index, whatever the number of answers
