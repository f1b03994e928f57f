"""Searching the knowledge base returns only what the searcher may see, and survives anything typed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_site.knowledge import generation
from search import querylog
from search.models import SearchQueryLog
from tests.factories import make_published_page


@pytest.fixture
def answers(topic, northshire, westvale, erin, run_on_commit):
    with run_on_commit():  # indexing runs after commit
        _publish_answers(topic, northshire, westvale, erin)


def _publish_answers(topic, northshire, westvale, erin):
    make_published_page(
        topic=topic,
        title="Volunteer expenses and mileage",
        expert=erin,
        answer="Volunteer drivers can be reimbursed for mileage at the approved rate. " * 3,
    )
    make_published_page(
        topic=topic,
        title="Northshire volunteer policy",
        visibility="network",
        network=northshire,
        answer="Our network's volunteer policy template covers expenses. " * 3,
        expert=erin,
    )
    make_published_page(
        topic=topic,
        title="Westvale volunteer handbook",
        visibility="network",
        network=westvale,
        answer="The Westvale volunteer handbook explains expenses. " * 3,
        expert=erin,
    )
    make_published_page(topic=topic, title="Registering a CIO", answer="The registration form asks for. " * 3)


def search(client, q, **extra):
    return client.get("/search/", {"q": q, **extra})


def text_of(response):
    """The page's HTML without the <mark> tags around matching words."""
    return response.content.decode().replace("<mark>", "").replace("</mark>", "")


def test_public_visitor_finds_public_answers_only(client, answers):
    body = text_of(search(client, "volunteer"))
    assert "Volunteer expenses and mileage" in body
    assert "Northshire volunteer policy" not in body
    assert "Westvale volunteer handbook" not in body
    assert "1 answer for" in body


def test_member_also_finds_their_networks_answers(client, answers, alice):
    client.force_login(alice)
    body = text_of(search(client, "volunteer"))
    assert "Northshire volunteer policy" in body
    assert "Westvale volunteer handbook" not in body


def test_search_matches_answer_text_not_only_titles(client, answers):
    assert "Volunteer expenses and mileage" in text_of(search(client, "reimbursed"))


def test_no_results_offers_to_ask(client, answers, alice):
    client.force_login(alice)
    body = text_of(search(client, "zebra crossings"))
    assert "No answers match." in body
    assert "Ask an expert" in body


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        "'",
        '"',
        "AND",
        "OR NOT",
        "*",
        "(",
        "volunteer)",
        "%",
        "\\",
        "a" * 200,
        "<script>alert(1)</script>",
        "ñandú 中文",
        "-volunteer",
        "volunteer:expenses",
    ],
)
def test_odd_queries_never_fail(client, answers, q):
    response = search(client, q)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_an_overlong_query_is_refused_with_a_message(client, answers):
    response = search(client, "a" * 201)
    assert response.status_code == 400
    assert "Please shorten your search" in response.content.decode()


@pytest.mark.parametrize("page", ["0", "-1", "abc", "999"])
def test_bad_page_numbers_fall_back_to_a_real_page(client, answers, page):
    response = search(client, "volunteer", page=page)
    assert response.status_code == 200
    assert "Volunteer expenses and mileage" in text_of(response)


def test_a_query_of_only_punctuation_asks_for_a_word(client, answers):
    body = search(client, '" * (').content.decode()
    assert "Type at least one word to search for." in body


# --- who finds what ---------------------------------------------------------------------------------------


def titles_found(client, q="volunteer"):
    body = text_of(search(client, q))
    return {
        title
        for title in ("Volunteer expenses and mileage", "Northshire volunteer policy", "Westvale volunteer handbook")
        if title in body
    }


def test_an_expired_subscriber_and_a_member_of_no_network_find_public_answers_only(client, answers, carol, nobody):
    for person in (carol, nobody):
        client.force_login(person)
        assert titles_found(client) == {"Volunteer expenses and mileage"}


def test_coordinators_find_every_answer(client, answers, colin):
    client.force_login(colin)
    assert titles_found(client) == {
        "Volunteer expenses and mileage",
        "Northshire volunteer policy",
        "Westvale volunteer handbook",
    }


def test_an_expert_finds_the_network_answers_they_wrote_only(client, answers, topic, westvale, run_on_commit):
    from tests.factories import make_expert

    other = make_expert(topics=[topic]).user
    with run_on_commit():
        make_published_page(
            topic=topic, title="Westvale volunteer rota", visibility="network", network=westvale, expert=other
        )
    client.force_login(other)
    body = text_of(search(client, "volunteer"))
    assert "Westvale volunteer rota" in body
    assert "Westvale volunteer handbook" not in body  # written by erin, for another network


def test_subscribers_read_highlighted_excerpts_and_visitors_teasers(client, answers, alice):
    body = search(client, "reimbursed").content.decode()
    assert '<p class="small">Volunteer drivers can be reimbursed' in body  # teaser: the answer's opening
    assert "Subscribe through your network" in body
    client.force_login(alice)
    body = search(client, "reimbursed").content.decode()
    assert "<mark>reimbursed</mark>" in body
    assert 'class="small snippet"' in body
    assert "Subscribe through your network" not in body


def test_when_no_answer_has_every_word_answers_with_any_are_shown(client, answers):
    body = text_of(search(client, "mileage zebra"))
    assert "No answer has all of these words" in body
    assert "Volunteer expenses and mileage" in body


def test_when_few_answers_have_every_word_answers_with_some_follow_them(client, answers, alice):
    client.force_login(alice)  # of Northshire: its policy and the public answers
    body = text_of(search(client, "mileage templates"))  # "templates": the Northshire policy's answer
    assert "Only 1 answer has all of these words; answers with some of them are listed too" not in body
    assert "No answer has all of these words" in body
    body = text_of(search(client, "reimbursed volunteer"))
    assert "Only 1 answer has all of these words; answers with some of them are listed too, the closest first" in body
    assert body.index("Volunteer expenses and mileage") < body.index("Northshire volunteer policy")


# --- facets, filters and pages ------------------------------------------------------------------------------


@pytest.fixture
def many(topic, other_topic, erin, run_on_commit):
    """23 public answers about grants: 15 in Charity law (by erin), 8 in Rural transport (no expert)."""
    from qa_site.knowledge.bulk import BulkQuestion, bulk_create_question_pages

    items = [
        BulkQuestion(
            topic=topic if n < 15 else other_topic,
            title=f"Grant question {n}",
            question_text="How do we apply for a grant?",
            answer=f"Grant advice number {n}.",
            expert=erin if n < 15 else None,
        )
        for n in range(23)
    ]
    with run_on_commit():
        bulk_create_question_pages(items)


def facet_links(body, name):
    section = body.split(f'data-facet="{name}"')[1].split("</section>")[0]
    return section


def test_facets_count_matches_and_link_to_the_filtered_results(client, many, topic, other_topic, colin):
    client.force_login(colin)
    body = search(client, "grant").content.decode()
    assert "23 answers for" in body
    topics = facet_links(body, "topic")
    assert f'href="?q=grant&amp;topic={topic.pk}">Charity law</a> <span class="count">15</span>' in topics
    assert f'href="?q=grant&amp;topic={other_topic.pk}">Rural transport</a> <span class="count">8</span>' in topics
    narrowed = search(client, "grant", topic=other_topic.pk).content.decode()
    assert "8 answers for" in narrowed
    assert 'href="?q=grant" aria-current="true" class="selected"' in facet_links(narrowed, "topic")
    assert 'class="chip" href="?q=grant"' in narrowed  # remove the filter, keep the query
    assert narrowed.count('<a class="title"') == 8


def test_ten_answers_a_page_and_links_keep_the_query_and_filters(client, many, topic, colin):
    client.force_login(colin)
    first = search(client, "grant", topic=topic.pk).content.decode()
    assert first.count('<a class="title"') == 10
    assert "Page 1 of 2" in first
    assert f'href="?q=grant&amp;topic={topic.pk}&amp;page=2" rel="next"' in first
    second = search(client, "grant", topic=topic.pk, page=2).content.decode()
    assert second.count('<a class="title"') == 5
    assert f'href="?q=grant&amp;topic={topic.pk}&amp;page=1" rel="prev"' in second


@pytest.mark.parametrize(
    "params",
    [
        {"topic": "abc"},
        {"expert": "-3"},
        {"year": "99999"},
        {"topic": "9" * 40},
        {"year": "２０２４"},
        {"topic": "1e3"},
    ],
)
def test_filters_that_are_not_understood_are_left_out_with_a_message(client, many, params):
    response = search(client, "grant", **params)
    assert response.status_code == 200
    body = response.content.decode()
    assert "A filter in the address was not understood, so it was left out." in body
    assert "23 answers for" in body


def test_a_filter_matching_nothing_shows_no_results_and_a_way_back(client, many):
    body = search(client, "grant", topic=999_999).content.decode()
    assert "0 answers for" in body
    assert 'class="chip" href="?q=grant"' in body


def test_a_page_beyond_the_last_shows_the_last(client, many):
    body = search(client, "grant", page=50).content.decode()
    assert "Page 3 of 3" in body
    assert body.count('<a class="title"') == 3


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    q=st.text(max_size=220),
    page=st.one_of(st.none(), st.text(max_size=8)),
    topic=st.one_of(st.none(), st.text(max_size=25)),
)
def test_nothing_typed_into_the_address_breaks_the_page(client, answers, q, page, topic):
    params = {key: value for key, value in {"page": page, "topic": topic}.items() if value is not None}
    response = search(client, q.replace("\x00", ""), **params)
    assert response.status_code in (200, 400)
    assert (response.status_code == 400) == (len(" ".join(q.replace("\x00", "").split())) > 200)


# --- the search log -------------------------------------------------------------------------------------------


def test_each_search_is_logged_once_normalised(client, answers):
    search(client, "  Volunteer   EXPENSES! ")
    search(client, "volunteer expenses")
    search(client, "zebra crossings")
    search(client, "")
    search(client, '" * (')
    search(client, "volunteer", page=2)  # paging is not a new search
    search(client, "volunteer", topic=5)  # nor is narrowing one
    querylog.flush()  # searches are written to the log off the request (search/querylog.py)
    logged = {row.query: (row.count, row.last_hits, row.zero_results) for row in SearchQueryLog.objects.all()}
    assert logged == {"volunteer expenses": (2, 1, False), "zebra crossings": (1, 0, True)}


def test_a_search_that_finds_something_later_is_no_longer_a_gap(client, answers, topic, run_on_commit):
    search(client, "zebra")
    querylog.flush()
    assert SearchQueryLog.objects.get(query="zebra").zero_results
    with run_on_commit():
        make_published_page(topic=topic, title="Zebra crossings near the village hall")
    search(client, "zebra")
    querylog.flush()
    assert SearchQueryLog.objects.get(query="zebra").zero_results is False


# --- cost --------------------------------------------------------------------------------------------------------


def _queries(client, q):
    generation.current()  # read once after each publication, whatever the size (qa_site/knowledge/generation.py)
    with CaptureQueriesContext(connection) as queries:
        assert search(client, q).status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_knowledge_base(client, topic, alice, run_on_commit):
    from qa_site.knowledge.bulk import BulkQuestion, bulk_create_question_pages

    def add(start, stop):
        items = [
            BulkQuestion(topic=topic, title=f"Lease {n}", question_text="About leases?", answer=f"Lease advice {n}.")
            for n in range(start, stop)
        ]
        with run_on_commit():
            bulk_create_question_pages(items)

    client.force_login(alice)
    add(0, 20)
    search(client, "warm up")  # the first search of a process without Redis writes the query log (querylog.py)
    few = _queries(client, "lease")
    add(20, 60)
    many = _queries(client, "lease")
    assert few == many
