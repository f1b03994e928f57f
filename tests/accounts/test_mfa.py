"""Two-factor authentication: open to everyone, required of coordinators and experts on the panel."""

import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, TOTP, format_hotp_value, hotp_value
from django.urls import reverse

from experts.models import ExpertProfile
from qa_site.accounts.middleware import SETUP_MESSAGE
from tests.factories import PASSWORD, UserFactory, make_expert

SETUP = "/accounts/2fa/totp/activate/"


def totp_code(secret, steps=0):
    """The code an authenticator app shows now (or ``steps`` periods away) for ``secret``."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + steps))


def wrong_code(secret):
    """A six-digit code that is not valid for ``secret`` in any window allauth might accept."""
    valid = {totp_code(secret, steps) for steps in range(-2, 3)}
    return next(code for code in (f"{n:06d}" for n in range(1000, 10000, 7)) if code not in valid)


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED_FOR_STAFF_AND_EXPERTS = True
    # One period either side, so that a code computed just before a 30-second boundary is still accepted.
    settings.MFA_TOTP_TOLERANCE = 1
    return settings


def sign_in(client, email):
    """Sign in through allauth's form, as a person does."""
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def confirm_password(client):
    """allauth asks for the password again before two-factor set-up (re-authentication)."""
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302


def test_the_setup_url_is_allauths():
    assert reverse("mfa_activate_totp") == SETUP
    assert reverse("mfa_index") == "/accounts/2fa/"


@pytest.mark.parametrize("path", ["/admin/", "/experts/dashboard/", "/", "/questions/", "/account/", "/account/data/"])
def test_a_coordinator_without_totp_is_sent_to_set_it_up_from_every_page(client, required, colin, path):
    client.force_login(colin)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == SETUP


def test_the_redirect_says_why(client, required, colin):
    client.force_login(colin)
    response = client.get("/admin/", follow=True)
    # The set-up page first asks a forced login to confirm the password (allauth); the message shows there.
    assert response.redirect_chain[0] == (SETUP, 302)
    assert SETUP_MESSAGE in response.content.decode()


def test_posts_are_stopped_too(client, required, colin):
    client.force_login(colin)
    response = client.post("/account/delete/", {"password": PASSWORD, "confirmation": "delete my account"})
    assert response["Location"] == SETUP


@pytest.mark.parametrize("status", [ExpertProfile.Status.ACTIVE, ExpertProfile.Status.PAUSED])
def test_an_expert_on_the_panel_without_totp_is_sent_to_set_it_up(client, required, erin, status):
    ExpertProfile.objects.filter(user=erin).update(status=status)
    client.force_login(erin)
    for path in ("/experts/dashboard/", "/", "/topics/"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, SETUP), path


def test_a_retired_expert_is_not_forced(client, required, topic):
    retired = make_expert(topics=[topic], status=ExpertProfile.Status.RETIRED).user
    client.force_login(retired)
    assert client.get("/").status_code == 200


def test_an_expert_taken_onto_the_panel_is_asked_at_once_and_one_retired_is_let_go(client, required, topic):
    expert = make_expert(topics=[topic], status=ExpertProfile.Status.RETIRED)
    client.force_login(expert.user)
    assert client.get("/").status_code == 200  # remembered by this process for a few seconds…
    expert.status = ExpertProfile.Status.ACTIVE
    expert.save()  # … but a change to the profile is seen at once
    assert (client.get("/").status_code, client.get("/")["Location"]) == (302, SETUP)
    expert.status = ExpertProfile.Status.RETIRED
    expert.save()
    assert client.get("/").status_code == 200


def test_advisers_and_people_without_a_role_are_never_forced(client, required, alice, nadia, nobody):
    for person in (alice, nadia, nobody):
        client.force_login(person)
        for path in ("/", "/questions/", "/account/", "/account/data/"):
            response = client.get(path)
            assert response.status_code == 200, (person, path)
        # Nobody may not ask (no network), but is told so rather than sent to set up two factors.
        assert client.get("/ask/").status_code == (403 if person == nobody else 200)


def test_anonymous_visitors_are_not_affected(client, required, site_tree):
    assert client.get("/").status_code == 200
    assert client.get("/admin/")["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "path",
    ["/accounts/2fa/", "/accounts/email/", "/accounts/password/change/", "/accounts/reauthenticate/", SETUP],
)
def test_allauths_own_pages_stay_open(client, required, colin, path):
    sign_in(client, "colin@example.test")
    confirm_password(client)
    response = client.get(path)
    assert response.status_code == 200, response.get("Location")


def test_signing_out_stays_open(client, required, colin):
    client.force_login(colin)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("path", ["/static/css/site.css", "/media/original_images/portrait.png"])
def test_static_files_and_media_are_not_redirected(client, required, colin, path):
    client.force_login(colin)
    response = client.get(path)
    response.close()  # a file served by whitenoise (when collectstatic has filled var/static) is streamed
    assert response.get("Location") != SETUP


def test_nothing_is_enforced_when_the_setting_is_off(client, settings, colin, erin):
    settings.MFA_REQUIRED_FOR_STAFF_AND_EXPERTS = False
    client.force_login(colin)
    assert client.get("/admin/").status_code == 200
    client.force_login(erin)
    assert client.get("/experts/dashboard/").status_code == 200


def test_a_coordinator_sets_up_totp_with_the_activation_form_and_then_gets_through(client, required, colin):
    sign_in(client, "colin@example.test")
    assert client.get("/admin/")["Location"] == SETUP
    # allauth first asks for the password again; that page is allauth's, so it is open.
    assert client.get(SETUP)["Location"].startswith("/accounts/reauthenticate/")
    confirm_password(client)
    page = client.get(SETUP)
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    # A wrong code is refused and sets nothing up.
    response = client.post(SETUP, {"code": wrong_code(secret)})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert not Authenticator.objects.filter(user=colin).exists()
    assert client.get("/admin/")["Location"] == SETUP
    # The code the app shows sets it up, with recovery codes.
    response = client.post(SETUP, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert set(Authenticator.objects.filter(user=colin).values_list("type", flat=True)) == {"totp", "recovery_codes"}
    assert client.get("/admin/").status_code == 200
    assert client.get("/account/").status_code == 200


def test_an_expert_with_totp_set_up_through_allauths_api_gets_through(client, required, erin):
    TOTP.activate(erin, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(erin)
    assert client.get("/experts/dashboard/").status_code == 200
    assert client.get("/").status_code == 200


def test_recovery_codes_alone_do_not_count(client, required, colin):
    Authenticator.objects.create(user=colin, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "x"})
    client.force_login(colin)
    assert client.get("/admin/")["Location"] == SETUP


def test_signing_in_with_totp_asks_for_the_code_and_refuses_a_wrong_one(client, required, colin):
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(colin, secret)
    response = client.post("/accounts/login/", {"login": "colin@example.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session, "the password alone does not sign in"
    assert client.get("/admin/")["Location"].startswith("/accounts/login/")

    response = client.post(reverse("mfa_authenticate"), {"code": wrong_code(secret)})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == colin.pk
    assert client.get("/admin/").status_code == 200


def test_anyone_may_set_up_totp(client, required, alice):
    sign_in(client, "alice@example.test")
    assert client.get("/account/").status_code == 200
    confirm_password(client)
    assert client.get(SETUP).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    client.post(SETUP, {"code": totp_code(secret)})
    assert Authenticator.objects.filter(user=alice, type="totp").exists()
    client.post("/accounts/logout/")
    response = client.post("/accounts/login/", {"login": "alice@example.test", "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


def test_a_person_with_an_unverified_address_is_told_to_verify_it_first(client, required, site_tree):
    staff = UserFactory(email="new.coordinator@example.test", is_staff=True, verified=False)
    EmailAddress.objects.create(user=staff, email=staff.email, verified=False, primary=True)
    client.force_login(staff)
    assert client.get("/admin/")["Location"] == SETUP
    response = client.get(SETUP, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/2fa/"
    assert "until you have verified your email address" in response.content.decode()
