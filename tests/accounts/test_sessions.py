"""Signed-in requests: the session and the user are read by plain SQL (``qa_site.accounts.sessions`` and
``backends``), and must behave exactly as Django's own — signing in and out, expiry, deactivation, password changes
— including for sessions made before these names existed."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.html import escape

from qa_site.accounts.backends import load_user

pytestmark = pytest.mark.django_db
PAGE = "/account/"


def signed_in_as(client):
    response = client.get(PAGE)
    if response.status_code != 200:
        return None
    return response.context["user"]


def test_signing_in_with_the_form_and_reading_pages(client, alice, site_tree):
    alice.set_password("a long and unusual passphrase")
    alice.save()
    response = client.post("/accounts/login/", {"login": alice.email, "password": "a long and unusual passphrase"})
    assert response.status_code == 302
    assert signed_in_as(client) == alice
    assert f">{escape(alice.display_name)}</a>" in client.get("/").content.decode()  # the header, on a cached page


def test_a_session_made_with_djangos_own_backend_name_still_signs_in(client, alice):
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    assert signed_in_as(client) == alice
    client.force_login(alice, backend="allauth.account.auth_backends.AuthenticationBackend")
    assert signed_in_as(client) == alice


def test_signing_out_ends_the_session_for_that_cookie(client, alice):
    client.force_login(alice)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/accounts/logout/")
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie  # the old cookie, replayed
    assert signed_in_as(client) is None
    assert not Session.objects.filter(session_key=cookie).exists()


def test_an_expired_session_is_not_signed_in(client, alice):
    client.force_login(alice)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert signed_in_as(client) is None


def test_a_deactivated_person_is_signed_out(client, alice):
    client.force_login(alice)
    get_user_model().objects.filter(pk=alice.pk).update(is_active=False)
    assert signed_in_as(client) is None


def test_a_password_changed_elsewhere_ends_other_sessions(client, alice):
    client.force_login(alice)
    assert signed_in_as(client) == alice
    user = get_user_model().objects.get(pk=alice.pk)
    user.set_password("another long passphrase entirely")
    user.save()
    assert signed_in_as(client) is None


def test_load_user_reads_what_the_orm_reads(alice):
    get_user_model().objects.filter(pk=alice.pk).update(last_login=timezone.now())
    expected = get_user_model().objects.get(pk=alice.pk)
    loaded = load_user(alice.pk)
    for field in get_user_model()._meta.concrete_fields:
        mine, theirs = getattr(loaded, field.attname), getattr(expected, field.attname)
        assert mine == theirs, field.attname
        assert type(mine) is type(theirs), field.attname
    assert not loaded._state.adding
    loaded.first_name = "Alicia"
    loaded.save(update_fields=["first_name"])  # an instance like any other
    assert get_user_model().objects.get(pk=alice.pk).first_name == "Alicia"
    assert load_user(alice.pk + 10_000) is None
