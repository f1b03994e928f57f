""" "Was this helpful?": one vote per reader with full access, changeable; counts for coordinators and the expert."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from experts import stats
from qa_site.knowledge import services
from qa_site.knowledge.models import HelpfulVote
from tests.factories import make_published_page

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def page(topic, erin):
    return make_published_page(topic=topic, title="Can we pay a trustee?", expert=erin)


def vote(client, page, value, **extra):
    return client.post(reverse("knowledge:helpful", args=[page.pk]), {"helpful": value}, **extra)


def test_a_subscriber_votes_and_comes_back_to_the_answer(client, page, alice):
    client.force_login(alice)
    body = client.get(page.url).content.decode()
    assert "Was this answer helpful?" in body
    assert f'action="/answers/{page.pk}/helpful/"' in body
    assert "helpful.js" in body
    response = vote(client, page, "yes")
    assert response["Location"] == f"{page.url}#helpful"
    body = client.get(response["Location"]).content.decode()
    assert "Thank you: glad it helped." in body
    assert "You said this helped. You can change your answer." in body
    assert 'value="yes" class="button button-small" aria-pressed="true"' in body
    assert "helpful-counts" not in body  # readers do not see the counts
    assert list(HelpfulVote.objects.values_list("user", "helpful")) == [(alice.pk, True)]


def test_voting_again_changes_the_vote_instead_of_adding_one(client, page, alice):
    client.force_login(alice)
    vote(client, page, "yes")
    vote(client, page, "no")
    vote(client, page, "no")
    assert list(HelpfulVote.objects.values_list("user", "helpful")) == [(alice.pk, False)]
    assert "You said this did not help." in client.get(page.url).content.decode()


def test_counts_are_shown_to_coordinators_and_the_expert(client, page, alice, bob, nadia, erin, colin):
    for person, value in ((alice, "yes"), (bob, "yes"), (nadia, "no")):
        client.force_login(person)
        vote(client, page, value)
    for person in (colin, erin):
        client.force_login(person)
        body = client.get(page.url).content.decode()
        assert "Readers who found this helpful: <strong data-helpful-yes>2</strong>" in body
        assert "not helpful: <strong data-helpful-no>1</strong>" in body
    client.force_login(erin)
    assert "Was this answer helpful?" not in client.get(page.url).content.decode()  # not on their own answer
    card = stats.scorecard(expert_user=erin)
    assert (card["helpful_yes"], card["helpful_no"]) == (2, 1)
    assert stats.panel_scorecards([erin.pk])[erin.pk]["helpful_yes"] == 2
    dashboard = client.get(reverse("experts:dashboard")).content.decode()
    assert 'data-testid="stat-helpful">2 / 1<' in dashboard


def test_with_javascript_the_vote_is_sent_and_answered_as_json(client, page, alice, colin):
    client.force_login(alice)
    response = vote(client, page, "no", **JSON)
    assert response.json() == {
        "helpful": False,
        "message": "Thank you: the expert and coordinators will see this.",
        "counts": None,
    }
    client.force_login(colin)
    assert vote(client, page, "yes", **JSON).json()["counts"] == {"yes": 1, "no": 1}


def test_anonymous_visitors_are_asked_to_sign_in(client, page):
    response = vote(client, page, "yes")
    assert response["Location"].startswith("/accounts/login/?next=")
    response = vote(client, page, "yes", **JSON)
    assert response.status_code == 401
    assert response.json()["login_url"].startswith("/accounts/login/?next=")
    assert "Was this answer helpful?" not in client.get(page.url).content.decode()
    assert not HelpfulVote.objects.exists()


@pytest.mark.parametrize("value", ["", "maybe", "YES", "1", "true", "yes\x00"])
def test_junk_is_refused_with_a_message_and_changes_nothing(client, page, alice, value):
    client.force_login(alice)
    vote(client, page, "yes")
    response = vote(client, page, value)
    assert response.status_code == 400
    assert "Choose “Yes” or “No”." in response.content.decode()
    assert "Nothing was changed." in response.content.decode()
    response = vote(client, page, value, **JSON)
    assert (response.status_code, response.json()) == (400, {"error": "Choose “Yes” or “No”."})
    assert list(HelpfulVote.objects.values_list("helpful", flat=True)) == [True]


def test_a_post_without_the_field_is_refused(client, page, alice):
    client.force_login(alice)
    response = client.post(reverse("knowledge:helpful", args=[page.pk]), {"other": "x"})
    assert response.status_code == 400
    assert not HelpfulVote.objects.exists()


def test_get_and_unknown_answers_are_refused(client, page, alice):
    client.force_login(alice)
    assert client.get(reverse("knowledge:helpful", args=[page.pk])).status_code == 405
    assert client.post(reverse("knowledge:helpful", args=[999999]), {"helpful": "yes"}).status_code == 404


def test_people_without_full_access_cannot_vote(client, page, carol, nobody):
    for person in (carol, nobody):
        client.force_login(person)
        assert "Was this answer helpful?" not in client.get(page.url).content.decode()
        assert vote(client, page, "yes").status_code == 403
        assert vote(client, page, "yes", **JSON).status_code == 403
    assert not HelpfulVote.objects.exists()


def test_network_answers_take_votes_only_from_their_network(client, topic, northshire, alice, bob, erin):
    page = make_published_page(topic=topic, title="Northshire only", visibility="network", network=northshire)
    client.force_login(bob)
    assert vote(client, page, "yes").status_code == 404
    client.force_login(alice)
    assert vote(client, page, "yes").status_code == 302
    assert HelpfulVote.objects.get().user == alice


def test_the_expert_cannot_vote_on_their_own_answer(page, erin):
    with pytest.raises(services.TransitionError, match="own answers"):
        services.answer_vote_helpful(page_id=page.pk, user=erin, helpful=True)


def test_the_vote_needs_the_csrf_token(page, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert vote(client, page, "yes").status_code == 403
    assert not HelpfulVote.objects.exists()


def shown(response):
    """All a visitor gets from ``response``: its body, where it sends them, and the messages left for the next page."""
    notes = " ".join(str(message) for message in get_messages(response.wsgi_request))
    return f"{response.content.decode()}\n{response.get('Location', '')}\n{notes}"


def test_helpful_vote_on_an_answer_one_may_not_see_is_not_found_and_names_nothing(
    client, topic, northshire, alice, bob, carol, nobody
):
    page = make_published_page(
        topic=topic, title="Northshire mandate for the minibus", visibility="network", network=northshire
    )
    for person in (None, bob, carol, nobody):  # anonymous, another network, an expired network, no network
        client.logout()
        if person:
            client.force_login(person)
        for value in ("yes", "maybe"):
            for extra in ({}, JSON):
                response = vote(client, page, value, **extra)
                assert "Northshire mandate" not in shown(response)
                assert page.slug not in shown(response)
                assert response.status_code == 404, (person, value, extra)
                assert "Page not found" in response.content.decode()
    assert not HelpfulVote.objects.exists()
    client.force_login(alice)  # her network's answer: she votes as before
    assert vote(client, page, "yes")["Location"] == f"{page.url}#helpful"
