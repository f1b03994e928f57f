"""Joining a network through the link in an invitation: signed out, signed in, and everything that can go wrong."""

import datetime as dt
import re
import time
from urllib.parse import quote

import pytest
from allauth.account.models import EmailAddress
from django.core import mail, signing
from django.test import Client
from django.utils import timezone

from subscriptions import services
from subscriptions.models import Invitation, Membership
from tests.factories import UserFactory

from .pages import messages_of, soup, text_of

SALT = "subscriptions.invitation"


@pytest.fixture
def invitation(northshire, nadia):
    return services.invitation_create(
        network=northshire, email="new.adviser@example.test", organisation="Riverside Food Bank", actor=nadia
    )


def join_path(invitation):
    return f"/network/join/{invitation.token}/"


def nothing_changed(invitation, members_before):
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert invitation.accepted_by is None
    assert Membership.objects.count() == members_before


# --- the whole way: invited, sign up with allauth, confirm the address, join -------------------------------------


def test_an_invited_person_signs_up_confirms_and_joins(client, site_tree, northshire, nadia, run_on_commit):
    client.force_login(nadia)
    with run_on_commit():
        client.post(
            "/network/northshire/members/",
            {"email": "nia.invited@example.test", "role": "adviser", "organisation": "Riverside Food Bank"},
        )
    [invitation_mail] = mail.outbox
    assert invitation_mail.to == ["nia.invited@example.test"]
    path = re.search(r"(/network/join/[^/\s]+/)", invitation_mail.body).group(1)

    visitor = Client()
    page = visitor.get(path)
    assert page.status_code == 200
    assert text_of(page, "invitation").startswith(
        f"Join Northshire RCC {nadia.display_name} of Northshire RCC invited nia.invited@example.test to join as an "
        "adviser for Riverside Food Bank."
    )
    links = {a.get_text(): a["href"] for a in soup(page).select('[data-testid="invitation"] a.button')}
    assert links == {
        "Sign in": f"/accounts/login/?next={quote(path)}",
        "Create an account": f"/accounts/signup/?next={quote(path)}",
    }

    # Sign up through allauth's own form, with the address the invitation went to. (An address no other test
    # signs up with: allauth limits confirmation e-mails per address, in the cache that outlives each test.)
    with run_on_commit():
        response = visitor.post(
            links["Create an account"],
            {
                "email": "nia.invited@example.test",
                "first_name": "Nia",
                "last_name": "Price",
                "password1": "a-sound-passphrase-9",
                "password2": "a-sound-passphrase-9",
            },
        )
    assert response.status_code == 302
    user = UserFactory._meta.model.objects.get(email="nia.invited@example.test")
    assert not Membership.objects.filter(user=user).exists()
    confirm = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[-1].body).group(1)
    response = visitor.post(confirm)
    assert response.status_code == 302
    assert response["Location"] == path  # back to the invitation, signed in
    assert EmailAddress.objects.get(user=user).verified

    page = visitor.get(path)
    assert page.status_code == 200
    assert soup(page).select_one('[data-testid="invitation"] form button').get_text() == "Join Northshire RCC"
    response = visitor.post(path, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert messages_of(response) == ["Welcome to Northshire RCC: you can now read every answer."]
    membership = Membership.objects.get(user=user)
    assert (membership.network, membership.role, membership.organisation) == (
        northshire,
        "adviser",
        "Riverside Food Bank",
    )
    invitation = Invitation.objects.get()
    assert (invitation.state, invitation.accepted_by) == ("accepted", user)

    # The link has done its work: following it again just says so.
    again = visitor.get(path, follow=True)
    assert messages_of(again) == ["You are a member of Northshire RCC."]


def test_an_existing_user_signs_in_and_joins(client, invitation):
    person = UserFactory(email="new.adviser@example.test")
    client.force_login(person)
    response = client.post(join_path(invitation))
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert Membership.objects.get(user=person).network == invitation.network


def test_an_invited_admin_lands_on_the_network_pages(client, northshire, nadia):
    invited = services.invitation_create(
        network=northshire, email="second.admin@example.test", role="admin", actor=nadia
    )
    person = UserFactory(email="second.admin@example.test")
    client.force_login(person)
    response = client.post(join_path(invited))
    assert response["Location"] == "/network/northshire/"
    assert Membership.objects.get(user=person).role == "admin"


def test_the_address_matches_whatever_its_case(client, invitation):
    person = UserFactory(email="bob.other@example.test")
    EmailAddress.objects.create(user=person, email="New.Adviser@Example.Test", verified=True)
    client.force_login(person)
    assert client.post(join_path(invitation)).status_code == 302
    assert Membership.objects.filter(user=person).exists()


# --- what can go wrong: always a page saying why, nothing changed ------------------------------------------------


def _old_token(payload, days):
    """A token signed ``days`` ago, as the invitation service signs them."""

    class Then(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - days * 24 * 3600)

    return Then(salt=SALT).sign_object(payload)


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "x" * 500,
        "eyJpbnZpdGF0aW9uIjoxfQ:1abcde:forged-signature",
        "%00",
        "ünïcode",
    ],
)
@pytest.mark.parametrize("signed_in", [False, True])
def test_malformed_or_forged_links_say_so(client, invitation, alice, token, signed_in):
    if signed_in:
        client.force_login(alice)
    before = Membership.objects.count()
    for method in (client.get, client.post):
        response = method(f"/network/join/{token}/")
        assert response.status_code == 404
        assert text_of(response, "problem") == (
            "This invitation link is not valid or has expired. Ask your network admin for a new one."
        )
    nothing_changed(invitation, before)


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda invitation: signing.dumps({"invitation": invitation.pk}, salt="another.salt"), id="salt"),
        pytest.param(lambda invitation: signing.dumps({"invitation": invitation.pk + 1000}, salt=SALT), id="no-such"),
        pytest.param(lambda invitation: signing.dumps({"invitation": str(invitation.pk)}, salt=SALT), id="str-pk"),
        pytest.param(lambda invitation: signing.dumps([invitation.pk], salt=SALT), id="list"),
        pytest.param(lambda invitation: _old_token({"invitation": invitation.pk}, days=15), id="signed-too-long-ago"),
    ],
)
def test_links_that_name_no_invitation_say_so(client, invitation, make_token):
    person = UserFactory(email="new.adviser@example.test")
    client.force_login(person)
    response = client.post(f"/network/join/{make_token(invitation)}/")
    assert response.status_code == 404
    assert text_of(response, "problem") == (
        "This invitation link is not valid or has expired. Ask your network admin for a new one."
    )
    assert not Membership.objects.filter(user=person).exists()


def test_a_link_signed_recently_still_works(client, invitation):
    person = UserFactory(email="new.adviser@example.test")
    client.force_login(person)
    assert client.post(f"/network/join/{_old_token({'invitation': invitation.pk}, days=13)}/").status_code == 302


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"expires_at": timezone.now() - dt.timedelta(minutes=1)}, "This invitation has expired."),
        ({"revoked_at": timezone.now()}, "This invitation has been withdrawn."),
    ],
)
@pytest.mark.parametrize("signed_in", [False, True])
def test_expired_and_withdrawn_invitations_say_so(client, invitation, change, message, signed_in):
    Invitation.objects.filter(pk=invitation.pk).update(**change)
    person = UserFactory(email="new.adviser@example.test")
    if signed_in:
        client.force_login(person)
    for method in (client.get, client.post):
        response = method(join_path(invitation))
        assert response.status_code == 410
        assert text_of(response, "problem") == f"{message} Ask your network admin for a new one."
    assert not Membership.objects.filter(user=person).exists()


def test_an_invitation_used_by_someone_else_cannot_be_used_again(client, invitation):
    first = UserFactory(email="new.adviser@example.test")
    services.invitation_accept(token=invitation.token, user=first)
    second = UserFactory(email="second@example.test")
    EmailAddress.objects.create(user=second, email="NEW.adviser@example.test", verified=True)
    client.force_login(second)
    response = client.post(join_path(invitation))
    assert response.status_code == 410
    assert (
        text_of(response, "problem") == "This invitation has already been used. Ask your network admin for a new one."
    )
    assert not Membership.objects.filter(user=second).exists()


def test_the_wrong_address_cannot_join(client, invitation, bob):
    client.force_login(bob)
    before = Membership.objects.count()
    path = join_path(invitation)  # once: a token made a second later differs in its timestamp
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 403
        assert text_of(response, "problem") == (
            "This invitation was sent to new.adviser@example.test, but you are signed in as bob@example.test. "
            "Sign in with new.adviser@example.test instead, or add it to your account and confirm it."
        )
        assert soup(response).select_one('[data-testid="invitation"] form button').get_text() == (
            "Sign out and sign in as new.adviser@example.test"
        )
    nothing_changed(invitation, before)
    # Signing out from there comes back to the invitation after signing in again.
    form = soup(response).select_one('[data-testid="invitation"] form')
    response = client.post(form["action"], {"next": form.select_one("input[name=next]")["value"]})
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(path)}"
    assert "_auth_user_id" not in client.session


def test_an_unconfirmed_address_must_be_confirmed_first(client, invitation):
    person = UserFactory(email="new.adviser@example.test", verified=False)
    EmailAddress.objects.create(user=person, email=person.email, verified=False, primary=True)
    client.force_login(person)
    before = Membership.objects.count()
    for method in (client.get, client.post):
        response = method(join_path(invitation))
        assert response.status_code == 403
        assert text_of(response, "problem") == (
            "This invitation was sent to new.adviser@example.test. Confirm that address first: follow the link we "
            "e-mailed to it, or send a new one from your e-mail settings."
        )
    nothing_changed(invitation, before)


def test_signed_out_visitors_cannot_join_by_posting(client, invitation):
    before = Membership.objects.count()
    response = client.post(join_path(invitation))
    assert response.status_code == 200
    assert "Create an account" in response.content.decode()
    nothing_changed(invitation, before)


def test_someone_already_in_the_network_can_use_their_invitation(client, invitation, alice):
    EmailAddress.objects.create(user=alice, email="new.adviser@example.test", verified=True)
    client.force_login(alice)
    page = client.get(join_path(invitation))
    assert "You are already a member of Northshire RCC" in text_of(page, "invitation")
    assert client.post(join_path(invitation)).status_code == 302
    assert Membership.objects.filter(user=alice).count() == 1
    invitation.refresh_from_db()
    assert invitation.state == "accepted"
