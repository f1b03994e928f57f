"""Searching the knowledge base returns only what the searcher may see, and survives anything typed."""

import pytest

from tests.factories import make_published_page


@pytest.fixture
def answers(topic, northshire, westvale, erin):
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


def test_public_visitor_finds_public_answers_only(client, answers):
    body = search(client, "volunteer").content.decode()
    assert "Volunteer expenses and mileage" in body
    assert "Northshire volunteer policy" not in body
    assert "Westvale volunteer handbook" not in body
    assert "1 answer for" in body


def test_member_also_finds_their_networks_answers(client, answers, alice):
    client.force_login(alice)
    body = search(client, "volunteer").content.decode()
    assert "Northshire volunteer policy" in body
    assert "Westvale volunteer handbook" not in body


def test_search_matches_answer_text_not_only_titles(client, answers):
    assert "Volunteer expenses and mileage" in search(client, "reimbursed").content.decode()


def test_no_results_offers_to_ask(client, answers, alice):
    client.force_login(alice)
    body = search(client, "zebra crossings").content.decode()
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
    assert "Volunteer expenses and mileage" in response.content.decode()


def test_a_query_of_only_punctuation_asks_for_a_word(client, answers):
    body = search(client, '" * (').content.decode()
    assert "Type at least one word to search for." in body
