"""Similar answered questions on the ask page: suggested as the adviser types (and without JavaScript),
only what they may see, and each one opened counted once a day as a question saved for their networks."""

import csv
import io

import pytest

from qa_site.knowledge.models import Question
from search.backends import get_backend
from search.documents import iter_documents
from subscriptions.models import UsageCount
from tests.factories import MembershipFactory, UserFactory, make_published_page

MILEAGE_QUESTION = "Can our volunteer drivers claim mileage?"


@pytest.fixture
def answers(topic, northshire, westvale, erin):
    pages = {
        "mileage": make_published_page(
            topic=topic,
            title="Volunteer drivers and mileage",
            expert=erin,
            answer="Volunteer drivers may claim the approved mileage rate without it counting as pay. " * 2,
        ),
        "northshire": make_published_page(
            topic=topic,
            title="Northshire mileage claims for volunteer drivers",
            visibility="network",
            network=northshire,
            expert=erin,
        ),
        "westvale": make_published_page(
            topic=topic,
            title="Westvale mileage claims for volunteer drivers",
            visibility="network",
            network=westvale,
            expert=erin,
        ),
        "trustees": make_published_page(topic=topic, title="Paying trustees for training", expert=erin),
    }
    get_backend().rebuild(iter_documents())
    return pages


def open_url(page):
    return f"/search/similar/{page.pk}/open/"


def suggestions(client, q):
    response = client.get("/search/similar/", {"q": q})
    assert response.status_code == 200
    return response.content.decode()


def deflections(network):
    return sum(
        UsageCount.objects.filter(network=network, kind=UsageCount.Kind.DEFLECTION).values_list("count", flat=True)
    )


def test_similar_answers_are_suggested_for_a_title(client, alice, answers):
    client.force_login(alice)
    body = suggestions(client, MILEAGE_QUESTION)
    assert f'<a href="{open_url(answers["mileage"])}">Volunteer drivers and mileage</a>' in body
    assert "Already answered?" in body
    assert "Paying trustees for training" not in body


def test_suggestions_respect_who_may_see_an_answer(client, alice, bob, answers):
    client.force_login(alice)
    body = suggestions(client, MILEAGE_QUESTION)
    assert "Northshire mileage claims" in body
    assert "Westvale mileage claims" not in body
    client.force_login(bob)
    body = suggestions(client, MILEAGE_QUESTION)
    assert "Westvale mileage claims" in body
    assert "Northshire mileage claims" not in body


@pytest.mark.parametrize(
    "q", ["", "   ", "?!*", "((", "a" * 1001, "<script>alert(1)</script>", "zebra crossings", "ñandú 中文", "-x:y"]
)
def test_junk_finds_nothing_and_never_fails(client, alice, answers, q):
    client.force_login(alice)
    assert suggestions(client, q).strip() == ""


@pytest.mark.parametrize("url", ["/search/similar/?q=mileage", "OPEN"])
def test_anonymous_visitors_are_sent_to_sign_in(client, answers, url):
    url = open_url(answers["mileage"]) if url == "OPEN" else url
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("who", ["nobody", "carol"])  # no network; a lapsed subscription
def test_people_who_may_not_ask_are_refused(client, answers, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/search/similar/", {"q": "mileage"}).status_code == 403
    assert client.get(open_url(answers["mileage"])).status_code == 403


def test_opening_a_suggestion_counts_a_deflection_once_a_day(client, alice, northshire, westvale, answers):
    other = MembershipFactory(network=northshire, user=UserFactory(email="ann@example.test")).user
    client.force_login(alice)
    response = client.get(open_url(answers["mileage"]))
    assert response.status_code == 302
    assert response["Location"] == answers["mileage"].url
    assert deflections(northshire) == 1
    client.get(open_url(answers["mileage"]))  # again, the same day: already counted
    assert deflections(northshire) == 1
    client.get(open_url(answers["northshire"]))
    assert deflections(northshire) == 2
    client.force_login(other)
    client.get(open_url(answers["mileage"]))
    assert deflections(northshire) == 3
    assert deflections(westvale) == 0


def test_deflections_show_in_the_networks_value_report(client, alice, nadia, answers):
    client.force_login(alice)
    client.get(open_url(answers["mileage"]))
    client.force_login(nadia)
    response = client.get("/network/northshire/report/", {"export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    saved = rows[0].index("Similar answers that saved a question")
    assert rows[-1][0] == "Total"
    assert rows[-1][saved] == "1"


def test_an_answer_one_may_not_see_cannot_be_opened_or_counted(client, alice, northshire, answers):
    client.force_login(alice)
    assert client.get(open_url(answers["westvale"])).status_code == 404
    answers["trustees"].unpublish()
    assert client.get(open_url(answers["trustees"])).status_code == 404
    assert client.get(f"/search/similar/{2**63}/open/").status_code == 404
    assert deflections(northshire) == 0


def test_the_ask_page_has_a_live_region_under_the_title(client, alice):
    client.force_login(alice)
    body = client.get("/ask/").content.decode()
    title = body.index('name="title"')
    region = body.index('<div id="similar-answers" aria-live="polite" data-similar-url="/search/similar/">')
    assert title < region < body.index('name="details"')
    assert 'src="/static/search/similar.js"' in body
    assert 'name="check_similar"' in body


def test_without_javascript_the_check_button_shows_suggestions_and_keeps_the_text(
    client, alice, northshire, topic, answers, settings
):
    settings.RATE_LIMIT_ASK = "1/h"  # checking is not asking: it must not use up the limit
    client.force_login(alice)
    typed = {
        "title": MILEAGE_QUESTION,
        "details": "Our drivers take <older> people to hospital & back every week, about 40 miles.",
        "topic": str(topic.pk),
        "visibility": "public",
        "network": str(northshire.pk),
    }
    asked = Question.objects.filter(asker=alice)
    for _ in range(2):
        response = client.post("/ask/", {**typed, "check_similar": "1"})
        body = response.content.decode()
        assert response.status_code == 200
        assert f'<a href="{open_url(answers["mileage"])}">Volunteer drivers and mileage</a>' in body
        assert f'value="{MILEAGE_QUESTION}"' in body
        assert "Our drivers take &lt;older&gt; people to hospital &amp; back" in body
        assert f'<option value="{topic.pk}" selected>' in body
        assert 'class="errorlist"' not in body
    assert not asked.exists()

    response = client.post("/ask/", typed)
    assert response.status_code == 302
    assert asked.get().title == MILEAGE_QUESTION


def test_without_javascript_no_match_says_so(client, alice, topic, answers):
    client.force_login(alice)
    body = client.post("/ask/", {"title": "Zebra crossings near the village hall", "check_similar": "1"}).content
    assert "No similar answers yet: go ahead and ask." in body.decode()


def test_the_suggestions_endpoint_is_rate_limited(client, alice, answers):
    client.force_login(alice)
    statuses = [client.get("/search/similar/", {"q": ""}).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
