"""The core's personal fragments and per-request effects (see ``pagecache``): the header, messages, and an answer
page's "Was this helpful?" and rating; counting an answer read."""

from django.contrib.messages import get_messages

from qa_site.context_processors import navigation
from subscriptions import usage

from . import pagecache
from .forms import RatingForm
from .models import AnswerRating, helpful_summary, rating_summary


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


@pagecache.fragment("answer_feedback", "knowledge/includes/answer_feedback.html", vary=_answer_feedback_vary)
def answer_feedback(request, *, page_id, question_id, expert_id):
    """For a reader of the full answer: "Was this helpful?" (and its counts, for coordinators and the answer's
    expert), the rating summary, and the reader's own rating with the form to change it."""
    return feedback_context(request.user, page_id=page_id, question_id=question_id, expert_id=expert_id)


def feedback_context(user, *, page_id, question_id, expert_id, full_access=True, may_rate=None):
    """The context of ``knowledge/includes/answer_feedback.html`` for ``user``: on the answer page (as the fragment
    above) and on the asker's own question page. ``page_id`` may be None (a private answer has no page): then there is
    nothing to vote on, only the rating. ``may_rate`` (default: signed in and not the answer's expert) says whether
    the rating form is offered."""
    context = {"page": {"pk": page_id, "question_id": question_id}}
    if page_id:
        context["helpful"] = helpful_summary(page_id=page_id, expert_id=expert_id, user=user, full_access=full_access)
    else:
        context["helpful"] = {"may_vote": False, "sees_counts": False, "mine": None}
    if question_id:
        average, count = rating_summary([question_id]).get(question_id, (None, 0))
        context["rating"] = {"average": average, "count": count}
        if may_rate is None:
            may_rate = user.is_authenticated and user.pk != expert_id
        if may_rate:
            mine = AnswerRating.objects.filter(question_id=question_id, user=user).first()
            context["rating_form"] = RatingForm(
                initial={"stars": mine.stars, "comment": mine.comment} if mine else None
            )
            context["my_rating"] = mine
    return context


@pagecache.effect_handler("answer_read")
def answer_read(request, *, answer_id):
    usage.record_answer_read(user=getattr(request, "user", None), answer_id=answer_id)
