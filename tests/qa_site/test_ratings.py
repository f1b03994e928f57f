"""Readers rate answers; ratings feed the expert's scorecard."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from experts import stats
from qa_site.knowledge.models import AnswerRating
from tests.factories import make_published_page


@pytest.fixture
def page(topic, erin):
    return make_published_page(topic=topic, title="Can we pay a trustee?", expert=erin)


def rate(client, page, **data):
    return client.post(reverse("knowledge:rate", args=[page.question_id]), data)


def test_a_subscriber_rates_an_answer_and_sees_the_summary(client, page, alice, bob):
    client.force_login(alice)
    assert 'action="/questions/' in client.get(page.url).content.decode()
    response = rate(client, page, stars="4", comment="Clear and practical.")
    assert response.status_code == 302
    assert response["Location"] == page.url
    client.force_login(bob)
    rate(client, page, stars="5")
    body = client.get(page.url).content.decode()
    assert "Rated 4.5 out of 5 by 2 readers" in body


def test_rating_again_changes_the_rating_instead_of_adding_one(client, page, alice):
    client.force_login(alice)
    rate(client, page, stars="2")
    rate(client, page, stars="5", comment="Better on a second read.")
    assert list(AnswerRating.objects.values_list("stars", "comment")) == [(5, "Better on a second read.")]
    assert "You rated this answer 5 out of 5" in client.get(page.url).content.decode()


@pytest.mark.parametrize("stars", ["", "0", "6", "4.5", "five", "-1"])
def test_bad_ratings_are_refused_with_a_message(client, page, alice, stars):
    client.force_login(alice)
    response = rate(client, page, stars=stars)
    assert response.status_code == 302
    assert "Choose from 1 to 5 stars." in client.get(response["Location"]).content.decode()
    assert not AnswerRating.objects.exists()


def test_people_without_full_access_cannot_rate(client, page, carol, nobody):
    for person in (carol, nobody):
        client.force_login(person)
        assert "Rate this answer" not in client.get(page.url).content.decode()
        assert rate(client, page, stars="5").status_code == 403
    assert not AnswerRating.objects.exists()


def test_the_expert_cannot_rate_their_own_answer(client, page, erin):
    client.force_login(erin)
    assert "Rate this answer" not in client.get(page.url).content.decode()
    assert rate(client, page, stars="5").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, page):
    response = rate(client, page, stars="5")
    assert response["Location"].startswith("/accounts/login/")


def test_ratings_feed_the_experts_scorecard(client, page, alice, bob, erin):
    for person, stars in ((alice, "3"), (bob, "5")):
        client.force_login(person)
        rate(client, page, stars=stars)
    card = stats.scorecard(expert_user=erin)
    assert (card["rating_average"], card["rating_count"]) == (4.0, 2)


def shown(response):
    """All a visitor gets from ``response``: its body, where it sends them, and the messages left for the next page."""
    notes = " ".join(str(message) for message in get_messages(response.wsgi_request))
    return f"{response.content.decode()}\n{response.get('Location', '')}\n{notes}"


def test_rating_an_answer_one_may_not_see_is_not_found_and_names_nothing(
    client, topic, westvale, alice, carol, nobody, bob
):
    page = make_published_page(topic=topic, title="Westvale hall lease", visibility="network", network=westvale)
    response = rate(client, page, stars="5")  # anonymous: asked to sign in, and back to the rating URL only
    assert response["Location"] == f"/accounts/login/?next=/questions/{page.question_id}/rate/"
    for person in (alice, carol, nobody):  # another network, an expired network, no network
        client.force_login(person)
        for stars in ("", "5"):  # one the form refuses, and a rating
            response = rate(client, page, stars=stars)
            assert "Westvale hall lease" not in shown(response)
            assert page.slug not in shown(response)
            assert response.status_code == 404, (person, stars)
            assert "Page not found" in response.content.decode()
    assert not AnswerRating.objects.exists()
    client.force_login(bob)  # his network's answer: he rates as before
    assert rate(client, page, stars="")["Location"] == page.url
    assert rate(client, page, stars="5")["Location"] == page.url
