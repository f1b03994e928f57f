"""Personal API tokens: stored hashed, shown once, revocable, their last use noted cheaply, their scopes enforced;
made at /account/api-tokens/ or with ``manage.py api_token_create``."""

import datetime as dt
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from qa_site.api import tokens
from qa_site.api.models import ApiToken

from ..factories import make_published_page
from .conftest import ApiClient, make_token

TOKENS_URL = "/account/api-tokens/"


def test_token_is_stored_only_as_its_sha256(alice):
    record, token = tokens.token_create(user=alice, name="Case system", scopes=["read"])

    assert token.startswith("qae_")
    assert len(token) == 47
    assert record.digest == hashlib.sha256(token.encode()).hexdigest()
    assert record.prefix == token[:12]
    stored = ApiToken.objects.filter(pk=record.pk).values()[0]
    assert token not in {str(value) for value in stored.values()}


def test_token_scopes_are_cleaned_and_ordered(alice):
    record, _token = tokens.token_create(user=alice, name="x", scopes=["report", " READ ", "read"])
    assert record.scopes == ["read", "report"]
    with pytest.raises(tokens.TokenRefused, match="Unknown scope admin"):
        tokens.token_create(user=alice, name="x", scopes=["read", "admin"])
    with pytest.raises(tokens.TokenRefused, match="at least one scope"):
        tokens.token_create(user=alice, name="x", scopes=[""])
    with pytest.raises(tokens.TokenRefused, match="Give the token a name"):
        tokens.token_create(user=alice, name="   ", scopes=["read"])
    assert ApiToken.objects.count() == 1


def test_a_person_has_at_most_twenty_live_tokens(alice):
    for n in range(tokens.MAX_TOKENS_PER_PERSON):
        tokens.token_create(user=alice, name=f"t{n}", scopes=["read"])
    with pytest.raises(tokens.TokenRefused, match="revoke one"):
        tokens.token_create(user=alice, name="one more", scopes=["read"])
    tokens.token_revoke(user=alice, token_id=ApiToken.objects.first().pk)
    tokens.token_create(user=alice, name="one more", scopes=["read"])


def test_account_page_links_to_tokens(client, alice):
    client.force_login(alice)
    body = client.get("/account/").content.decode()
    assert f'href="{TOKENS_URL}"' in body


def test_token_is_shown_once_on_the_account_page(client, alice):
    client.force_login(alice)

    response = client.post(TOKENS_URL, {"name": "Our case system", "scopes": ["read", "ask"]})

    assert response.status_code == 200
    record = ApiToken.objects.get(user=alice)
    body = response.content.decode()
    shown = body.split('data-testid="token">')[1].split("<")[0]
    assert hashlib.sha256(shown.encode()).hexdigest() == record.digest
    assert "it is shown only once" in body
    again = client.get(TOKENS_URL).content.decode()
    assert shown not in again
    assert "Our case system" in again
    assert f"{record.prefix}…" in again
    assert "read, ask" in again
    assert "Never" in again  # not used yet


def test_the_same_form_sent_again_makes_no_second_token(client, alice):
    client.force_login(alice)
    page = client.get(TOKENS_URL).content.decode()
    once = page.split('name="once" value="')[1].split('"')[0]
    sent = {"name": "Our case system", "scopes": ["read"], "once": once}

    first = client.post(TOKENS_URL, sent)
    again = client.post(TOKENS_URL, sent, follow=True)  # a reload of the page that showed the token

    assert first.status_code == 200
    assert 'data-testid="token"' in first.content.decode()
    assert ApiToken.objects.filter(user=alice).count() == 1
    body = again.content.decode()
    assert "That form had already made your token, so no second one was made." in body
    assert 'data-testid="token"' not in body
    fresh = first.content.decode().split('name="once" value="')[1].split('"')[0]
    assert fresh != once  # the page showing the token offers a new form, which makes another
    assert client.post(TOKENS_URL, {**sent, "once": fresh}).status_code == 200
    assert ApiToken.objects.filter(user=alice).count() == 2


def test_token_form_refuses_bad_input_and_makes_nothing(client, alice):
    client.force_login(alice)

    response = client.post(TOKENS_URL, {"name": "", "scopes": ["everything"]})

    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Give the token a name, such as the system that will use it" in body
    assert "Choose what the token may do from the options given" in body
    assert not ApiToken.objects.exists()


def test_tokens_page_needs_sign_in(client):
    response = client.get(TOKENS_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_revoked_token_no_longer_opens_the_api(client, alice):
    token = make_token(alice)
    api = ApiClient(token)
    assert api.get("/api/v1/topics").status_code == 200
    client.force_login(alice)

    response = client.post(f"{TOKENS_URL}{ApiToken.objects.get().pk}/revoke/", follow=True)

    assert "The token has been revoked" in response.content.decode()
    assert ApiToken.objects.get().revoked_at is not None
    refused = api.get("/api/v1/topics")
    assert refused.status_code == 401
    assert refused.json()["detail"].startswith("Send a live API token")


def test_nobody_revokes_another_persons_token(client, alice, bob):
    make_token(alice)
    client.force_login(bob)

    response = client.post(f"{TOKENS_URL}{ApiToken.objects.get().pk}/revoke/", follow=True)

    assert "You have no live token with that number" in response.content.decode()
    assert ApiToken.objects.get().revoked_at is None


def test_last_use_is_noted_at_most_once_a_minute(alice, django_assert_num_queries):
    token = make_token(alice)
    api = ApiClient(token)
    api.get("/api/v1/topics")
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    assert timezone.now() - first < dt.timedelta(seconds=5)

    api.get("/api/v1/topics")
    assert ApiToken.objects.get().last_used_at == first  # within the minute: not written again

    ApiToken.objects.update(last_used_at=first - dt.timedelta(minutes=2))
    api.get("/api/v1/topics")
    assert ApiToken.objects.get().last_used_at > first


def test_inactive_persons_tokens_open_nothing(alice):
    token = make_token(alice)
    alice.is_active = False
    alice.save()
    assert ApiClient(token).get("/api/v1/topics").status_code == 401


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Basic abc", "Bearer qae_notatoken", "Bearer " + "qae_" + "x" * 500, "bearer\x00"],
)
def test_anything_but_a_live_token_is_401(db, header):
    response = ApiClient().get("/api/v1/topics", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    ("scopes", "method", "path", "allowed"),
    [
        (["read"], "GET", "/api/v1/answers", True),
        (["ask"], "GET", "/api/v1/answers", False),
        (["report"], "GET", "/api/v1/questions", False),
        (["read"], "POST", "/api/v1/questions", False),
        (["ask"], "POST", "/api/v1/questions", True),
        (["read", "ask"], "GET", "/api/v1/network/report", False),
        (["report"], "GET", "/api/v1/network/report", True),
    ],
)
def test_scopes_are_enforced(settings, nadia, topic, scopes, method, path, allowed):
    settings.RATE_LIMIT_ASK = "1000/h"
    api = ApiClient(make_token(nadia, scopes))
    if method == "GET":
        response = api.get(path)
    else:
        body = {
            "title": "Can trustees be paid for their work?",
            "details": "A long enough account of it all here.",
            "topic": topic.pk,
        }
        response = api.post(path, body)
    if allowed:
        assert response.status_code in (200, 201), response.content
    else:
        assert response.status_code == 403
        assert "scope" in response.json()["detail"]


def test_management_command_prints_only_the_token(alice):
    out = io.StringIO()
    call_command("api_token_create", user="ALICE@example.test", scopes="read,ask", name="Nightly sync", stdout=out)

    token = out.getvalue().strip()
    record = ApiToken.objects.get()
    assert out.getvalue() == token + "\n"
    assert record.digest == hashlib.sha256(token.encode()).hexdigest()
    assert (record.user, record.name, record.scopes) == (alice, "Nightly sync", ["read", "ask"])


def test_management_command_refuses_unknown_people_and_scopes(alice):
    with pytest.raises(CommandError, match="No account has the e-mail address"):
        call_command("api_token_create", user="who@example.test", scopes="read", name="x", stdout=io.StringIO())
    with pytest.raises(CommandError, match="Unknown scope write"):
        call_command("api_token_create", user=alice.email, scopes="read,write", name="x", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_token_acts_as_its_person_with_their_rights(alice, carol, erin, topic):
    page = make_published_page(topic=topic, expert=erin, answer="Closing words only subscribers read. " * 10)
    full = ApiClient(make_token(alice)).get(f"/api/v1/answers/{page.pk}").json()
    teaser = ApiClient(make_token(carol)).get(f"/api/v1/answers/{page.pk}").json()

    assert full["full_access"] is True
    assert full["answer_markdown"] == page.answer
    assert teaser["full_access"] is False
    assert teaser["answer_markdown"] is None
    assert teaser["answer_html"] is None


def test_download_my_data_lists_tokens_but_never_their_secret(client, alice):
    record, token = tokens.token_create(user=alice, name="Case system", scopes=["read", "ask"])
    client.force_login(alice)

    response = client.get("/account/data/")

    body = response.content.decode()
    assert token not in body
    assert record.digest not in body
    assert response.json()["api_tokens"] == [
        {
            "name": "Case system",
            "scopes": ["read", "ask"],
            "made_at": record.created_at.isoformat(),
            "last_used_at": None,
            "revoked_at": None,
        }
    ]


def test_deleting_an_account_deletes_its_tokens(alice):
    from qa_site.accounts import services as account_services

    make_token(alice)
    account_services.delete_account(alice)
    assert not ApiToken.objects.exists()
