"""Accounts through allauth: e-mail login, mandatory verification, password reset."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from tests.factories import PASSWORD, UserFactory

User = get_user_model()
SIGNUP = {
    "email": "new.adviser@example.test",
    "first_name": "Nia",
    "last_name": "Price",
    "password1": "a-sound-passphrase-9",
    "password2": "a-sound-passphrase-9",
}


def link_in(message):
    return re.search(r"http://testserver(/accounts/\S+/)", message.body).group(1)


def test_signup_sends_a_verification_link_and_login_waits_for_it(client, site_tree):
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="new.adviser@example.test")
    assert (user.first_name, user.last_name) == ("Nia", "Price")
    assert len(mail.outbox) == 1
    assert "confirm" in mail.outbox[0].subject.lower()
    # Not verified yet: signing in only re-sends the link.
    client.logout()
    response = client.post("/accounts/login/", {"login": SIGNUP["email"], "password": SIGNUP["password1"]})
    assert response.status_code == 302
    assert "/accounts/confirm-email/" in response["Location"]
    assert "_auth_user_id" not in client.session
    # Following the link verifies the address and signs in.
    confirm = link_in(mail.outbox[0])
    client.post(confirm)
    assert user.emailaddress_set.get().verified
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "not-an-email"}, "Enter an e-mail address in the correct format, like name@example.org"),
        ({"password2": "different"}, "The passwords do not match: type the same password in both boxes"),
        ({"password1": "123", "password2": "123"}, "Your password must be at least 8 characters long"),
        ({"first_name": ""}, "Enter your first name"),
    ],
)
def test_signup_rejects_bad_input_and_creates_nobody(client, site_tree, change, message):
    response = client.post("/accounts/signup/", {**SIGNUP, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(email=SIGNUP["email"]).exists()


def test_signing_up_twice_with_one_address_is_refused(client, site_tree):
    UserFactory(email=SIGNUP["email"])
    client.post("/accounts/signup/", SIGNUP)
    assert User.objects.filter(email=SIGNUP["email"]).count() == 1


def test_verified_user_signs_in_with_email_and_password(client, alice):
    response = client.post("/accounts/login/", {"login": "ALICE@example.test", "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == alice.pk


def test_wrong_password_is_refused_with_a_message(client, alice):
    response = client.post("/accounts/login/", {"login": "alice@example.test", "password": "nope"})
    assert response.status_code == 200
    assert "The e-mail address or password is not right. Check both and try again" in response.content.decode()


def test_password_reset_by_email(client, alice):
    client.post("/accounts/password/reset/", {"email": "alice@example.test"})
    assert mail.outbox[0].to == ["alice@example.test"]
    reset = client.get(link_in(mail.outbox[0]), follow=True)
    form_url = reset.redirect_chain[-1][0] if reset.redirect_chain else link_in(mail.outbox[0])
    client.post(form_url, {"password1": "a-new-passphrase-42", "password2": "a-new-passphrase-42"})
    client.logout()
    assert client.login(email="alice@example.test", password="a-new-passphrase-42")


def test_coordinator_reaches_the_admin_through_the_same_login(client, colin):
    response = client.get("/admin/")
    assert response["Location"].startswith("/accounts/login/")
    client.post("/accounts/login/", {"login": "colin@example.test", "password": PASSWORD})
    assert client.get("/admin/").status_code == 200
