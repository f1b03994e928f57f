"""The question page: the answer and its expert, "checked on", related questions and schema.org QAPage data."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qa_site.knowledge import generation, services
from search import backends
from tests.factories import MembershipFactory, make_published_page

ANSWER = "Register with the Charity Commission once income passes the threshold. " * 5


@pytest.fixture
def page(topic, erin, run_on_commit):
    with run_on_commit():  # indexed for related questions after commit
        return make_published_page(topic=topic, title="How does a charity register?", expert=erin, answer=ANSWER)


def structured_data(response):
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S)
    assert len(scripts) == 1
    return json.loads(scripts[0])


def test_subscribers_get_the_accepted_answer_in_the_structured_data(client, page, alice, erin):
    client.force_login(alice)
    data = structured_data(client.get(page.url))
    question = data["mainEntity"]
    assert (data["@context"], data["@type"], question["@type"]) == ("https://schema.org", "QAPage", "Question")
    assert question["name"] == "How does a charity register?"
    assert question["text"] == page.question_text
    assert question["dateCreated"] == page.asked_on.isoformat()
    assert question["answerCount"] == 1
    answer = question["acceptedAnswer"]
    assert answer["@type"] == "Answer"
    assert answer["text"] == ANSWER.strip()
    assert answer["dateCreated"] == page.first_published_at.isoformat()
    assert answer["url"] == question["url"] == f"http://localhost{page.url}"
    assert answer["author"] == {
        "@type": "Person",
        "name": erin.display_name,
        "url": f"http://localhost/experts/{erin.expert_profile.slug}/",
    }


@pytest.mark.parametrize("who", ["anonymous", "carol", "nobody"])
def test_teaser_readers_get_no_answer_in_the_structured_data(client, page, who, request):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.get(page.url)
    data = structured_data(response)
    assert "acceptedAnswer" not in data["mainEntity"]
    assert data["mainEntity"]["answerCount"] == 1
    script = re.search(r'<script type="application/ld\+json">.*?</script>', response.content.decode(), re.S).group()
    assert "Register with the Charity Commission" not in script


def test_structured_data_cannot_close_its_script_element(client, topic, alice):
    title = "Is </script><script>alert(1)</script> & <b> safe?"
    page = make_published_page(topic=topic, title=title, answer="Yes, `</script>` & <b>bold</b> are fine. " * 3)
    client.force_login(alice)
    html = client.get(page.url).content.decode()
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in script
    assert ">" not in script
    assert "&" not in script
    data = json.loads(script)
    assert data["mainEntity"]["name"] == title
    assert data["mainEntity"]["acceptedAnswer"]["text"].startswith("Yes, </script> & bold are fine.")


def test_the_page_shows_the_expert_and_when_it_was_checked(client, page, alice, erin):
    client.force_login(alice)
    body = client.get(page.url).content.decode()
    assert f'<span data-testid="checked-on">Checked on {page.checked_on:%-d %B %Y}</span>' in body
    assert f'href="/experts/{erin.expert_profile.slug}/">{erin.display_name}</a>' in body


def test_the_public_sees_a_teaser_and_how_to_subscribe(client, page):
    body = client.get(page.url).content.decode()
    assert 'data-testid="teaser"' in body
    assert 'data-testid="full-answer"' not in body
    assert 'href="/subscribe/">How your network can subscribe</a>' in body
    assert "Sign in to read it" in body


def test_a_lapsed_subscriber_is_told_why_they_see_a_teaser(client, page, carol):
    client.force_login(carol)
    body = client.get(page.url).content.decode()
    assert "Your account does not have subscriber access just now" in body


def test_related_questions_are_similar_answers_the_reader_may_see(
    client, topic, other_topic, page, northshire, westvale, alice, run_on_commit
):
    with run_on_commit():
        make_published_page(topic=other_topic, title="Registering a charity with the Commission")
        make_published_page(
            topic=topic, title="Registering our charity: Northshire", visibility="network", network=northshire
        )
        make_published_page(
            topic=topic, title="Registering our charity: Westvale", visibility="network", network=westvale
        )
    anonymous = client.get(page.url).content.decode()
    related = anonymous.split('data-testid="related"')[1]
    assert "Registering a charity with the Commission" in related
    assert "Northshire" not in related
    assert "Westvale" not in related
    assert "How does a charity register?" not in related  # never the page itself
    client.force_login(alice)
    related = client.get(page.url).content.decode().split('data-testid="related"')[1]
    assert "Registering our charity: Northshire" in related
    assert "Westvale" not in related


def test_a_failing_search_engine_leaves_the_page_working(client, page, alice, monkeypatch, caplog):
    class Broken:
        def similar(self, *args, **kwargs):
            raise RuntimeError("search is down")

    monkeypatch.setattr(backends, "get_backend", lambda: Broken())
    client.force_login(alice)
    response = client.get(page.url)
    assert response.status_code == 200
    assert 'data-testid="full-answer"' in response.content.decode()
    assert 'data-testid="related"' not in response.content.decode()
    assert "Related questions for page" in caplog.text


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["alice", "colin", "erin", "anonymous"])
def test_page_queries_do_not_grow_with_related_questions_or_votes(client, topic, page, run_on_commit, who, request):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    with run_on_commit():
        make_published_page(topic=topic, title="How does a charity register for Gift Aid?")
    _queries(client, page.url)  # warm caches (site root, content types)
    generation.renew()  # each measured view finds its related questions afresh
    few = _queries(client, page.url)
    with run_on_commit():
        for n in range(6):
            make_published_page(topic=topic, title=f"How does a charity register, part {n}?")
    northshire = request.getfixturevalue("northshire")
    for reader in [MembershipFactory(network=northshire).user for _ in range(8)]:
        services.answer_vote_helpful(page_id=page.pk, user=reader, helpful=reader.pk % 2 == 0)
    generation.renew()
    many = _queries(client, page.url)
    assert many == few
    assert client.get(page.url).content.decode().split('data-testid="related"')[1].count("<li>") == 5


def test_related_questions_are_found_once_until_the_next_publish(client, topic, page, alice, run_on_commit):
    with run_on_commit():
        make_published_page(topic=topic, title="How does a charity register for Gift Aid?")
    client.force_login(alice)

    def related_and_index_reads():
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(page.url).content.decode()
        reads = [q["sql"] for q in ctx.captured_queries if "qa_search_" in q["sql"]]
        return body.split('data-testid="related"')[1].split("</ul>")[0], len(reads)

    first, first_reads = related_and_index_reads()
    assert "Gift Aid" in first
    assert first_reads > 0
    again, again_reads = related_and_index_reads()
    assert (again, again_reads) == (first, 0)
    with run_on_commit():
        make_published_page(topic=topic, title="How does a charity register a new trading name?")
    after, after_reads = related_and_index_reads()
    assert "trading name" in after
    assert after_reads > 0
