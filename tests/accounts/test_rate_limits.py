"""Rate limits: signing in, signing up, asking and inviting each stop after their limit, and the refused
request changes nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import Resolver404, resolve

from qa_site.knowledge.models import Question, QuestionEvent
from subscriptions.models import Invitation, Subscription
from tests.factories import PASSWORD

User = get_user_model()
SLOW_DOWN = "Please slow down"
SIGNUP = {
    "first_name": "Nia",
    "last_name": "Price",
    "password1": "a-sound-passphrase-9",
    "password2": "a-sound-passphrase-9",
}


def signed_in(client):
    return "_auth_user_id" in client.session


# --- signing in (allauth's ACCOUNT_RATE_LIMITS) -------------------------------------------------------------------


def test_signing_in_too_often_from_one_address_gets_429_and_does_not_sign_in(client, settings, alice):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    for _ in range(3):
        response = client.post("/accounts/login/", {"login": "alice@example.test", "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"login": "alice@example.test", "password": PASSWORD})
    assert response.status_code == 429
    assert SLOW_DOWN in response.content.decode()
    assert not signed_in(client)
    alice.refresh_from_db()
    assert alice.last_login is None


def test_failed_sign_ins_lock_the_account_even_against_the_right_password(client, alice):
    """The configured "5/300s/key": five wrong passwords for one address, then allauth refuses even the right one."""
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": "alice@example.test", "password": "wrong"})
        assert "The e-mail address or password is not right." in response.content.decode()
    response = client.post("/accounts/login/", {"login": "alice@example.test", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many tries to sign in with this e-mail address. Wait a few minutes" in response.content.decode()
    assert not signed_in(client)
    alice.refresh_from_db()
    assert alice.last_login is None


def test_the_limit_on_failures_is_per_address(client, alice, bob):
    for _ in range(5):
        client.post("/accounts/login/", {"login": "alice@example.test", "password": "wrong"})
    response = client.post("/accounts/login/", {"login": "bob@example.test", "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == bob.pk


# --- signing up ------------------------------------------------------------------------------------------------------


def test_signing_up_too_often_gets_429_and_creates_nobody(client, settings, site_tree):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/m/ip"}
    for number in range(2):
        response = client.post("/accounts/signup/", {**SIGNUP, "email": f"new{number}@example.test"})
        assert response.status_code == 302
        client.logout()
    sent = len(mail.outbox)
    response = client.post("/accounts/signup/", {**SIGNUP, "email": "one.too.many@example.test"})
    assert response.status_code == 429
    assert SLOW_DOWN in response.content.decode()
    assert not User.objects.filter(email="one.too.many@example.test").exists()
    assert User.objects.count() == 2
    assert len(mail.outbox) == sent, "no confirmation e-mail for a refused sign-up"


def test_the_default_sign_up_limit_is_ten_a_minute(client, site_tree):
    for number in range(10):
        assert client.post("/accounts/signup/", {**SIGNUP, "email": f"n{number}@example.test"}).status_code == 302
        client.logout()
    assert client.post("/accounts/signup/", {**SIGNUP, "email": "n10@example.test"}).status_code == 429
    assert User.objects.count() == 10


# --- asking (RATE_LIMIT_ASK, django-ratelimit) ------------------------------------------------------------------


def ask_form(topic, northshire, number):
    return {
        "title": f"Question number {number} about paying trustees",
        "details": "We are a small charity and one trustee is a qualified trainer. Can we pay her?",
        "topic": topic.pk,
        "visibility": "public",
        "network": northshire.pk,
    }


def test_asking_too_often_gets_429_and_saves_nothing(client, settings, run_on_commit, alice, northshire, topic, erin):
    settings.RATE_LIMIT_ASK = "2/h"
    client.force_login(alice)
    with run_on_commit():
        for number in range(2):
            assert client.post("/ask/", ask_form(topic, northshire, number)).status_code == 302
    subscription = Subscription.objects.get(network=northshire)
    used, outbox = subscription.questions_used, len(mail.outbox)
    assert used == 2
    with run_on_commit():
        response = client.post("/ask/", ask_form(topic, northshire, 3))
    assert response.status_code == 429
    assert SLOW_DOWN in response.content.decode()
    assert Question.objects.count() == 2
    assert not Question.objects.filter(title__contains="number 3").exists()
    assert QuestionEvent.objects.filter(action="submitted").count() == 2
    subscription.refresh_from_db()
    assert subscription.questions_used == used, "the refused question does not use the allowance"
    assert len(mail.outbox) == outbox, "nobody is told about a refused question"
    assert client.get("/ask/").status_code == 200, "reading the form is not limited"


def test_the_ask_limit_is_per_person(client, settings, run_on_commit, alice, bob, northshire, westvale, topic, erin):
    settings.RATE_LIMIT_ASK = "1/h"
    client.force_login(alice)
    with run_on_commit():
        assert client.post("/ask/", ask_form(topic, northshire, 1)).status_code == 302
        assert client.post("/ask/", ask_form(topic, northshire, 2)).status_code == 429
    client.force_login(bob)
    with run_on_commit():
        response = client.post("/ask/", {**ask_form(topic, westvale, 3), "network": westvale.pk})
    assert response.status_code == 302
    assert Question.objects.count() == 2


# --- inviting (RATE_LIMIT_INVITE, the network admin's members page) -------------------------------------------


MEMBERS = "/network/northshire/members/"


def _invite_view_exists():
    try:
        match = resolve(MEMBERS)
    except Resolver404:
        return False
    return match.view_name == "network:members"


def test_inviting_too_often_gets_429_and_sends_nothing(client, settings, run_on_commit, nadia, northshire):
    if not _invite_view_exists():
        pytest.skip("the network admin's invite page (/network/<slug>/members/) is not built yet")
    settings.RATE_LIMIT_INVITE = "2/h"
    client.force_login(nadia)
    with run_on_commit():
        for number in range(2):
            response = client.post(MEMBERS, {"email": f"friend{number}@example.test", "role": "adviser"})
            assert response.status_code == 302
    sent = len(mail.outbox)
    with run_on_commit():
        response = client.post(MEMBERS, {"email": "one.too.many@example.test", "role": "adviser"})
    assert response.status_code == 429
    assert SLOW_DOWN in response.content.decode()
    assert Invitation.objects.count() == 2
    assert not Invitation.objects.filter(email="one.too.many@example.test").exists()
    assert len(mail.outbox) == sent
