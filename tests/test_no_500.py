"""No 500s for anything a user can type or send, and bad input changes nothing.

Three generic fuzzers over the product's URLs, against the world of ``tests/matrix_world.py``:

- every form (POST) as the persona it is for, with junk in every field: unicode, huge strings, negative and huge
  numbers, "1e309", "NaN", "12.345", malformed dates such as "2026-02-30", empty values, several values for one
  field, unknown fields, no CSRF token (the client does not enforce it; the forms must still cope);
- the query-string parameters of the pages that read them (page, q, topic, year, month, from/to, format, export…);
- every product URL with ids and slugs that do not exist, or overflow a 64-bit integer.

Each request runs inside a savepoint that is rolled back, so the examples are independent. The oracle: the status
is below 500, and unless the response carried a success message the main tables are exactly as before.

The payment webhook has its own fuzz: junk bodies and bad signatures are refused with 400 and record nothing.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

import pytest
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wagtail.models import Page

from experts.models import ExpertApplication, ExpertProfile, FeeRate
from feeds.models import Follow
from qa_site.knowledge.models import (
    Answer,
    AnswerRating,
    AnswerReview,
    HelpfulVote,
    PersonalDataFlag,
    Question,
    QuestionEvent,
)
from qa_site.webhooks.models import Endpoint
from subscriptions.models import (
    AccessKey,
    Invitation,
    Invoice,
    InvoiceLine,
    Membership,
    Network,
    Payment,
    PaymentEvent,
    Plan,
    Subscription,
)

from .matrix_world import shared_world
from .test_permission_matrix import PRODUCT_PACKAGES

FUZZ = settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Query strings also get every boundary value in every parameter (below), so fewer random examples do.
FUZZ_QUERY = settings(FUZZ, max_examples=10)

# --- Junk ----------------------------------------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "0",
    "-1",
    "-5",
    "1e309",
    "-1e309",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "12.345",
    "1,00.0",
    "1_000",
    "0x1F",
    "£12.50",
    "  42  ",
    "9" * 40,
    "-" + "9" * 40,
    str(2**63),
    str(2**64 + 1),
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-02",
    "2026-00",
    "1999-12",
    "31/12/2026",
    "２０２６-０１-０１",  # noqa: RUF001 -- full-width digits, on purpose
    "٣",
    "²",
    "null",
    "None",
    "true",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\x00",
    "a\x00b",
    "%00",
    "../../etc/passwd",
    "\u202e\u0644\u0627",
    "😀" * 10,
]

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
numbers = st.integers(min_value=-(2**70), max_value=2**70).map(str)
floats = st.floats(allow_nan=True, allow_infinity=True).map(repr)
huge = st.sampled_from(["x" * 70_000, "é" * 20_000 + "\n" * 5_000, "1" * 5_000])
scalar_junk = st.one_of(st.sampled_from(NASTY), text, numbers, st.sampled_from(NASTY), floats, huge)
junk = st.one_of(scalar_junk, st.lists(scalar_junk, min_size=2, max_size=3))


def field_value(valid):
    """Either one of the valid values (so other fields' checks are reached too) or junk."""
    return st.one_of(st.sampled_from(valid), junk) if valid else junk


# --- The world, and what must not change ---------------------------------------------------------------------------

MAIN_MODELS = [
    Question,
    Answer,
    QuestionEvent,
    AnswerRating,
    AnswerReview,
    PersonalDataFlag,
    HelpfulVote,
    Follow,
    Page,
    Network,
    Plan,
    Subscription,
    Membership,
    Invitation,
    AccessKey,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentEvent,
    ExpertProfile,
    FeeRate,
    ExpertApplication,
    Endpoint,
]


def snapshot():
    """Every row of the main tables, and the users (without their last sign-in)."""
    state = {model.__name__: list(model.objects.order_by("pk").values()) for model in MAIN_MODELS}
    state["User"] = list(get_user_model().objects.order_by("pk").values(*USER_FIELDS))
    state["ExpertProfile.topics"] = list(ExpertProfile.topics.through.objects.order_by("pk").values())
    return state


USER_FIELDS = ("pk", "email", "first_name", "last_name", "is_active", "is_staff", "password")


def succeeded(response):
    """Did the view say it did something? (Only then may the database change.)"""
    return any(message.level == messages.SUCCESS for message in messages.get_messages(response.wsgi_request))


def differences(before, after):
    return [name for name in before if before[name] != after[name]]


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker):
    with shared_world(django_db_blocker) as world:
        yield world


@pytest.fixture
def world(shared, db, settings):
    settings.RATE_LIMIT_ASK = settings.RATE_LIMIT_INVITE = settings.RATE_LIMIT_DELETE_ACCOUNT = "100000/h"
    return shared


def client_for(world, persona):
    client = Client(enforce_csrf_checks=False)
    user = world.user(persona)
    if user is not None:
        client.force_login(user)
    return client


def attempt(client, method, path, data=None, **extra):
    """One request in a savepoint that is rolled back: (response, names of the tables it changed)."""
    client.cookies.pop("messages", None)  # only this request's messages count
    data = {} if data is None else data
    with transaction.atomic():
        before = snapshot()
        response = client.post(path, data, **extra) if method == "POST" else client.get(path, data)
        changed = differences(before, snapshot())
        transaction.set_rollback(True)
    return response, changed


def check(response, changed, where, acts_on=()):
    assert response.status_code < 500, f"{where}: {response.status_code}"
    unexplained = [name for name in changed if name not in acts_on]
    if unexplained:
        assert succeeded(response), f"{where}: no success message, yet these tables changed: {unexplained}"


# --- Forms ---------------------------------------------------------------------------------------------------------


@dataclass
class Form:
    label: str
    persona: str
    url: object  # world -> path
    fields: dict = field(default_factory=dict)  # name -> valid values (world -> list), or [] for junk only
    files: tuple = ()
    branch: str = ""  # a field whose value picks what the view does ("action"): each of its values is tried
    acts_on: tuple = ()  # tables a POST changes whatever its fields say (the address alone is the authority)


def pk(attribute):
    return lambda w: [str(_get(w, attribute).pk)]


def _get(world, path):
    value = world
    for part in path.split("."):
        value = getattr(value, part)
    return value


def url(name, *paths):
    return lambda w: reverse(name, args=[_get(w, path) for path in paths])


def values(*items):
    return lambda w: list(items)


TODAY = dt.date.today().isoformat()

FORMS = [
    Form(
        "knowledge:ask",
        "adviser",
        url("knowledge:ask"),
        {
            "title": values("Can our volunteers claim mileage allowance?"),
            "details": values("We run a food bank and volunteers drive vans twice a week for deliveries."),
            "topic": pk("topic"),
            "visibility": values("public", "network", "private"),
            "network": pk("northshire"),
        },
    ),
    Form("knowledge:reply", "adviser", url("knowledge:reply", "open_question.pk"), {"reply": values("About forty.")}),
    Form("knowledge:withdraw", "adviser", url("knowledge:withdraw", "open_question.pk")),
    Form(
        "knowledge:rate",
        "adviser",
        url("knowledge:rate", "public_page.question_id"),
        {"stars": values("1", "5"), "comment": values("Useful.")},
    ),
    Form(
        "experts:question",
        "expert",
        url("experts:question", "open_question.pk"),
        {
            "action": values("clarify", "decline", "submit", "save"),
            "body": values("A full answer " * 30),
            "message": values("Please tell me more about the trips."),
            "reason": values("Outside my expertise."),
        },
        branch="action",
    ),
    Form("experts:accept", "expert", url("experts:accept", "open_question.pk")),
    Form(
        "experts:settings",
        "expert",
        url("experts:settings"),
        {
            "topics": pk("topic"),
            "max_open_questions": values("1", "50"),
            "accepting_new": values("on", ""),
            "away_from": values(TODAY, ""),
            "away_until": values(TODAY, ""),
            "headline": values("Charity solicitor"),
            "organisation": values("Law Ltd"),
            "bio": values("Twenty years."),
            "remove_photo": values("on"),
        },
        files=("photo",),
    ),
    Form(
        "experts:apply",
        "adviser",
        url("experts:apply"),
        {
            "headline": values("Employment lawyer"),
            "organisation": values(""),
            "bio": values("I advise charities."),
            "experience": values("Solicitor since 2008."),
            "topics": pk("topic"),
        },
    ),
    Form(
        "accounts:delete",
        "adviser",
        url("accounts:delete"),
        {"password": values("wrong-password"), "confirmation": values("delete my account")},
    ),
    Form(
        "api_tokens:list",
        "adviser",
        url("api_tokens:list"),
        {"name": values("Our case system"), "scopes": values("read", "ask", "report")},
    ),
    Form("api_tokens:revoke", "adviser", lambda w: reverse("api_tokens:revoke", args=[1])),
    Form(
        "network:members",
        "netadmin",
        url("network:members", "northshire.slug"),
        {
            "email": values("someone@example.test"),
            "role": values("adviser", "admin"),
            "organisation": values("Village Hall"),
        },
    ),
    Form("network:member_remove", "netadmin", url("network:member_remove", "northshire.slug", "alice_membership.pk")),
    Form(
        "network:member_role",
        "netadmin",
        url("network:member_role", "northshire.slug", "alice_membership.pk"),
        {"role": values("adviser", "admin")},
    ),
    Form("network:invitation_revoke", "netadmin", url("network:invitation_revoke", "northshire.slug", "invitation.pk")),
    Form(
        "network:keys",
        "netadmin",
        url("network:keys", "northshire.slug"),
        {
            "name": values("Members site"),
            "kind": values("widget", "feed"),
            "topics": pk("topic"),
            "allowed_origins": values("https://example.org", "https://a.example\nhttp://localhost:8000"),
        },
    ),
    Form(
        "network:key_edit",
        "netadmin",
        url("network:key_edit", "northshire.slug", "key.pk"),
        {
            "name": values("Members site"),
            "topics": pk("topic"),
            "allowed_origins": values("https://example.org", "https://a.example\nhttp://localhost:8000"),
        },
    ),
    Form("network:key_revoke", "netadmin", url("network:key_revoke", "northshire.slug", "key.pk")),
    Form(
        "webhooks:endpoints",
        "netadmin",
        url("webhooks:endpoints", "northshire.slug"),
        {
            "url": values("https://crm.example.org/hook", "http://127.0.0.1:9/hook"),
            "description": values("Case system"),
            "events": values("answer.published", "question.answered", "question.needs_reply"),
            "topics": pk("topic"),
        },
    ),
    Form(
        "webhooks:edit",
        "netadmin",
        url("webhooks:edit", "northshire.slug", "webhook_endpoint.pk"),
        {
            "url": values("https://crm.example.org/hook"),
            "description": values("Case system"),
            "events": values("answer.published", "subscription.renewal_due"),
            "topics": pk("topic"),
        },
    ),
    Form("webhooks:rotate", "netadmin", url("webhooks:rotate", "northshire.slug", "webhook_endpoint.pk")),
    Form("webhooks:test", "netadmin", url("webhooks:test", "northshire.slug", "webhook_endpoint.pk")),
    Form("webhooks:switch_off", "netadmin", url("webhooks:switch_off", "northshire.slug", "webhook_endpoint.pk")),
    Form("webhooks:switch_on", "netadmin", url("webhooks:switch_on", "northshire.slug", "webhook_endpoint.pk")),
    Form("webhooks:delete", "netadmin", url("webhooks:delete", "northshire.slug", "webhook_endpoint.pk")),
    Form(
        "knowledge_admin:review",
        "coordinator",
        url("knowledge_admin:review", "private_question.pk"),
        {
            "action": values("return", "publish"),
            "comment": values("Please shorten it."),
            "title": values("A reviewed title"),
            "question_text": values("The question."),
            "answer_text": values("The answer."),
        },
        branch="action",
    ),
    Form(
        "knowledge_admin:question",
        "coordinator",
        url("knowledge_admin:question", "triage_question.pk"),
        {
            "action": values("reject", "duplicate"),
            "reason": values("Not a question for us."),
            "duplicate_of": pk("public_page"),
            "note": values("Same as before."),
        },
        branch="action",
    ),
    Form(
        "experts_admin:assign",
        "coordinator",
        url("experts_admin:assign", "triage_question.pk"),
        {"expert": pk("other_expert_profile"), "note": values("By hand.")},
    ),
    Form(
        "experts_admin:reassign",
        "coordinator",
        url("experts_admin:reassign", "open_question.pk"),
        {"expert": pk("other_expert_profile"), "note": values(""), "next": values("/admin/", "https://evil.test/")},
    ),
    Form(
        "experts_admin:expert_status",
        "coordinator",
        url("experts_admin:expert_status", "other_expert_profile.pk"),
        {"status": values("active", "paused", "retired")},
    ),
    Form(
        "experts_admin:application_decide",
        "coordinator",
        url("experts_admin:application_decide", "application.pk"),
        {"action": values("approve", "reject"), "note": values("Welcome.")},
        branch="action",
    ),
    Form(
        "billing_admin:start",
        "coordinator",
        url("billing_admin:start", "eastmoor.pk"),
        {
            "plan": lambda w: [str(p) for p in Plan.objects.values_list("pk", flat=True)],
            "seats": values("25", "30", ""),
            "starts_on": values(TODAY),
            "kind": values("trial", "paid"),
        },
    ),
    Form(
        "billing_admin:change",
        "coordinator",
        url("billing_admin:change", "subscription.pk"),
        {"plan": lambda w: [str(p) for p in Plan.objects.values_list("pk", flat=True)], "seats": values("25", "40")},
    ),
    Form(
        "subscribe",
        "anonymous",
        url("subscribe"),
        {
            "plan": lambda w: [str(p) for p in Plan.objects.values_list("pk", flat=True)],
            "start": values("trial", "invoice"),
            "seats": values("", "30"),
            "name": values("Southby Forum"),
            "website": values("https://southby.example.org", ""),
            "billing_email": values("accounts@southby.test"),
            "billing_address": values("1 High Street"),
            "first_name": values("Sam"),
            "last_name": values("South"),
            "email": values("sam@southby.test"),
            "password": values("a-long-pass-phrase-for-sam"),
        },
    ),
    Form(
        "network:plan",
        "netadmin",
        url("network:plan", "northshire.slug"),
        {
            "action": values("quote", "confirm", "subscribe", "resume"),
            "plan": lambda w: [str(p) for p in Plan.objects.values_list("pk", flat=True)],
            "seats": values("25", "40"),
        },
        branch="action",
    ),
    Form(
        "joining_admin:detail",
        "coordinator",
        url("joining_admin:detail", "join_request.pk"),
        {"decision": values("approve", "refuse"), "note": values("Welcome.", "")},
        branch="decision",
    ),
    Form("billing_admin:cancel", "coordinator", url("billing_admin:cancel", "subscription.pk"), {"when": values()}),
    Form(
        "billing_admin:invoice",
        "coordinator",
        url("billing_admin:invoice", "invoice.pk"),
        {
            "amount": values("100.00", "1e309", "-5", "NaN", "12.345", "1,000.00", "99999999999"),
            "method": values("bank_transfer", "other", "card"),
            "reference": values("BACS 123"),
            "received_on": values(TODAY, "2026-02-30"),
        },
    ),
    Form("billing_admin:invoice_void", "coordinator", url("billing_admin:invoice_void", "invoice.pk")),
    Form(
        "alerts:follow",
        "adviser",
        url("alerts:follow"),
        {"page": pk("topic"), "frequency": values("immediate", "daily", "weekly"), "next": values("/", "-1")},
    ),
    Form(
        "alerts:change",
        "adviser",
        url("alerts:change", "follow.pk"),
        {"frequency": values("daily", "weekly"), "next": values("/alerts/", "https://evil.test/")},
    ),
    Form("alerts:unfollow", "adviser", url("alerts:unfollow", "follow.pk"), {"next": values("/alerts/")}),
    # The signed token in the address unsubscribes (one-click, RFC 8058), and the page says so without a message.
    Form("alerts:unsubscribe", "anonymous", url("alerts:unsubscribe", "unsubscribe_token"), acts_on=("Follow",)),
    Form("knowledge:helpful", "adviser", url("knowledge:helpful", "public_page.pk"), {"helpful": values("yes", "no")}),
    Form("knowledge:markdown_preview", "expert", url("knowledge:markdown_preview"), {"text": values("- a", "| a |")}),
    Form(
        "experts:review",
        "expert",
        url("experts:review", "review.pk"),
        {"action": values("confirm", "submit"), "body": values("An update " * 30)},
        branch="action",
    ),
    Form(
        "knowledge_admin:review_update",
        "coordinator",
        url("knowledge_admin:review_update", "review.pk"),
        {
            "action": values("clear", "redact", "redact_all", "return", "save", "publish"),
            "flag": values("1"),
            "comment": values("Please shorten it."),
            "title": values("A reviewed title"),
            "question_text": values("The question."),
            "answer_text": values("The answer."),
        },
        branch="action",
    ),
]


@st.composite
def form_data(draw, spec, world):
    """One or two fields junk, the others valid (so each field's checks are reached), now and then one missing."""
    names = list(spec.fields)
    junked = draw(st.sets(st.sampled_from(names), min_size=1, max_size=2)) if names else set()
    data = {}
    for name, valid in spec.fields.items():
        choices = valid(world)
        if name in junked or not choices:
            data[name] = draw(junk)
        elif draw(st.integers(0, 9)):
            data[name] = draw(st.sampled_from(choices))
    if draw(st.booleans()):
        data[draw(st.sampled_from(["csrfmiddlewaretoken", "id", "pk", "user", "network_id", "status"]))] = draw(junk)
    for name in spec.files:
        if draw(st.booleans()):
            content = draw(st.binary(max_size=2048))
            filename = draw(st.sampled_from(["photo.png", "photo.jpg", "x.svg", "noextension", "a" * 300 + ".png"]))
            data[name] = SimpleUploadedFile(filename, content, content_type="image/png")
    return data


@pytest.mark.parametrize("spec", FORMS, ids=[spec.label for spec in FORMS])
def test_forms_take_junk_without_a_500_and_change_nothing_unless_they_say_so(world, spec):
    client = client_for(world, spec.persona)
    path = spec.url(world)

    @FUZZ
    @given(data=form_data(spec, world))
    def post_junk(data):
        response, changed = attempt(client, "POST", path, data)
        check(response, changed, f"POST {path} as {spec.persona} with {str(data)[:300]}", spec.acts_on)

    post_junk()


BOUNDARY = [
    "",
    "-1",
    "0",
    "1e309",
    "NaN",
    "12.345",
    str(2**63),
    "-" + "9" * 40,
    "2026-02-30",
    "a\x00b",
    "x" * 70_000,
    "２０２６-０１-０１",  # noqa: RUF001 -- full-width digits, on purpose
    ["1", "2"],
]


@pytest.mark.parametrize("spec", FORMS, ids=[spec.label for spec in FORMS])
def test_forms_take_boundary_values_in_every_field(world, spec):
    """Every field at once holds each boundary value (Django cleans each field whatever the others hold), for each
    value of the field that picks the view's branch."""
    client = client_for(world, spec.persona)
    path = spec.url(world)
    branches = spec.fields[spec.branch](world) if spec.branch else [None]
    for branch in branches:
        for value in BOUNDARY:
            data = {name: value for name in spec.fields}
            if branch is not None:
                data[spec.branch] = branch
            response, changed = attempt(client, "POST", path, data)
            check(response, changed, f"POST {path} as {spec.persona} with {str(data)[:200]}", spec.acts_on)


def test_the_oracle_sees_a_change_and_the_message_that_owns_it(world):
    """What the fuzzers rely on: a valid invitation changes the Invitation table and says so; junk does neither."""
    client = client_for(world, "netadmin")
    path = reverse("network:members", args=[world.northshire.slug])

    response, changed = attempt(client, "POST", path, {"email": "new.person@example.test", "role": "adviser"})
    assert (response.status_code, changed, succeeded(response)) == (302, ["Invitation"], True)

    response, changed = attempt(client, "POST", path, {"email": "1e309", "role": "adviser"})
    assert (response.status_code, changed, succeeded(response)) == (400, [], False)


def test_the_forms_cover_every_form_of_the_matrix():
    """Every POST row of the permission matrix is fuzzed here as well."""
    from .test_permission_matrix import MATRIX

    posted = {row.name for row in MATRIX if row.method == "POST"} - {"payment_webhook", "network:member_remove"}
    # Inbound mail takes a provider's payload, not a form: junk payloads and messages are in tests/replies.
    posted -= {name for name in posted if name.startswith("replies:")}
    assert posted <= {spec.label for spec in FORMS}


# --- Query strings -------------------------------------------------------------------------------------------------


@dataclass
class Query:
    label: str
    persona: str
    url: object
    params: dict  # name -> valid values


QUERIES = [
    Query("search:search", "adviser", url("search:search"), {"q": values("guidance", "cheque book"),
          "page": values("1", "2"), "topic": pk("topic"), "expert": values(), "year": values("2026")}),
    Query("search:search [anonymous]", "anonymous", url("search:search"), {"q": values("guidance"),
          "page": values("1")}),
    Query("page:TopicPage", "adviser", lambda w: w.topic.url, {"page": values("1", "2")}),
    Query("experts:profile", "anonymous", url("experts:profile", "expert_profile.slug"), {"page": values("1")}),
    Query("knowledge:my_questions", "adviser", url("knowledge:my_questions"), {"page": values("1")}),
    Query("knowledge:ask", "adviser", url("knowledge:ask"), {"topic": pk("topic")}),
    Query("experts:statement", "expert", lambda w: reverse("experts:statement", args=["2026-01"]),
          {"format": values("csv", "html")}),
    Query("network:invoice", "netadmin", url("network:invoice", "invoice.pk"), {"format": values("csv")}),
    Query("network:report", "netadmin", url("network:report", "northshire.slug"),
          {"export": values("csv", "pdf"), "from": values("2026-01"), "to": values("2026-06"),
           "chart": values("questions", "sla"), "format": values("png", "svg")}),
    Query("experts:dashboard", "expert", url("experts:dashboard"),
          {"chart": values("answers", "sla"), "format": values("png", "svg")}),
    Query("knowledge_admin:questions", "coordinator", url("knowledge_admin:questions"),
          {"status": values("published", "answered"), "p": values("1", "2"), "q": values("trustees"),
           "topic": pk("topic"), "needs_triage": values("true"), "ordering": values("title", "-due_at"),
           "export": values("csv", "xlsx")}),
    Query("experts_admin:applications", "coordinator", url("experts_admin:applications"), {"p": values("1")}),
    Query("experts_admin:compliance", "coordinator", url("experts_admin:compliance"),
          {"from": values("2026-01-05"), "to": values("2026-03-01"), "export": values("week", "expert", "topic"),
           "chart": values("week-sla", "expert-sla"), "format": values("png", "svg")}),
    Query("experts_admin:fees", "coordinator", url("experts_admin:fees"),
          {"month": values("2026-01"), "export": values("csv")}),
    Query("billing_admin:invoices", "coordinator", url("billing_admin:invoices"),
          {"status": values("issued", "paid", "void"), "overdue": values("on"), "network": pk("northshire"),
           "p": values("1", "2"), "q": values("northshire"), "kind": values("new", "renewal"),
           "ordering": values("number", "-total"), "export": values("csv", "xlsx")}),
    Query("billing_admin:webhooks", "coordinator", url("billing_admin:webhooks"), {"q": values("evt"),
          "p": values("1")}),
    Query("billing_admin:report", "coordinator", url("billing_admin:report"),
          {"from": values("2026-01"), "to": values("2026-06"), "export": values("csv")}),
    Query("search:similar", "adviser", url("search:similar"), {"q": values("guidance", "trustee pay")}),
    Query("embed:answers", "anonymous", url("embed:answers"),
          {"key": lambda w: [w.key.key], "topic": values("charity-law"), "count": values("1", "5"),
           "preview": values("1")}),
    Query("embed:frame", "anonymous", url("embed:frame"),
          {"key": lambda w: [w.key.key], "topic": values("charity-law"), "count": values("3"),
           "style": values("light", "dark")}),
    Query("oembed", "anonymous", url("oembed"),
          {"url": lambda w: ["http://testserver" + w.public_page.url], "format": values("json"),
           "maxwidth": values("600"), "maxheight": values("400")}),
    Query("network:key_widget", "netadmin", url("network:key_widget", "northshire.slug", "key.pk"),
          {"topic": values("charity-law"), "count": values("5"), "style": values("light"),
           "variant": values("script", "iframe")}),
    Query("search_admin:gaps", "coordinator", url("search_admin:gaps"), {"export": values("csv")}),
]  # fmt: skip


def oembed_format_refused(path, query, response):
    """oEmbed answers 501 Not Implemented for a format other than JSON, as its specification says."""
    return path == "/oembed/" and response.status_code == 501 and "format" in query


@pytest.mark.parametrize("spec", QUERIES, ids=[spec.label for spec in QUERIES])
def test_query_strings_take_junk_without_a_500_and_change_nothing(world, spec):
    client = client_for(world, spec.persona)
    path = spec.url(world)
    params = {name: valid(world) for name, valid in spec.params.items()}

    @FUZZ_QUERY
    @given(query=st.fixed_dictionaries({}, optional={name: field_value(valid) for name, valid in params.items()}))
    def get_junk(query):
        response, changed = attempt(client, "GET", path, query)
        assert response.status_code < 500 or oembed_format_refused(path, query, response), (
            f"GET {path} as {spec.persona} with {str(query)[:300]}: {response.status_code}"
        )
        assert not changed, f"GET {path} as {spec.persona} changed {changed}"

    get_junk()


@pytest.mark.parametrize("spec", QUERIES, ids=[spec.label for spec in QUERIES])
def test_query_strings_take_boundary_values_in_every_parameter(world, spec):
    """Every parameter at once holds each boundary value (NUL, 2**63, 1e309, 2026-02-30, 70 kB…)."""
    client = client_for(world, spec.persona)
    path = spec.url(world)
    for value in BOUNDARY:
        query = {name: value for name in spec.params}
        response, changed = attempt(client, "GET", path, query)
        assert response.status_code < 500 or oembed_format_refused(path, query, response), (
            f"GET {path} as {spec.persona} with {str(query)[:200]}: {response.status_code}"
        )
        assert not changed, f"GET {path} as {spec.persona} with {str(query)[:200]} changed {changed}"


# --- Every URL, with ids and slugs that are not there ---------------------------------------------------------------

MISSING_VALUES = {
    "int": [0, 2**63],
    "str": ["no-such-thing", "２０２６-０１"],  # noqa: RUF001 -- full-width digits, on purpose
    "slug": ["no-such-thing", "a" * 300],
    "path": ["no/such/thing"],
}


def product_patterns(resolver=None, namespace=()):
    """(name, pattern) of every named product URL (see test_permission_matrix.product_url_names)."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from product_patterns(pattern, namespace + ((pattern.namespace,) if pattern.namespace else ()))
        elif isinstance(pattern, URLPattern) and pattern.name:
            module = getattr(pattern.callback, "__module__", "") or ""
            if module.split(".")[0] in PRODUCT_PACKAGES:
                yield ":".join(namespace + (pattern.name,)), pattern


def missing_object_urls():
    """For each product URL taking arguments, addresses of objects that are not there (ids up to 2**64)."""
    urls = []
    for name, pattern in product_patterns():
        converters = getattr(pattern.pattern, "converters", {})
        keys = list(pattern.pattern.regex.groupindex)
        if not keys:
            continue
        for position in range(max(len(MISSING_VALUES[_kind(converters.get(key))]) for key in keys)):
            kwargs = {}
            for key in keys:
                choices = MISSING_VALUES[_kind(converters.get(key))]
                kwargs[key] = choices[position % len(choices)]
            try:
                urls.append(reverse(name, kwargs=kwargs))
            except NoReverseMatch:  # a regex route narrower than these values (a feed key's alphabet…)
                try:
                    urls.append(reverse(name, kwargs={key: "zzzzzzzzzz9" for key in keys}))
                except NoReverseMatch:
                    continue
    return sorted(set(urls))


def _kind(converter):
    if converter is None:
        return "str"
    return {"IntConverter": "int", "SlugConverter": "slug", "PathConverter": "path"}.get(
        type(converter).__name__, "str"
    )


@pytest.mark.parametrize("persona", ["anonymous", "adviser", "expert", "coordinator"])
def test_every_url_with_objects_that_are_not_there_answers_without_a_500(world, persona):
    """As the personas whose checks come before the lookups: signed out, subscriber, expert, coordinator."""
    client = client_for(world, persona)
    client.raise_request_exception = False
    failures = []
    with transaction.atomic():
        before = snapshot()
        for path in missing_object_urls():
            for method in ("GET", "POST"):
                with transaction.atomic():  # a failed query must not spoil the rest on PostgreSQL
                    data = {"action": "approve", "stars": "5"}
                    response = client.post(path, data) if method == "POST" else client.get(path)
                if response.status_code >= 500:
                    failures.append(f"{method} {path}: {response.status_code}")
        changed = differences(before, snapshot())
        transaction.set_rollback(True)
    assert not failures, f"as {persona}:\n" + "\n".join(failures)
    assert not changed, f"as {persona}, requests for objects that are not there changed {changed}"


def test_the_missing_object_urls_reach_the_views():
    paths = missing_object_urls()
    assert f"/questions/{2**63}/" in paths
    assert any(path.startswith("/network/no-such-thing/") for path in paths)
    assert any(re.fullmatch(r"/experts/statements/[^/]+/", path) for path in paths)


# --- The payment webhook -------------------------------------------------------------------------------------------

WEBHOOK = "/payments/webhook/signed-json/"
signatures = st.one_of(
    st.none(),
    text,
    st.sampled_from(["t=1,v1=" + "0" * 64, "t=,v1=", "t=99999999999999999999,v1=" + "a" * 64, "v1=zz", ",,,=", "t=1"]),
    st.builds(lambda t, h: f"t={t},v1={h}", numbers, st.text("0123456789abcdefABCDEF", min_size=64, max_size=64)),
)
bodies = st.one_of(
    st.binary(max_size=4096),
    st.sampled_from([b"", b"{}", b"[]", b"null", b'{"id": "e1", "type": "payment.succeeded"}', b"\xff", b"{" * 5000]),
    huge.map(str.encode),
)


@FUZZ
@given(body=bodies, header=signatures, content_type=st.sampled_from(["application/json", "text/plain", "x/y"]))
def test_webhook_refuses_junk_and_bad_signatures_with_400_and_records_nothing(world, body, header, content_type):
    client = Client(enforce_csrf_checks=True)  # the webhook is exempt: providers send no token
    extra = {} if header is None else {"HTTP_PAYMENT_SIGNATURE": header}
    response, changed = attempt(client, "POST", WEBHOOK, body, content_type=content_type, **extra)
    # 413 for bodies over 64 kB, refused before the signature is read.
    assert response.status_code == (413 if len(body) > 64 * 1024 else 400), response.content
    assert not changed


@FUZZ
@given(provider=st.text("abcdefghijklmnopqrstuvwxyz-_0123456789", min_size=1, max_size=40), body=bodies)
def test_webhook_of_unknown_providers_is_404_and_records_nothing(world, provider, body):
    if provider == "signed-json":
        provider = "unsigned-json"
    response, changed = attempt(Client(), "POST", f"/payments/webhook/{provider}/", body, content_type="text/plain")
    assert response.status_code == (413 if len(body) > 64 * 1024 else 404)
    assert not changed


def test_webhook_read_with_get_is_405(world):
    response, changed = attempt(Client(), "GET", WEBHOOK)
    assert (response.status_code, changed) == (405, [])
