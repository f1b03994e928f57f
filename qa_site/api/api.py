"""The JSON API, version 1: django-ninja operations over the same services, search engine and access policy as the
pages. Every operation needs a personal token (``Authorization: Bearer qae_…``, see ``tokens.py``) and acts as
its person, within the token's scopes; sessions never authenticate here (so there is nothing to forge a request
with). Lists page with signed cursors; errors are problem details (``problems.py``). See docs/api.md.
"""

import datetime as dt
import math
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import Truncator
from django_ratelimit.core import get_usage
from ninja import NinjaAPI, Query, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.responses import codes_4xx
from ninja.security import HttpBearer

from experts.models import ExpertProfile
from qa_site.knowledge import services
from qa_site.knowledge.forms import AskForm, ClarificationReplyForm, is_page_id
from qa_site.knowledge.models import Question, QuestionEvent, QuestionPage, topics_with_answer_counts
from qa_site.knowledge.templatetags.knowledge_tags import QUESTION_TEASER_WORDS, render_markdown, teaser
from qa_site.network import report as value
from search.audience import audience_for
from search.backends import get_backend
from search.text import query_words
from search.views import MAX_PAGE, MAX_QUERY_LENGTH, PAGE_SIZE, parse_filters
from subscriptions import access, usage
from subscriptions.models import Membership, Network

from . import cursors, tokens
from .models import Scope
from .problems import Problem, form_errors, from_problem, problem_response, validation_errors
from .schemas import (
    AnswerList,
    AnswerOut,
    AskIn,
    ExpertList,
    ProblemOut,
    QuestionList,
    QuestionOut,
    ReplyIn,
    ReportOut,
    TopicList,
)

MAX_ID = 2**63 - 1
DEFAULT_LIMIT, MAX_LIMIT = 20, 50
MAX_SEARCH_DEPTH = MAX_PAGE * PAGE_SIZE  # as /search/: the first 1,000 answers of a search, then refine it
ASK_RATE_GROUP = "qa_site.knowledge.views.ask"  # the /ask/ page's django-ratelimit group: one allowance for both


# --- Authentication, scopes and the rate limit ------------------------------------------------------------------


def _rate_limit(record):
    """Count a request against the token's allowance for this minute; over it, a 429 saying when to come back."""
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    now = timezone.now().timestamp()
    window = int(now // 60)
    key = f"api-rate:{record.pk}:{window}"
    try:
        cache.add(key, 0, 120)
        count = cache.incr(key)
    except ValueError:  # the key went (an evicting or unavailable cache): count this request as the first
        count = 1
    if count > limit:
        retry = max(1, math.ceil((window + 1) * 60 - now))
        raise Problem(
            429,
            f"This token may make {limit} requests a minute. Try again in {retry} seconds.",
            headers={"Retry-After": str(retry)},
        )


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: the token's record, its person in ``record.user``."""

    def authenticate(self, request, token):
        record = tokens.token_for(token.strip())
        if record is not None:
            _rate_limit(record)
        return record


def _person(request, scope):
    """The token's person, once the token is known to carry ``scope``."""
    record = request.auth
    if not record.allows(scope):
        raise Problem(
            403,
            f"This token does not have the “{scope}” scope. Make a token with it at /account/api-tokens/.",
            kind="missing-scope",
        )
    return record.user


api = NinjaAPI(
    title="Ask an Expert API",
    version="1",
    description="Topics, experts and answers of the knowledge base; asking questions and replying to experts; the "
    "network value report. Authenticate with a personal token: `Authorization: Bearer qae_…` (make one at "
    "/account/api-tokens/). Errors are RFC 9457 problem details. See docs/api.md.",
    urls_namespace="api_v1",
    auth=TokenAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(Problem)
def _problem(request, exc):
    return from_problem(exc)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return problem_response(
        401, "Send a live API token as “Authorization: Bearer <token>”. Make one at /account/api-tokens/."
    )


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    errors = validation_errors(exc.errors)
    in_address = all(str((error.get("loc") or ("",))[0]) in ("query", "path") for error in exc.errors)
    if in_address:
        return problem_response(400, "A parameter in the address is not right.", errors=errors)
    return problem_response(422, "Some of what was sent is not right: see errors.", errors=errors)


@api.exception_handler(HttpError)
def _http_error(request, exc):
    if exc.status_code == 400:  # ninja could not read the body as JSON
        return problem_response(400, "The request body is not valid JSON.", kind="bad-json")
    return problem_response(exc.status_code, str(exc))


# --- Helpers ------------------------------------------------------------------------------------------------------


def _absolute(request, path):
    return request.build_absolute_uri(path) if path else ""


def _page_url(request, page):
    return _absolute(request, page.get_url(request=request) or page.url or "")


def _limit(raw):
    return raw or DEFAULT_LIMIT


def _next(request, items, more, cursor_value, response):
    """The list's envelope: ``next`` (the cursor) and ``next_url`` (this address with it), also as a Link header."""
    if not more:
        return {"items": items, "next": None, "next_url": None}
    params = {key: value for key, value in request.GET.items() if key != "cursor"}
    params["cursor"] = cursor_value
    next_url = request.build_absolute_uri(f"{request.path}?{urlencode(params)}")
    response["Link"] = f'<{next_url}>; rel="next"'
    return {"items": items, "next": cursor_value, "next_url": next_url}


def _id(raw, what):
    """A path id as a number a row could have, or a 404 (a number past 64 bits must not reach the database)."""
    if not (1 <= raw <= MAX_ID):
        raise Problem(404, f"There is no {what} with this id that you can see.")
    return raw


def _clean_text(text):
    return (text or "").replace("\x00", "")


# --- Topics and experts -------------------------------------------------------------------------------------------


@api.get(
    "/topics",
    response={200: TopicList, codes_4xx: ProblemOut},
    operation_id="listTopics",
    summary="Topics, with how many answers you may see on each",
)
def topics(request):
    user = _person(request, Scope.READ)
    return {
        "items": [
            {
                "id": topic.pk,
                "title": topic.title,
                "slug": topic.slug,
                "description": topic.description,
                "url": _page_url(request, topic),
                "answer_count": topic.answer_count,
            }
            for topic in topics_with_answer_counts(user)
        ],
        "next": None,
        "next_url": None,
    }


@api.get(
    "/experts",
    response={200: ExpertList, codes_4xx: ProblemOut},
    operation_id="listExperts",
    summary="The experts on the panel",
)
def experts(request, response: HttpResponse, cursor: str = "", limit: int = Query(None, ge=1, le=MAX_LIMIT)):
    _person(request, Scope.READ)
    after = cursors.read(cursor, "experts").get("i", 0)
    profiles = list(
        ExpertProfile.objects.on_panel()
        .filter(user_id__gt=after)
        .select_related("user")
        .prefetch_related("topics")
        .order_by("user_id")[: _limit(limit) + 1]
    )
    more, profiles = len(profiles) > _limit(limit), profiles[: _limit(limit)]
    items = [
        {
            "id": profile.user_id,
            "name": profile.user.display_name,
            "slug": profile.slug,
            "headline": profile.headline,
            "organisation": profile.organisation,
            "topic_ids": sorted(topic.pk for topic in profile.topics.all() if topic.live),
            "url": _absolute(request, profile.get_absolute_url()),
        }
        for profile in profiles
    ]
    return _next(request, items, more, more and cursors.make("experts", i=profiles[-1].user_id), response)


# --- Answers ------------------------------------------------------------------------------------------------------


def _summary(request, page, hit=None):
    return {
        "id": page.pk,
        "title": page.title,
        "url": _page_url(request, page),
        "topic": {"id": page.topic_id, "title": page.topic.title},
        "expert": {"id": page.expert_id, "name": page.expert.display_name} if page.expert else None,
        "visibility": page.visibility,
        "published_at": page.published_at,
        "checked_on": page.checked_on,
        "teaser": teaser(page.answer),
        "highlight": {"title_html": hit.title_html, "snippet_html": hit.snippet_html} if hit else None,
    }


def _filters(request):
    filters, chosen, junk = parse_filters(request.GET)
    if junk:
        raise Problem(400, "topic, expert and year are whole numbers: the ids from /topics and /experts, a year.")
    return filters, chosen


def _listing(request, response, user, filters, cursor, limit):
    """Published answers newest first, as the home page and topic pages list them."""
    position = cursors.read(cursor, "answers")
    pages = QuestionPage.objects.listed_for(user)
    if filters.topic_id:
        pages = pages.filter(topic_id=filters.topic_id)
    if filters.expert_id:
        pages = pages.filter(expert_id=filters.expert_id)
    if filters.year:
        pages = pages.filter(published_at__year=filters.year)
    if position:
        try:
            moment, pk = dt.datetime.fromisoformat(position["t"]), int(position["i"])
        except (KeyError, TypeError, ValueError):
            raise Problem(400, "This cursor is not one the API gave out.", kind="bad-cursor") from None
        pages = pages.filter(published_at__lte=moment).exclude(published_at=moment, pk__gte=pk)
    found = list(pages[: limit + 1])
    more, found = len(found) > limit, found[:limit]
    items = [_summary(request, page) for page in found]
    last = found[-1] if found else None
    value = more and cursors.make("answers", t=last.published_at.isoformat(), i=last.pk)
    return _next(request, items, more, value, response)


def _search(request, response, user, query, filters, chosen, cursor, limit):
    """A page of search results, through the same engine, audience and highlights as /search/."""
    position = cursors.read(cursor, "search")
    if position and (position.get("q") != query or position.get("f") != chosen):
        raise Problem(
            400, "This cursor belongs to another search: send it with the same q, topic and expert.", kind="bad-cursor"
        )
    offset = position.get("o", 0) if position else 0
    if not isinstance(offset, int) or not 0 <= offset < MAX_SEARCH_DEPTH:
        raise Problem(400, "This cursor is not one the API gave out.", kind="bad-cursor")
    limit = min(limit, MAX_SEARCH_DEPTH - offset)
    results = get_backend().search(
        query, audience=audience_for(user), filters=filters, offset=offset, limit=limit, facets=False
    )
    ids = [hit.page_id for hit in results.hits]
    pages = QuestionPage.objects.live().filter(pk__in=ids).filter(access.published_filter(user))
    pages = {page.pk: page for page in pages.select_related("topic", "expert")}
    items = [_summary(request, pages[hit.page_id], hit) for hit in results.hits if hit.page_id in pages]
    more = offset + limit < min(results.total, MAX_SEARCH_DEPTH) and bool(results.hits)
    envelope = _next(
        request, items, more, more and cursors.make("search", q=query, f=chosen, o=offset + limit), response
    )
    envelope.update(total=results.total, relaxed=results.relaxed)
    return envelope


@api.get(
    "/answers",
    response={200: AnswerList, codes_4xx: ProblemOut},
    operation_id="listAnswers",
    summary="Search answers (q), or list them newest first",
)
def answers(
    request,
    response: HttpResponse,
    q: str = Query("", description="Words to search for; without it, answers are listed newest first."),
    topic: str = Query("", description="A topic's id."),
    expert: str = Query("", description="An expert's id."),
    year: str = Query("", description="The year of publication."),
    cursor: str = Query("", description="The `next` of the previous page."),
    limit: int = Query(None, ge=1, le=MAX_LIMIT, description=f"Answers per page (default {DEFAULT_LIMIT})."),
):
    user = _person(request, Scope.READ)
    filters, chosen = _filters(request)
    query = " ".join(_clean_text(q).split())
    if not query:
        return _listing(request, response, user, filters, cursor, _limit(limit))
    if len(query) > MAX_QUERY_LENGTH:
        raise Problem(400, f"Shorten the search to at most {MAX_QUERY_LENGTH} characters.")
    if not query_words(query):
        raise Problem(400, "Type at least one word to search for.")
    return _search(request, response, user, query, filters, chosen, cursor, _limit(limit))


@api.get(
    "/answers/{answer_id}",
    response={200: AnswerOut, codes_4xx: ProblemOut},
    operation_id="getAnswer",
    summary="One answer: in full if you may read it in full",
)
def answer(request, answer_id: int):
    user = _person(request, Scope.READ)
    if not is_page_id(answer_id) or answer_id < 1:
        raise Problem(404, "There is no answer with this id that you can see.")
    page = QuestionPage.objects.live().filter(pk=answer_id).select_related("topic", "expert", "network").first()
    if page is None or not access.can_see_published(user, page):
        raise Problem(404, "There is no answer with this id that you can see.")
    full = access.can_read_published_in_full(user, page)
    if full:
        usage.record_answer_read(user=user, answer_id=page.pk)
    source = page.attribution
    return {
        **_summary(request, page),
        "network": page.network.name if page.visibility == "network" and page.network else None,
        "asked_on": page.asked_on,
        "full_access": full,
        "question": page.question_text if full else Truncator(page.question_text).words(QUESTION_TEASER_WORDS),
        "answer_markdown": page.answer if full else None,
        "answer_html": render_markdown(page.answer) if full else None,
        "source": (
            {
                "name": page.source_name,
                "url": page.source_url,
                "licence": page.source_licence,
                "licence_url": page.source_licence_url,
                "authors": page.source_authors or [],
            }
            if source
            else None
        ),
    }


# --- Questions ----------------------------------------------------------------------------------------------------


def _question_summary(request, question, user):
    return {
        "id": question.pk,
        "title": question.title,
        "status": question.status,
        "status_label": question.get_status_display(),
        "topic": {"id": question.topic_id, "title": question.topic.title},
        "visibility": question.visibility,
        "submitted_at": question.submitted_at,
        "due_at": question.due_at,
        "needs_reply": question.status == Question.Status.AWAITING_CLARIFICATION and user.pk == question.asker_id,
        "url": _absolute(request, f"/questions/{question.pk}/"),
    }


def _question_detail(request, question, user):
    answer = getattr(question, "answer", None)
    show_answer = answer is not None and (  # as the question's page shows it
        question.status == Question.Status.PUBLISHED or user.pk == question.assignee_id or access.is_coordinator(user)
    )
    thread = question.events.filter(
        action__in=(QuestionEvent.Action.CLARIFICATION_REQUESTED, QuestionEvent.Action.CLARIFIED)
    ).select_related("actor")
    page = getattr(question, "page", None)
    return {
        **_question_summary(request, question, user),
        "details": question.details,
        "network": question.network.name,
        "thread": [
            {
                "kind": "request" if event.action == QuestionEvent.Action.CLARIFICATION_REQUESTED else "reply",
                "text": event.note,
                "at": event.created_at,
                "by": event.actor.display_name if event.actor else None,
            }
            for event in thread
        ],
        "answer_markdown": answer.body if show_answer else None,
        "answer_html": render_markdown(answer.body) if show_answer else None,
        "published_answer_id": page.pk if page is not None and page.live else None,
    }


def _followable(user, question_id):
    _id(question_id, "question")
    question = Question.objects.select_related("topic", "network", "page", "answer").filter(pk=question_id).first()
    if question is None or not access.can_follow_question(user, question):
        raise Problem(404, "There is no question with this id that you can see.")
    return question


@api.get(
    "/questions",
    response={200: QuestionList, codes_4xx: ProblemOut},
    operation_id="listMyQuestions",
    summary="Your own questions, newest first",
)
def my_questions(request, response: HttpResponse, cursor: str = "", limit: int = Query(None, ge=1, le=MAX_LIMIT)):
    user = _person(request, Scope.READ)
    position = cursors.read(cursor, "questions")
    questions = Question.objects.filter(asker=user).select_related("topic").order_by("-submitted_at", "-pk")
    if position:
        try:
            moment, pk = dt.datetime.fromisoformat(position["t"]), int(position["i"])
        except (KeyError, TypeError, ValueError):
            raise Problem(400, "This cursor is not one the API gave out.", kind="bad-cursor") from None
        questions = questions.filter(submitted_at__lte=moment).exclude(submitted_at=moment, pk__gte=pk)
    found = list(questions[: _limit(limit) + 1])
    more, found = len(found) > _limit(limit), found[: _limit(limit)]
    items = [_question_summary(request, question, user) for question in found]
    value = more and cursors.make("questions", t=found[-1].submitted_at.isoformat(), i=found[-1].pk)
    return _next(request, items, more, value, response)


@api.get(
    "/questions/{question_id}",
    response={200: QuestionOut, codes_4xx: ProblemOut},
    operation_id="getQuestion",
    summary="One question you asked, or answer, or oversee",
)
def question(request, question_id: int):
    user = _person(request, Scope.READ)
    return _question_detail(request, _followable(user, question_id), user)


def _check_ask_rate(request, user):
    """The /ask/ page's limit on asking, counted together with it."""
    request.user = user  # django-ratelimit's "user" key reads it; the token's person is the one asking
    found = get_usage(
        request, group=ASK_RATE_GROUP, key="user", rate=settings.RATE_LIMIT_ASK, method="POST", increment=True
    )
    if found and found["should_limit"]:
        retry = max(1, int(found.get("time_left") or 60))
        raise Problem(
            429,
            f"You have asked many questions in a short time. Try again in {retry} seconds.",
            headers={"Retry-After": str(retry)},
        )


@api.post(
    "/questions",
    response={201: QuestionOut, codes_4xx: ProblemOut},
    operation_id="askQuestion",
    summary="Ask a question, as at /ask/",
)
def ask(request, response: HttpResponse, payload: AskIn):
    user = _person(request, Scope.ASK)
    networks = access.networks_for_asking(user)
    if not networks:
        raise Problem(
            403,
            "You can ask questions only while one of your networks has a current subscription.",
            kind="no-subscription",
        )
    allowances = [(network, *access.allowance(network)) for network in networks]
    open_ids = [network.pk for network, left, _subscription in allowances if left != 0]
    if not open_ids:
        raise Problem(
            403,
            "Your networks have used all the questions of their allowance for this year; you can "
            "still search and read every answer.",
            kind="allowance-used",
        )
    _check_ask_rate(request, user)
    networks = networks.filter(pk__in=open_ids)
    data = {name: "" if val is None else str(val) for name, val in payload.dict().items()}
    if not data["network"] and len(networks) == 1:
        data["network"] = str(networks[0].pk)
    form = AskForm(data, networks=networks)
    if not form.is_valid():
        raise Problem(422, "The question was not sent: see errors.", errors=form_errors(form))
    try:
        question = services.question_submit(asker=user, **form.cleaned_data)
    except services.TransitionError as exc:
        raise Problem(409, str(exc)) from None
    question = _followable(user, question.pk)
    response["Location"] = _absolute(request, f"/api/v1/questions/{question.pk}")
    return Status(201, _question_detail(request, question, user))


@api.post(
    "/questions/{question_id}/replies",
    operation_id="replyToExpert",
    response={201: QuestionOut, codes_4xx: ProblemOut},
    summary="Reply to the expert's request for more detail",
)
def reply(request, question_id: int, payload: ReplyIn):
    user = _person(request, Scope.ASK)
    question = _followable(user, question_id)
    if question.asker_id != user.pk:
        raise Problem(403, "Only the person who asked can reply to the expert.")
    form = ClarificationReplyForm({"reply": payload.reply or ""})
    if not form.is_valid():
        raise Problem(422, "The reply was not sent: see errors.", errors=form_errors(form))
    try:
        services.question_clarify(question_id=question.pk, actor=user, reply=form.cleaned_data["reply"])
    except services.TransitionError as exc:
        raise Problem(409, str(exc)) from None
    return Status(201, _question_detail(request, _followable(user, question.pk), user))


# --- The network's value report -----------------------------------------------------------------------------------


def _report_row(row):
    return {
        "month": f"{row.month:%Y-%m}" if row.month else None,
        "label": row.label,
        "asked": row.asked,
        "answered": row.answered,
        "met": row.met,
        "met_percent": row.met_percent,
        "median_hours": row.median_hours,
        "p90_hours": row.p90_hours,
        "answers_read": row.answers_read,
        "deflections": row.deflections,
        "widget_views": row.widget_views,
    }


def _report_network(user, slug):
    if slug:
        network = Network.objects.filter(slug=slug[:100]).first()
        if network is None or not access.can_manage_network(user, network):
            raise Problem(403, "The value report is for the network's admins: you do not administer this network.")
        return network
    admin_of = list(Network.objects.filter(memberships__user=user, memberships__role=Membership.Role.ADMIN)[:2])
    if len(admin_of) == 1:
        return admin_of[0]
    if admin_of or access.is_coordinator(user):
        raise Problem(400, "Choose the network with network=<its slug>: you can see the report of several.")
    raise Problem(403, "The value report is for network admins: your account does not administer a network.")


@api.get(
    "/network/report",
    response={200: ReportOut, codes_4xx: ProblemOut},
    operation_id="getNetworkReport",
    summary="The network's value report, by month",
)
def network_report(
    request,
    network: str = Query("", description="The network's slug; needed only by admins of several networks."),
    from_: str = Query("", alias="from", description="The first month, YYYY-MM (default: 12 months ago)."),
    to: str = Query("", description="The last month, YYYY-MM (default: this month)."),
):
    user = _person(request, Scope.REPORT)
    chosen = _report_network(user, _clean_text(network))
    period = value.parse_period({"from": _clean_text(from_), "to": _clean_text(to)})
    if period.error:
        raise Problem(400, period.error, errors=[{"field": "from", "detail": period.error}])
    result = value.value_report(chosen, first=period.first, months=period.months)
    return {
        "network": chosen.slug,
        "network_name": chosen.name,
        "start": result.start,
        "end": result.end,
        "months": [_report_row(row) for row in result.rows],
        "total": _report_row(result.total),
    }
