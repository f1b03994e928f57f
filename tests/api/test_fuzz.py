"""No 500s from the API for anything a client can send, and bad input changes nothing.

Every operation (the OpenAPI document lists them: a new one without a spec here fails
``test_the_fuzz_covers_every_operation``) is sent junk, as the persona it is for, against the world of
``tests/matrix_world.py``: every query parameter and path id gets the junk of ``tests/test_no_500.py`` (unicode,
NUL bytes, huge and negative numbers, malformed dates, 70,000 characters…) and every boundary value; POST bodies get
junk JSON of every type in every field, bodies that are not JSON at all, and the wrong content type.

The oracle: the status is below 500, every error is a problem document, and unless the operation answered 201
(something was made) the main tables are exactly as before.
"""

import json
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from qa_site.api import tokens
from qa_site.api.api import api

from ..matrix_world import shared_world
from ..test_no_500 import FUZZ, FUZZ_QUERY, NASTY, differences, junk, scalar_junk, snapshot


@dataclass
class Spec:
    label: str
    persona: str
    method: str
    route: str  # as in the OpenAPI document
    path: object  # world -> path, with a "{id}" left in for path-id junk
    params: dict = field(default_factory=dict)  # query parameter -> valid values (world -> list)
    body: dict = field(default_factory=dict)  # body field -> valid values (world -> list)


def _values(*items):
    return lambda world: list(items)


SPECS = [
    Spec("topics", "adviser", "GET", "/topics", lambda w: "/api/v1/topics"),
    Spec(
        "experts",
        "adviser",
        "GET",
        "/experts",
        lambda w: "/api/v1/experts",
        {"cursor": _values(""), "limit": _values("1", "50")},
    ),
    Spec(
        "answers",
        "adviser",
        "GET",
        "/answers",
        lambda w: "/api/v1/answers",
        {
            "q": _values("guidance", "Glimmerstone"),
            "topic": lambda w: [str(w.topic.pk)],
            "expert": lambda w: [str(w.users["expert"].pk)],
            "year": _values("2026"),
            "cursor": _values(""),
            "limit": _values("1", "20"),
        },
    ),
    Spec(
        "answer",
        "adviser",
        "GET",
        "/answers/{answer_id}",
        lambda w: "/api/v1/answers/{id}",
        {"": lambda w: [str(w.public_page.pk), str(w.network_page.pk)]},
    ),
    Spec(
        "questions",
        "adviser",
        "GET",
        "/questions",
        lambda w: "/api/v1/questions",
        {"cursor": _values(""), "limit": _values("2")},
    ),
    Spec(
        "question",
        "adviser",
        "GET",
        "/questions/{question_id}",
        lambda w: "/api/v1/questions/{id}",
        {"": lambda w: [str(w.open_question.pk)]},
    ),
    Spec(
        "report",
        "netadmin",
        "GET",
        "/network/report",
        lambda w: "/api/v1/network/report",
        {"network": _values("northshire", ""), "from": _values("2026-01", ""), "to": _values("2026-06", "")},
    ),
    Spec(
        "report [coordinator]",
        "coordinator",
        "GET",
        "/network/report",
        lambda w: "/api/v1/network/report",
        {"network": _values("northshire", "westvale"), "from": _values("2026-01"), "to": _values("2026-06")},
    ),
    Spec(
        "ask",
        "adviser",
        "POST",
        "/questions",
        lambda w: "/api/v1/questions",
        body={
            "title": _values("Can our minibus drivers claim fuel costs?"),
            "details": _values("Our volunteer drivers pay for fuel themselves and we would like to repay them."),
            "topic": lambda w: [w.topic.pk, str(w.topic.pk)],
            "visibility": _values("public", "private"),
            "network": lambda w: [w.northshire.pk, None],
        },
    ),
    Spec(
        "reply",
        "adviser",
        "POST",
        "/questions/{question_id}/replies",
        lambda w: f"/api/v1/questions/{w.open_question.pk}/replies",
        body={"reply": _values("About forty miles a week between them.")},
    ),
]

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False),
    scalar_junk,
)
json_junk = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
raw_bodies = st.one_of(
    st.sampled_from(["", "{", "[]", "null", "1e309", '{"title": NaN}', "\x00", '{"a":' * 500]),
    st.sampled_from([b"\xed\xa0\x80", b"\xff\xfe{", b'{"reply": "\xc3"}']),  # not UTF-8: a lone surrogate…
    st.binary(max_size=200),
)


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker):
    with shared_world(django_db_blocker) as world:
        yield world


@pytest.fixture
def world(shared, db, settings):
    settings.RATE_LIMIT_ASK = "100000/h"
    settings.API_RATE_LIMIT_PER_MINUTE = 10**9
    return shared


@pytest.fixture
def tokens_for(world):
    made = {}

    def token(persona):
        if persona not in made:
            made[persona] = tokens.token_create(
                user=world.user(persona), name="Fuzz", scopes=["read", "ask", "report"]
            )[1]
        return made[persona]

    return token


def send(token, method, path, *, params=None, body=None, raw=None, content_type="application/json"):
    """One request in a savepoint that is rolled back: (response, names of the tables it changed)."""
    client = Client()
    client.raise_request_exception = False
    headers = {"Authorization": f"Bearer {token}"}
    with transaction.atomic():
        before = snapshot()
        if method == "GET":
            response = client.get(path, params or {}, headers=headers)
        else:
            payload = raw if raw is not None else json.dumps(body)
            response = client.post(path, payload, content_type=content_type, headers=headers)
        changed = differences(before, snapshot())
        transaction.set_rollback(True)
    return response, changed


def check(response, changed, where):
    assert response.status_code < 500, f"{where}: {response.status_code} {response.content[:300]!r}"
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json", f"{where}: {response['Content-Type']}"
        assert response.json()["status"] == response.status_code
    if response.status_code != 201:
        assert not changed, f"{where}: answered {response.status_code}, yet these tables changed: {changed}"


def _path(spec, world, path_id):
    return spec.path(world).replace("{id}", path_id)


@st.composite
def query(draw, spec, world):
    params, path_id = {}, "1"
    for name, valid in spec.params.items():
        value = draw(st.one_of(st.sampled_from(valid(world)), junk))
        if name == "":
            path_id = value if isinstance(value, str) else "x"
        else:
            params[name] = value
    return params, path_id


@pytest.mark.parametrize("spec", [s for s in SPECS if s.method == "GET"], ids=lambda s: s.label)
def test_reads_take_junk_without_a_500_and_change_nothing(world, tokens_for, spec):
    token = tokens_for(spec.persona)

    @FUZZ_QUERY
    @given(data=query(spec, world))
    def run(data):
        params, path_id = data
        path = _path(spec, world, path_id)
        response, changed = send(token, "GET", path, params=params)
        check(response, changed, f"GET {path} {params!r}")

    run()


@pytest.mark.parametrize("spec", [s for s in SPECS if s.method == "GET" and s.params], ids=lambda s: s.label)
def test_reads_take_every_nasty_value_in_every_parameter(world, tokens_for, spec):
    token = tokens_for(spec.persona)
    for name in spec.params:
        for value in NASTY + ["x" * 70_000]:
            params = {other: values(world)[0] for other, values in spec.params.items() if other not in (name, "")}
            path_id = value if name == "" else (spec.params.get("", lambda w: ["1"])(world)[0])
            if name != "":
                params[name] = value
            path = _path(spec, world, path_id.replace("/", "%2F").replace("?", "%3F").replace("#", "%23"))
            response, changed = send(token, "GET", path, params=params)
            check(response, changed, f"GET {path} {name}={value[:40]!r}")


@st.composite
def body(draw, spec, world):
    data = {}
    for name, valid in spec.body.items():
        choice = draw(st.integers(min_value=0, max_value=3))
        if choice == 0:
            continue  # left out
        data[name] = draw(st.sampled_from(valid(world))) if choice == 1 else draw(json_junk)
    if draw(st.booleans()):
        data[draw(st.text(max_size=8))] = draw(json_junk)  # a field nobody asked for
    return data


@pytest.mark.parametrize("spec", [s for s in SPECS if s.method == "POST"], ids=lambda s: s.label)
def test_writes_take_junk_json_without_a_500(world, tokens_for, spec):
    token = tokens_for(spec.persona)
    path = spec.path(world)

    @FUZZ
    @given(data=body(spec, world))
    def run(data):
        response, changed = send(token, "POST", path, body=data)
        check(response, changed, f"POST {path} {data!r}"[:500])

    run()


@pytest.mark.parametrize("spec", [s for s in SPECS if s.method == "POST"], ids=lambda s: s.label)
def test_writes_take_bodies_that_are_not_json_without_a_500(world, tokens_for, spec):
    token = tokens_for(spec.persona)
    path = spec.path(world)

    @FUZZ
    @given(raw=raw_bodies, content_type=st.sampled_from(["application/json", "text/plain", "x/y", ""]))
    def run(raw, content_type):
        response, changed = send(token, "POST", path, raw=raw, content_type=content_type)
        check(response, changed, f"POST {path} {raw[:60]!r} as {content_type}")
        assert response.status_code in (400, 422), response.content[:300]

    run()


@pytest.mark.parametrize("spec", [s for s in SPECS if s.method == "POST"], ids=lambda s: s.label)
def test_writes_take_json_that_is_not_an_object(world, tokens_for, spec):
    token = tokens_for(spec.persona)
    for raw in ["[]", "[1, 2]", '"text"', "42", "true", "null", json.dumps({"title": {"nested": [1]}})]:
        response, changed = send(token, "POST", spec.path(world), raw=raw)
        check(response, changed, f"POST {raw}")
        assert response.status_code in (400, 422), raw


@pytest.mark.parametrize("path_id", ["0", "-1", str(2**63), str(2**64 + 1), "9" * 40, "1e3", "x", "%00"])
def test_reply_to_questions_that_are_not_there(world, tokens_for, path_id):
    response, changed = send(
        tokens_for("adviser"), "POST", f"/api/v1/questions/{path_id}/replies", body={"reply": "Hello there"}
    )
    check(response, changed, path_id)
    assert response.status_code in (400, 404)


def test_the_fuzz_covers_every_operation():
    schema = api.get_openapi_schema(path_params={})
    operations = {
        (method.upper(), route.removeprefix("/api/v1"))
        for route, methods in schema["paths"].items()
        for method in methods
    }
    assert operations <= {(spec.method, spec.route) for spec in SPECS}
