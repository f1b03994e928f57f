"""Personal data in the publishable copy of an answer (see ``pii.py``): flags, and the check before publishing.

A flag is cleared by a coordinator marking it "not personal data", or by the text being edited out of the copy
(found gone when the copy is scanned again). Publishing (a question's answer, or an updated answer) refuses while
any likely personal data is uncleared.
"""

from django.db import transaction
from django.utils import timezone

from subscriptions.access import Visibility

from .. import pii
from ..models import (
    Answer,
    AnswerReview,
    PersonalDataFlag,
    Question,
    QuestionEvent,
)
from .transitions import PersonalDataError, TransitionError, _check_coordinator, _event, _lock, _lock_review

Status = Question.Status
Action = QuestionEvent.Action


def _flag_owner(*, question=None, review=None):
    """The audit-trail keys of the answer a flag belongs to: its question, and the review for an update."""
    if review is not None:
        return {"question_id": review.page.question_id, "review": review}
    return {"question_id": question.pk}


def _flags_sync(flags, copy, *, actor, question=None, review=None):
    """Scan ``copy`` again and bring the stored ``flags`` (a related manager) in step with what it now holds.

    A flag still found keeps its state (and moves to where the text now is); an uncleared flag no longer found was
    edited out, and is cleared as such, with an audit line; a new finding becomes a new, uncleared flag.
    """
    now = timezone.now()
    found = pii.scan(copy)
    owner = _flag_owner(question=question, review=review)
    removed, kept = [], set()
    for flag in flags.exclude(resolution=PersonalDataFlag.Resolution.REMOVED).order_by("field", "start", "pk"):
        same = [f for f in found if (f.field, f.kind, f.text) == (flag.field, flag.kind, flag.text) and f not in kept]
        if same:
            match = min(same, key=lambda f: abs(f.start - flag.start))
            kept.add(match)
            if match.start != flag.start:
                PersonalDataFlag.objects.filter(pk=flag.pk).update(start=match.start)
        elif not flag.is_cleared:
            flag.cleared_by, flag.cleared_at, flag.resolution = actor, now, PersonalDataFlag.Resolution.REMOVED
            flag.save(update_fields=["cleared_by", "cleared_at", "resolution"])
            removed.append(flag)
    for flag in removed:
        _event(**owner, actor=actor, action=Action.PII_REMOVED, note=f"{flag} was edited out.", now=now)
    new = [
        PersonalDataFlag(
            question=None if review else question,
            review=review,
            kind=f.kind,
            field=f.field,
            text=f.text[:200],
            start=f.start,
            created_at=now,
        )
        for f in found
        if f not in kept
    ]
    if new:
        PersonalDataFlag.objects.bulk_create(new)
        listed = "; ".join(str(flag) for flag in new)
        _event(**owner, actor=actor, action=Action.PII_FLAGGED, note=f"To check before publishing: {listed}.", now=now)
    return new


def _refuse_personal_data(flags, copy):
    """Raise ``PersonalDataError`` if ``copy`` holds likely personal data not cleared as "not personal data"."""
    cleared = set(
        flags.filter(resolution=PersonalDataFlag.Resolution.NOT_PERSONAL).values_list("field", "kind", "text")
    )
    waiting = [f for f in pii.scan(copy) if (f.field, f.kind, f.text) not in cleared]
    if waiting:
        fields = dict(PersonalDataFlag.Field.choices)
        listed = "; ".join(f"{f.kind_label.lower()} “{f.text}” in the {fields[f.field]}" for f in waiting)
        raise PersonalDataError(
            f"Not published: the copy still has {len(waiting)} possible item{'s' if len(waiting) != 1 else ''} of "
            f"personal data to clear ({listed}). Edit each out, or mark it “not personal data”."
        )


@transaction.atomic
def answer_copy_save(*, question_id, actor, title, question_text, answer_text):
    """A coordinator saves their edit of the copy to publish; it is scanned again for personal data."""
    _check_coordinator(actor)
    question = _lock(question_id)
    if question.status != Status.ANSWERED:
        raise TransitionError("That answer is not waiting for review any more.")
    copy = {"title": title.strip(), "question_text": question_text.strip(), "answer_text": answer_text.strip()}
    Answer.objects.filter(question=question).update(
        publish_title=copy["title"],
        publish_question_text=copy["question_text"],
        publish_answer_text=copy["answer_text"],
    )
    if question.visibility != Visibility.PRIVATE:
        _flags_sync(question.personal_data_flags, copy, actor=actor, question=question)
    return question


@transaction.atomic
def personal_data_flag_clear(*, flag_id, actor):
    """A coordinator marks a flag "not personal data" (e.g. an organisation's helpline). Clearing twice is harmless."""
    _check_coordinator(actor)
    # Lock what the flag belongs to first (as publishing does, before it touches flags), so that a flag is never
    # cleared while its answer is being published, and the two cannot deadlock.
    belongs_to = PersonalDataFlag.objects.filter(pk=flag_id).values("question_id", "review_id").get()
    if belongs_to["question_id"]:
        owner_open = _lock(belongs_to["question_id"]).status == Status.ANSWERED
        owner = {"question_id": belongs_to["question_id"]}
    else:
        review = _lock_review(belongs_to["review_id"])
        owner_open = review.status == AnswerReview.Status.SUBMITTED
        owner = _flag_owner(review=review)
    flag = PersonalDataFlag.objects.select_for_update().get(pk=flag_id)
    if flag.is_cleared:
        return flag
    if not owner_open:
        raise TransitionError("That answer is not waiting for review any more.")
    now = timezone.now()
    flag.cleared_by, flag.cleared_at, flag.resolution = actor, now, PersonalDataFlag.Resolution.NOT_PERSONAL
    flag.save(update_fields=["cleared_by", "cleared_at", "resolution"])
    _event(**owner, actor=actor, action=Action.PII_CLEARED, note=f"{flag}: not personal data.", now=now)
    return flag
