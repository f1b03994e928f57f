"""The permission matrix, extended to the API: every operation against the seven personas of
``tests/matrix_world.py``, each with a token of every scope (the anonymous persona sends none).

As in ``tests/test_permission_matrix.py``, every response, whatever its status, is searched for the texts its persona
must never see (``SECRETS``), and the listings must show what each persona may see (``CONTENT``). A session never
opens the API: every persona is also signed in to the site, and without a token each of them gets 401.

``test_every_api_operation_has_a_row`` reads the OpenAPI document: an operation added without a row fails it.
"""

import json
import re

import pytest
from django.db import transaction

from qa_site.api import tokens
from qa_site.api.api import api

from ..matrix_world import (
    NETWORK_TITLE,
    OPEN_TITLE,
    PERSONAS,
    PRIVATE_TITLE,
    PUBLIC_CLOSING,
    TRIAGE_TITLE,
    WESTVALE_TITLE,
    shared_world,
)
from ..test_permission_matrix import LISTINGS, NORTHSHIRE_READERS, SUBSCRIBERS, WESTVALE_READERS, leaks

EVERYONE_WITH_A_TOKEN = "401 200 200 200 200 200 200"
ASK_BODY = {
    "title": "Can our minibus drivers claim fuel costs?",
    "details": "Our volunteer drivers pay for fuel themselves and we would like to repay them properly.",
    "topic": "@topic.pk",
    "visibility": "public",
}


class Row:
    def __init__(self, label, method, route, url, expected, body=None):
        self.label, self.method, self.route, self.url, self.body = label, method, route, url, body
        self.expected = dict(zip(PERSONAS, expected.split(), strict=True))


def path(template, **attributes):
    """A URL builder: ``template`` formatted with world attributes by dotted path."""

    def build(world):
        values = {}
        for name, dotted in attributes.items():
            value = world
            for part in dotted.split("."):
                value = getattr(value, part)
            values[name] = value
        return "/api/v1" + template.format(**values)

    return build


# fmt: off
ROWS = [
    #                                                                                     anon adv exp oth nad ert col
    Row("topics", "GET", "/topics", path("/topics"), EVERYONE_WITH_A_TOKEN),
    Row("experts", "GET", "/experts", path("/experts"), EVERYONE_WITH_A_TOKEN),
    Row("answers", "GET", "/answers", path("/answers"), EVERYONE_WITH_A_TOKEN),
    Row("answers [topic]", "GET", "/answers", path("/answers?topic={t}", t="topic.pk"), EVERYONE_WITH_A_TOKEN),
    Row("answers [search]", "GET", "/answers", path("/answers?q=guidance"), EVERYONE_WITH_A_TOKEN),
    Row("answers [Northshire words]", "GET", "/answers", path("/answers?q=Glimmerstone"), EVERYONE_WITH_A_TOKEN),
    Row("answers [Westvale words]", "GET", "/answers", path("/answers?q=Brackenwhirl"), EVERYONE_WITH_A_TOKEN),
    Row("answers [private words]", "GET", "/answers", path("/answers?q=Zebracorn+Quillfeather"),
        EVERYONE_WITH_A_TOKEN),
    Row("answer [public]", "GET", "/answers/{answer_id}", path("/answers/{p}", p="public_page.pk"),
        EVERYONE_WITH_A_TOKEN),
    Row("answer [Northshire]", "GET", "/answers/{answer_id}", path("/answers/{p}", p="network_page.pk"),
        "401 200 404 404 200 200 200"),
    Row("answer [Westvale]", "GET", "/answers/{answer_id}", path("/answers/{p}", p="westvale_page.pk"),
        "401 404 404 200 404 404 200"),
    Row("questions", "GET", "/questions", path("/questions"), EVERYONE_WITH_A_TOKEN),
    Row("question [private]", "GET", "/questions/{question_id}", path("/questions/{q}", q="private_question.pk"),
        "401 200 404 404 404 200 200"),
    Row("question [open]", "GET", "/questions/{question_id}", path("/questions/{q}", q="open_question.pk"),
        "401 200 404 404 404 200 200"),
    Row("question [triage]", "GET", "/questions/{question_id}", path("/questions/{q}", q="triage_question.pk"),
        "401 404 404 200 404 404 200"),
    Row("ask", "POST", "/questions", path("/questions"), "401 201 403 201 201 403 403", body=ASK_BODY),
    Row("reply", "POST", "/questions/{question_id}/replies", path("/questions/{q}/replies", q="open_question.pk"),
        "401 201 404 404 404 403 403", body={"reply": "About forty miles a week between them."}),
    Row("reply [private, answered]", "POST", "/questions/{question_id}/replies",
        path("/questions/{q}/replies", q="private_question.pk"),
        "401 409 404 404 404 403 403", body={"reply": "Any news?"}),
    Row("report", "GET", "/network/report", path("/network/report"), "401 403 403 403 200 403 400"),
    Row("report [Northshire]", "GET", "/network/report", path("/network/report?network=northshire"),
        "401 403 403 403 200 403 200"),
    Row("report [Westvale]", "GET", "/network/report", path("/network/report?network=westvale"),
        "401 403 403 403 403 403 200"),
]
# fmt: on

CONTENT = {
    "answers": LISTINGS,
    "answers [topic]": LISTINGS,
    "answers [search]": LISTINGS,
    "answers [Northshire words]": {NETWORK_TITLE: NORTHSHIRE_READERS},
    "answers [Westvale words]": {WESTVALE_TITLE: WESTVALE_READERS},
    "answer [public]": {PUBLIC_CLOSING: SUBSCRIBERS},
    "questions": {PRIVATE_TITLE: {"adviser"}, OPEN_TITLE: {"adviser"}, TRIAGE_TITLE: {"other"}},
}


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker):
    with shared_world(django_db_blocker) as world:
        yield world


@pytest.fixture
def world(shared, db, settings):
    settings.RATE_LIMIT_ASK = "10000/h"
    settings.API_RATE_LIMIT_PER_MINUTE = 100000
    return shared


def _resolve(world, body):
    resolved = {}
    for key, value in (body or {}).items():
        if isinstance(value, str) and value.startswith("@"):
            target = world
            for part in value[1:].split("."):
                target = getattr(target, part)
            value = target
        resolved[key] = value
    return resolved


def _request(client, row, world, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = row.url(world)
    with transaction.atomic():
        if row.method == "POST":
            response = client.post(
                url, json.dumps(_resolve(world, row.body)), content_type="application/json", headers=headers
            )
        else:
            response = client.get(url, headers=headers)
        transaction.set_rollback(True)
    text = response.content.decode("utf-8", "replace")
    return url, response, text + "\n" + re.sub(r"<[^>]*>", "", text)


def api_problems(client, world, persona, rows=ROWS):
    client.raise_request_exception = False
    user = world.user(persona)
    token = None
    if user is not None:
        client.force_login(user)  # a session must not matter: the token alone is the authority
        token = tokens.token_create(user=user, name="Matrix", scopes=["read", "ask", "report"])[1]
    problems = []
    for row in rows:
        url, response, body = _request(client, row, world, token)
        where = f"{row.label} ({row.method} {url}) as {persona}"
        expected = int(row.expected[persona])
        if response.status_code != expected:
            problems.append(f"{where}: expected {expected}, got {response.status_code} {body[:200]}")
        if response.status_code >= 400 and response["Content-Type"] != "application/problem+json":
            problems.append(f"{where}: an error that is not a problem document ({response['Content-Type']})")
        leaked = leaks(body, persona, asked=url)
        if leaked:
            problems.append(f"{where}: shows {', '.join(leaked)}")
        for text, readers in CONTENT.get(row.label, {}).items():
            if persona in readers and response.status_code == 200 and text not in body:
                problems.append(f"{where}: should show {text!r}")
            if persona not in readers and text in body:
                problems.append(f"{where}: must not show {text!r}")
    return problems


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_matrix(client, world, persona):
    problems = api_problems(client, world, persona)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anonymous"])
def test_a_session_alone_never_opens_the_api(client, world, persona):
    client.force_login(world.user(persona))
    for row in ROWS:
        url, response, _body = _request(client, row, world, None)
        assert response.status_code == 401, f"{row.label} ({url}) as {persona}: {response.status_code}"


def test_the_api_matrix_notices_a_leaky_policy(client, world, monkeypatch):
    """The matrix can fail: with network-only answers listed to every subscriber, Westvale's adviser sees
    Northshire's answer in the API's listing, and it is reported."""
    from django.db.models import Q

    from subscriptions import access

    monkeypatch.setattr(access, "published_filter", lambda user: Q(visibility__in=["public", "network"]))
    rows = [row for row in ROWS if row.label == "answers"]
    problems = "\n".join(api_problems(client, world, "other", rows))
    assert "answers (GET /api/v1/answers) as other: shows Northshire network-only title" in problems


def test_every_api_operation_has_a_row():
    schema = api.get_openapi_schema(path_params={})
    operations = {
        (method.upper(), route.removeprefix("/api/v1"))
        for route, methods in schema["paths"].items()
        for method in methods
    }
    covered = {(row.method, row.route) for row in ROWS}
    missing = sorted(operations - covered)
    assert not missing, f"API operations with no row in tests/api/test_api_matrix.py ROWS: {missing}"
