"""How the API behaves as HTTP: cursors, ETags, the rate limit, problem documents, no CORS."""

import datetime as dt
import time
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core import signing
from django.utils import timezone

from qa_site.api import cursors
from qa_site.knowledge.models import QuestionPage

from ..factories import make_published_page
from .conftest import ApiClient, make_token


@contextmanager
def freeze_seconds_later(seconds):
    """Django's signing reads the clock through time.time: as if ``seconds`` had passed."""
    later = time.time() + seconds
    with mock.patch("time.time", return_value=later):
        yield


@pytest.fixture
def many_answers(topic, erin):
    """25 published answers, several published at the very same moment (the cursor must still keep its place)."""
    pages = [
        make_published_page(topic=topic, title=f"Answer number {n:02d} on registering", expert=erin) for n in range(25)
    ]
    moment = timezone.now() - dt.timedelta(days=1)
    QuestionPage.objects.filter(pk__in=[page.pk for page in pages[:10]]).update(published_at=moment)
    return pages


def _walk(api, url):
    seen, pages = [], 0
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        data = response.json()
        seen += [item["id"] for item in data["items"]]
        url = data["next_url"]
        if url:
            assert response["Link"] == f'<{url}>; rel="next"'
        pages += 1
    return seen, pages


def test_cursor_pages_through_every_answer_once_newest_first(alice, many_answers):
    api = ApiClient(make_token(alice))

    seen, pages = _walk(api, "/api/v1/answers?limit=4")

    expected = list(
        QuestionPage.objects.filter(pk__in=[p.pk for p in many_answers])
        .order_by("-published_at", "-pk")
        .values_list("pk", flat=True)
    )
    assert seen == expected
    assert pages == 7


def test_cursor_keeps_its_place_when_answers_are_published_meanwhile(alice, many_answers, topic, erin):
    api = ApiClient(make_token(alice))
    first = api.get("/api/v1/answers?limit=5").json()
    newer = make_published_page(topic=topic, title="Published while a client was paging", expert=erin)

    rest, _pages = _walk(api, first["next_url"])

    assert newer.pk not in rest
    assert len(first["items"]) + len(rest) == 25
    assert not {item["id"] for item in first["items"]} & set(rest)


def test_cursor_of_one_listing_is_refused_by_another(alice, many_answers):
    api = ApiClient(make_token(alice))
    cursor = api.get("/api/v1/answers?limit=2").json()["next"]

    response = api.get("/api/v1/questions", {"cursor": cursor})

    assert response.status_code == 400
    assert response.json()["type"].endswith("/bad-cursor")
    assert "another listing" in response.json()["detail"]


@pytest.mark.parametrize(
    "cursor",
    [
        "junk",
        "a" * 5000,
        signing.Signer(salt="other").sign_object({"k": "answers", "t": "x", "i": 1}),
        cursors.make("answers", t="not a date", i=1),
        cursors.make("answers", t="2026-01-01T00:00:00", i="x"),
        cursors.make("search", q="other words", f={}, o=10),
    ],
    ids=["junk", "too-long", "other-salt", "bad-date", "bad-id", "search-cursor"],
)
def test_forged_or_broken_cursors_are_400(alice, many_answers, cursor):
    response = ApiClient(make_token(alice)).get("/api/v1/answers", {"cursor": cursor})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_a_page_and_its_cursor_are_the_same_from_one_second_to_the_next(alice, many_answers):
    api = ApiClient(make_token(alice))
    first = api.get("/api/v1/answers", {"limit": 5})
    with freeze_seconds_later(5):
        again = api.get("/api/v1/answers", {"limit": 5})
    assert again.json()["next"] == first.json()["next"]
    assert again["ETag"] == first["ETag"]


def test_etag_and_if_none_match(alice, many_answers):
    api = ApiClient(make_token(alice))
    response = api.get("/api/v1/answers")
    etag = response["ETag"]
    assert etag.startswith('"')
    assert response["Cache-Control"] == "private, no-cache"
    assert "Authorization" in response["Vary"]

    again = api.get("/api/v1/answers", headers={"If-None-Match": etag})
    assert again.status_code == 304, (response.content, again.content)
    assert again.content == b""
    assert again["ETag"] == etag
    listed = api.get("/api/v1/answers", headers={"If-None-Match": f'"other", W/{etag}'})
    assert listed.status_code == 304, (response.content, listed.content)

    QuestionPage.objects.filter(pk=many_answers[-1].pk).update(title="A changed title")
    changed = api.get("/api/v1/answers", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_rate_limit_per_token_with_retry_after(settings, alice, bob):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    api, other = ApiClient(make_token(alice)), ApiClient(make_token(bob))
    for _ in range(3):
        assert api.get("/api/v1/topics").status_code == 200

    refused = api.get("/api/v1/topics")

    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["title"] == "Too many requests"
    assert "3 requests a minute" in refused.json()["detail"]
    assert other.get("/api/v1/topics").status_code == 200  # per token, not for everyone


def test_asking_is_limited_together_with_the_ask_page(settings, alice, topic):
    settings.RATE_LIMIT_ASK = "1/h"
    api = ApiClient(make_token(alice))
    body = {
        "title": "Can trustees be paid for their work?",
        "details": "A long enough account of it all, truly.",
        "topic": topic.pk,
    }
    assert api.post("/api/v1/questions", body).status_code == 201

    refused = api.post("/api/v1/questions", body)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert alice.questions_asked.count() == 1


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("post", "/api/v1/topics", 405),
        ("delete", "/api/v1/questions", 405),
        ("put", "/api/v1/answers/1", 405),
        ("get", "/api/v1/no-such-thing", 404),
        ("get", "/api/v1/answers/0", 404),
        ("get", f"/api/v1/answers/{2**64}", 404),
        ("get", f"/api/v1/questions/{2**63}", 404),
        ("get", "/api/v1/answers/abc", 400),
    ],
)
def test_errors_are_problem_documents(alice, method, path, status):
    response = ApiClient(make_token(alice)).request(method, path)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert set(problem) >= {"type", "title", "status", "detail"}
    assert problem["status"] == status
    assert problem["type"].startswith("tag:ask-an-expert,2026:api/problem/")
    if status == 405:
        assert response["Allow"]


def test_no_cors_headers(alice):
    response = ApiClient(make_token(alice)).get("/api/v1/topics", headers={"Origin": "https://elsewhere.example"})
    assert response.status_code == 200
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_openapi_and_docs_are_served(db):
    api = ApiClient()
    schema = api.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Ask an Expert API"
    docs = api.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"/static/ninja/swagger-ui-bundle.js" in docs.content
