"""The core's personal fragments and per-request effects (see ``pagecache``): the header, messages, and an answer
page's "Was this helpful?" and rating; counting an answer read."""

from django.contrib.messages import get_messages

from qa_site.context_processors import navigation
from subscriptions import access, usage

from . import pagecache
from .forms import RatingForm
from .models import AnswerRating, HelpfulVote


def _nav_vary(request, context):
    return tuple(sorted(context["nav"].items()))


def _account_vary(request, context):
    user = context["user"]
    return (user.pk, user.display_name) if user.is_authenticated else None  # signed out: the page's own address


def _messages_vary(request, context):
    return () if not context["messages"] else None  # nothing to say: the same (empty) text for everyone


def _answer_feedback_vary(request, context):
    mine = context.get("my_rating")
    return (
        tuple(sorted(context["page"].items())),
        tuple(sorted(context["helpful"].items())),
        tuple(sorted(context.get("rating", {}).items())),
        "rating_form" in context,
        (mine.stars, mine.comment) if mine else None,
    )


@pagecache.fragment("nav", "includes/nav_personal.html", vary=_nav_vary)
def nav(request):
    return navigation(request)


@pagecache.fragment("account", "includes/account.html", vary=_account_vary)
def account(request):
    return {}


@pagecache.fragment("messages", "includes/messages.html", vary=_messages_vary)
def messages(request):
    return {"messages": get_messages(request) if hasattr(request, "_messages") else []}


def _answer_feedback_lookup(request, *, page_id, question_id, expert_id):
    return _feedback_plan(request.user, page_id=page_id, question_id=question_id, expert_id=expert_id)[1]


@pagecache.fragment(
    "answer_feedback",
    "knowledge/includes/answer_feedback.html",
    vary=_answer_feedback_vary,
    lookup=_answer_feedback_lookup,
)
def answer_feedback(request, *, page_id, question_id, expert_id, looked_up):
    """For a reader of the full answer: "Was this helpful?" (and its counts, for coordinators and the answer's
    expert), the rating summary, and the reader's own rating with the form to change it."""
    return feedback_context(
        request.user, page_id=page_id, question_id=question_id, expert_id=expert_id, looked_up=looked_up
    )


def _feedback_plan(user, *, page_id, question_id, expert_id, full_access=True, may_rate=None):
    """What the feedback box shows this reader, and what it reads for them: ``(shows, pieces)``, ``shows`` naming
    each value the lookups ``pieces`` (scalar subqueries, for ``pagecache.look_up``) give, in order.

    "Was this helpful?" (``page_id``; a private answer has no page, so nothing to vote on): the reader's vote if they
    may vote (signed in, reading in full, not the answer's expert), the counts for coordinators and the expert. The
    rating (``question_id``; imported answers have none): its average and count, and the reader's own rating if they
    may rate (``may_rate``; default: signed in and not the answer's expert)."""
    votes, ratings = HelpfulVote._meta.db_table, AnswerRating._meta.db_table
    shows = {"may_vote": False, "sees_counts": False, "may_rate": False, "values": []}
    pieces = []

    def read(name, sql, params):
        shows["values"].append(name)
        pieces.append((sql, params))

    if page_id:
        shows["may_vote"] = bool(full_access and user.is_authenticated and user.pk != expert_id)
        shows["sees_counts"] = access.is_coordinator(user) or (user.is_authenticated and user.pk == expert_id)
        if shows["sees_counts"]:
            for name, helpful in (("yes", True), ("no", False)):
                read(name, f"SELECT COUNT(*) FROM {votes} WHERE page_id = %s AND helpful = %s", [page_id, helpful])
        if shows["may_vote"]:
            read("mine", f"SELECT helpful FROM {votes} WHERE page_id = %s AND user_id = %s", [page_id, user.pk])
    if question_id:
        read("average", f"SELECT AVG(stars) FROM {ratings} WHERE question_id = %s", [question_id])
        read("count", f"SELECT COUNT(*) FROM {ratings} WHERE question_id = %s", [question_id])
        shows["may_rate"] = bool(
            (user.is_authenticated and user.pk != expert_id) if may_rate is None else may_rate and user.is_authenticated
        )
        if shows["may_rate"]:
            for column in ("id", "stars", "comment"):
                read(
                    f"my_{column}",
                    f"SELECT {column} FROM {ratings} WHERE question_id = %s AND user_id = %s",
                    [question_id, user.pk],
                )
    return shows, pieces


def feedback_context(user, *, page_id, question_id, expert_id, full_access=True, may_rate=None, looked_up=None):
    """The context of ``knowledge/includes/answer_feedback.html`` for ``user``: on the answer page (as the fragment
    above, with its lookups made with the page's other fragments': ``looked_up``) and on the asker's own question
    page (looked up here, in one query)."""
    shows, pieces = _feedback_plan(
        user, page_id=page_id, question_id=question_id, expert_id=expert_id, full_access=full_access, may_rate=may_rate
    )
    if looked_up is None:
        looked_up = pagecache.look_up(pieces)
    values = dict(zip(shows["values"], looked_up, strict=True))
    helpful = {"may_vote": shows["may_vote"], "sees_counts": shows["sees_counts"], "mine": None}
    if shows["sees_counts"]:
        helpful.update(yes=values["yes"], no=values["no"])
    if values.get("mine") is not None:
        helpful["mine"] = bool(values["mine"])
    context = {"page": {"pk": page_id, "question_id": question_id}, "helpful": helpful}
    if question_id:
        average = values["average"]
        context["rating"] = {"average": float(average) if average is not None else None, "count": values["count"]}
        if shows["may_rate"]:
            mine = None
            if values["my_id"] is not None:
                mine = AnswerRating(
                    pk=values["my_id"],
                    question_id=question_id,
                    user_id=user.pk,
                    stars=values["my_stars"],
                    comment=values["my_comment"],
                )
            context["rating_form"] = RatingForm(
                initial={"stars": mine.stars, "comment": mine.comment} if mine else None
            )
            context["my_rating"] = mine
    return context


@pagecache.effect_handler("answer_read")
def answer_read(request, *, answer_id):
    usage.record_answer_read(user=getattr(request, "user", None), answer_id=answer_id)
