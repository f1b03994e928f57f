"""The knowledge base as people see it: listings, teasers, full answers, and the cost of rendering them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qa_site.knowledge import generation
from tests.factories import make_answers_for_each_audience, make_published_page
from tests.query_plans import plan


@pytest.fixture
def pages(topic, northshire, westvale, erin):
    return _pages(topic, northshire, westvale, erin)


@pytest.fixture
def indexed_pages(topic, northshire, westvale, erin, run_on_commit):
    with run_on_commit():  # the search engine indexes published pages after commit
        return _pages(topic, northshire, westvale, erin)


def _pages(topic, northshire, westvale, erin):
    return make_answers_for_each_audience(topic=topic, northshire=northshire, westvale=westvale, expert=erin)


def titles(response):
    return response.content.decode()


def test_topic_page_lists_what_each_visitor_may_see(client, pages, topic, alice, bob, carol):
    anonymous = titles(client.get(topic.url))
    assert "Public answer on registering" in anonymous
    assert "Northshire-only answer" not in anonymous
    assert "Westvale-only answer" not in anonymous

    client.force_login(alice)
    mine = titles(client.get(topic.url))
    assert "Northshire-only answer" in mine
    assert "Westvale-only answer" not in mine

    client.force_login(bob)
    his = titles(client.get(topic.url))
    assert "Westvale-only answer" in his
    assert "Northshire-only answer" not in his

    client.force_login(carol)  # her network's subscription expired: public answers only
    hers = titles(client.get(topic.url))
    assert "Public answer on registering" in hers
    assert "-only answer" not in hers


def test_home_page_shows_latest_answers_and_topic_counts_for_the_visitor(client, pages, topic, alice):
    body = titles(client.get("/"))
    assert "Public answer on registering" in body
    assert "Northshire-only answer" not in body
    assert "1 answer" in body
    client.force_login(alice)
    body = titles(client.get("/"))
    assert "Northshire-only answer" in body
    assert "2 answers" in body


def test_answer_counts_per_topic_are_read_from_the_index_of_listed_answers(client, pages, alice):
    """Counted once per publication for every audience: from an index alone, not by reading every answer's row
    (SQLite's planner took the topic index and read every row: 0.3 s at 100,000 answers)."""
    generation.renew()
    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    (counting,) = [query["sql"] for query in queries.captured_queries if "GROUP BY" in query["sql"]]
    if connection.vendor == "sqlite":
        assert plan(counting) == ["SCAN knowledge_questionpage USING INDEX questionpage_listed_counts"]


def test_question_page_names_the_expert_and_the_checked_date(client, pages, alice):
    client.force_login(alice)
    body = titles(client.get(pages["public"].url))
    assert "Erin" in body
    assert "checked" in body
    assert 'data-testid="full-answer"' in body


def test_public_visitor_sees_a_teaser_and_a_way_to_subscribe(client, pages):
    body = titles(client.get(pages["public"].url))
    assert 'data-testid="teaser"' in body
    assert 'data-testid="full-answer"' not in body
    assert "How your network can subscribe" in body
    assert "/subscribe/" in body


def test_answer_markdown_is_rendered_and_sanitised(client, topic, alice, erin):
    page = make_published_page(
        topic=topic,
        title="Formatting",
        expert=erin,
        answer=(
            "**Bold advice**\n\n- first step\n- second step\n\n"
            "<script>alert('x')</script><a href=\"javascript:x\">x</a>"
        ),
    )
    client.force_login(alice)
    body = titles(client.get(page.url))
    assert "<strong>Bold advice</strong>" in body
    assert "<li>first step</li>" in body
    assert "<script>alert" not in body
    assert "javascript:x" not in body


def test_related_questions_are_similar_answers_the_reader_may_see(client, indexed_pages, alice):
    client.force_login(alice)
    body = titles(client.get(indexed_pages["public"].url))
    assert "Related questions" in body
    assert "Northshire-only answer" in body
    assert "Westvale-only answer" not in body


def _queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path_of", [lambda t: t.url, lambda t: "/", lambda t: "/topics/"])
def test_listing_queries_do_not_grow_with_the_number_of_answers(client, topic, alice, erin, path_of):
    client.force_login(alice)
    make_published_page(topic=topic, title="Answer 0", expert=erin)
    _queries(client, path_of(topic))  # warm caches (site root, content types)
    generation.renew()  # rendered afresh, not served from the page cache (tests/qa_site/test_page_cache.py)
    few = _queries(client, path_of(topic))
    for n in range(1, 12):
        make_published_page(topic=topic, title=f"Answer {n}", expert=erin)
    many = _queries(client, path_of(topic))
    assert many == few


def test_subscribe_page_lists_the_plans(client, standard_plan, premium_plan):
    body = titles(client.get("/subscribe/"))
    assert "48 working hours" in body
    assert "24 working hours" in body
    assert "£1,200" in body


def test_unknown_page_is_a_friendly_404(client, site_tree):
    response = client.get("/topics/no-such-topic/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
