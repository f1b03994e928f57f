"""Published answers come back for review: the review's state machine.

The daily sweep (``experts/reviews.py``) opens a review for each answer whose review-by date has come; its expert
confirms it or writes an update, which a coordinator reviews (personal data included) and publishes.
"""

from django.db import transaction
from django.utils import timezone

from qa_site import outbox
from subscriptions import access

from .. import tasks
from ..models import (
    AnswerReview,
    KnowledgeSettings,
    QuestionEvent,
    QuestionPage,
)
from .personal_data import _flags_sync, _refuse_personal_data
from .transitions import TransitionError, _check_coordinator, _event, _lock_review

ReviewStatus = AnswerReview.Status
Action = QuestionEvent.Action


def _claim_review(review, *, allowed, to, **changes):
    """Move a locked review from one of ``allowed`` states to ``to``, or raise ``TransitionError``."""
    if review.status not in allowed:
        raise TransitionError(
            f"This review is now “{review.get_status_display().lower()}”, so that is no longer possible."
        )
    if not AnswerReview.objects.filter(pk=review.pk, status=review.status).update(status=to, **changes):
        raise TransitionError("Someone else changed this review at the same moment; please reload.")
    before = review.status
    review.refresh_from_db()
    return before


def may_review(review, expert):
    """Is ``expert`` on the panel, and is this review theirs, or open to everyone on their topic?"""
    if not access.is_panel_expert(expert):
        return False
    if review.expert_id is not None:
        return review.expert_id == expert.pk
    # Read through the relation the experts app adds to the user (the core does not import it).
    return expert.expert_profile.topics.filter(pk=review.page.topic_id).exists()


def _check_reviewer(review, expert):
    if not may_review(review, expert):
        raise TransitionError("This answer is being reviewed by another expert.")


def _publish_page(page_id, *, user, **changes):
    """Change a published answer page as a new revision, published (or left as a draft if the page is not live),
    and take it out of the review queue."""
    page = QuestionPage.objects.get(pk=page_id)
    for field, value in changes.items():
        setattr(page, field, value)
    revision = page.save_revision(user=user, log_action=True)
    if page.live:
        revision.publish(user=user, skip_permission_checks=True)
    QuestionPage.objects.filter(pk=page_id).update(review_queued_at=None)
    return page


def review_dates_fill(*, limit):
    """Give a review-by date to answers that have none (pages created in bulk): checked date + the set period.

    Reads them through the review sweep's index; returns how many were dated.
    """
    policy = KnowledgeSettings.load()
    undated = QuestionPage.objects.filter(review_queued_at=None, review_by=None).order_by("pk")
    by_date = {}
    for pk, checked_on in undated.values_list("pk", "checked_on")[:limit]:
        by_date.setdefault(checked_on, []).append(pk)
    for checked_on, ids in by_date.items():
        QuestionPage.objects.filter(pk__in=ids, review_by=None).update(review_by=policy.review_by_for(checked_on))
    return sum(len(ids) for ids in by_date.values())


def answer_review_open(*, page_id, expert_id, today, now=None):
    """Put a published answer whose review-by date has come into the review queue, for ``expert_id`` (or, if None,
    for anyone on its topic). Returns the review, or None if it was already queued (by another sweep, say)."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = QuestionPage.objects.filter(pk=page_id, review_queued_at=None, review_by__lte=today).update(
            review_queued_at=now
        )
        if not claimed:
            return None
        # An editor's older draft published over the queue marker must not open a second review.
        if AnswerReview.objects.open().filter(page_id=page_id).exists():
            return None
        page = QuestionPage.objects.only("review_by", "question_id", "title").get(pk=page_id)
        review = AnswerReview.objects.create(page=page, expert_id=expert_id, due_on=page.review_by, opened_at=now)
        who = "its expert" if expert_id else "the experts on its topic (its own expert has left the panel)"
        _event(
            question_id=page.question_id,
            review=review,
            expert_id=expert_id,
            action=Action.REVIEW_DUE,
            note=f"Review-by date {page.review_by:%d %b %Y} reached: sent to {who}.",
            status=("", ReviewStatus.DUE),
            now=now,
        )
    return review


@transaction.atomic
def answer_review_confirm(*, review_id, expert):
    """The expert confirms the published answer is still correct: it is checked today and due again in a period."""
    review = _lock_review(review_id)
    _check_reviewer(review, expert)
    now = timezone.now()
    before = _claim_review(
        review, allowed=(ReviewStatus.DUE,), to=ReviewStatus.CONFIRMED, expert=expert, closed_at=now, closed_by=expert
    )
    checked_on = timezone.localdate(now)
    review_by = KnowledgeSettings.load().review_by_for(checked_on)
    _publish_page(review.page_id, user=expert, checked_on=checked_on, review_by=review_by)
    _event(
        question_id=review.page.question_id,
        review=review,
        actor=expert,
        expert=expert,
        action=Action.REVIEW_CONFIRMED,
        note=f"Checked on {checked_on:%d %b %Y}; next review by {review_by:%d %b %Y}.",
        status=(before, review.status),
        now=now,
    )
    return review


@transaction.atomic
def answer_review_submit(*, review_id, expert, body):
    """The expert sends an updated answer; a coordinator reviews it like any answer before it replaces the page's."""
    review = _lock_review(review_id)
    _check_reviewer(review, expert)
    now = timezone.now()
    page = review.page
    before = _claim_review(
        review,
        allowed=(ReviewStatus.DUE,),
        to=ReviewStatus.SUBMITTED,
        expert=expert,
        submitted_at=now,
        title=review.title or page.title,
        question_text=review.question_text or page.question_text,
        answer_text=body.strip(),
    )
    _event(
        question_id=page.question_id,
        review=review,
        actor=expert,
        expert=expert,
        action=Action.UPDATE_SUBMITTED,
        status=(before, review.status),
        now=now,
    )
    _flags_sync(review.personal_data_flags, review.publishable_copy(), actor=expert, review=review)
    return review


@transaction.atomic
def answer_review_copy_save(*, review_id, actor, title, question_text, answer_text):
    """A coordinator saves their edit of an updated answer's copy; it is scanned again for personal data."""
    _check_coordinator(actor)
    review = _lock_review(review_id)
    if review.status != ReviewStatus.SUBMITTED:
        raise TransitionError("That update is not waiting for review any more.")
    AnswerReview.objects.filter(pk=review.pk).update(
        title=title.strip(), question_text=question_text.strip(), answer_text=answer_text.strip()
    )
    review.refresh_from_db()
    _flags_sync(review.personal_data_flags, review.publishable_copy(), actor=actor, review=review)
    return review


@transaction.atomic
def answer_review_publish(*, review_id, actor, title, question_text, answer_text):
    """A coordinator publishes an updated answer: the page takes the reviewed copy and is checked today."""
    _check_coordinator(actor)
    review = _lock_review(review_id)
    copy = {"title": title.strip(), "question_text": question_text.strip(), "answer_text": answer_text.strip()}
    if review.status == ReviewStatus.SUBMITTED:
        _refuse_personal_data(review.personal_data_flags, copy)
    now = timezone.now()
    before = _claim_review(
        review,
        allowed=(ReviewStatus.SUBMITTED,),
        to=ReviewStatus.UPDATED,
        closed_at=now,
        closed_by=actor,
        title=copy["title"],
        question_text=copy["question_text"],
        answer_text=copy["answer_text"],
    )
    _flags_sync(review.personal_data_flags, copy, actor=actor, review=review)
    checked_on = timezone.localdate(now)
    review_by = KnowledgeSettings.load().review_by_for(checked_on)
    _publish_page(
        review.page_id,
        user=actor,
        title=copy["title"],
        draft_title=copy["title"],
        question_text=copy["question_text"],
        answer=copy["answer_text"],
        expert=review.expert,
        checked_on=checked_on,
        review_by=review_by,
    )
    _event(
        question_id=review.page.question_id,
        review=review,
        actor=actor,
        expert=review.expert,
        action=Action.UPDATE_PUBLISHED,
        note=f"Checked on {checked_on:%d %b %Y}; next review by {review_by:%d %b %Y}.",
        status=(before, review.status),
        now=now,
    )
    outbox.enqueue(tasks.send_update_published_email, review.pk)
    return review


@transaction.atomic
def answer_review_return(*, review_id, actor, comment):
    """A coordinator sends an updated answer back to its expert with what to change."""
    _check_coordinator(actor)
    review = _lock_review(review_id)
    now = timezone.now()
    before = _claim_review(review, allowed=(ReviewStatus.SUBMITTED,), to=ReviewStatus.DUE, review_comment=comment)
    _event(
        question_id=review.page.question_id,
        review=review,
        actor=actor,
        expert=review.expert,
        action=Action.UPDATE_RETURNED,
        note=comment,
        status=(before, review.status),
        now=now,
    )
    outbox.enqueue(tasks.send_update_returned_email, review.pk)
    return review


@transaction.atomic
def answer_reviews_release(*, expert, actor=None):
    """An expert left the panel: the answers waiting for their review go to everyone on the answers' topics."""
    released = 0
    for review in (
        AnswerReview.objects.select_for_update(of=("self",))
        .select_related("page")
        .filter(expert=expert, status=ReviewStatus.DUE)
    ):
        AnswerReview.objects.filter(pk=review.pk, status=ReviewStatus.DUE).update(expert=None)
        _event(
            question_id=review.page.question_id,
            review=review,
            actor=actor,
            expert=expert,
            action=Action.REVIEW_DUE,
            note=f"{expert.display_name} left the panel: sent to the experts on its topic.",
            status=(ReviewStatus.DUE, ReviewStatus.DUE),
        )
        released += 1
    return released
