"""What readers say about published answers: ratings and "Was this helpful?" votes."""

from django.db import transaction

from subscriptions import access

from ..models import (
    AnswerRating,
    HelpfulVote,
    Question,
    QuestionEvent,
    QuestionPage,
)
from .transitions import TransitionError

Status = Question.Status
Action = QuestionEvent.Action


@transaction.atomic
def answer_rate(*, question_id, user, stars, comment=""):
    """Record (or change) one reader's rating of a published answer."""
    question = Question.objects.select_related("page").get(pk=question_id)
    if question.status != Status.PUBLISHED:
        raise TransitionError("Only published answers can be rated.")
    page = getattr(question, "page", None)
    may_read = user.pk == question.asker_id or (
        page is not None and page.live and access.can_read_published_in_full(user, page)
    )
    if not may_read:
        raise TransitionError("You can rate answers you can read in full.")
    if question.assignee_id == user.pk:
        raise TransitionError("Experts cannot rate their own answers.")
    rating, _ = AnswerRating.objects.update_or_create(
        question=question, user=user, defaults={"stars": stars, "comment": comment.strip()}
    )
    return rating


@transaction.atomic
def answer_vote_helpful(*, page_id, user, helpful):
    """Record (or change) one reader's "Was this helpful?" vote on a published answer."""
    page = QuestionPage.objects.live().filter(pk=page_id).first()
    if page is None:
        raise TransitionError("That answer is not published.")
    if not access.can_read_published_in_full(user, page):
        raise TransitionError("You can say whether an answer helped once you can read it in full.")
    if page.expert_id == user.pk:
        raise TransitionError("Experts cannot vote on their own answers.")
    vote, _ = HelpfulVote.objects.update_or_create(page=page, user=user, defaults={"helpful": bool(helpful)})
    return vote
