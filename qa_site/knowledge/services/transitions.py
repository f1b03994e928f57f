"""The lock-claim-audit step every state machine of the core shares.

``_transition`` locks a question's row (``SELECT … FOR UPDATE``) before any check on it, claims it with a
conditional UPDATE (``status`` must still be one of the expected states), so two people or a person and a job
racing on one question get exactly one winner (the loser gets a ``TransitionError`` it can show), moves the SLA
clock (``clock.py``), and writes the ``QuestionEvent`` that coordinators read as the audit trail.
"""

from django.utils import timezone

from subscriptions import access

from ..clock import deadlines
from ..models import (
    AnswerReview,
    Question,
    QuestionEvent,
    SLASettings,
)

Status = Question.Status
Action = QuestionEvent.Action
PAUSE, RESUME, STOP = "pause", "resume", "stop"


class TransitionError(Exception):
    """The question is not in a state that allows this; the message says why, for people."""


class PersonalDataError(TransitionError):
    """Publishing refused: the copy still holds likely personal data that no coordinator has cleared."""


class RedactionError(TransitionError):
    """Redacting refused: the text is no longer where the flag says (the copy changed since), so nothing changed."""


def _lock(question_id):
    """Read a question and hold its row until the transaction ends, so checks made on it stay true."""
    return Question.objects.select_for_update().get(pk=question_id)


def _clock_changes(question, clock, now):
    """The SLA fields to change when ``question`` (locked) pauses, resumes or stops at ``now``."""
    if clock == PAUSE and question.sla_running:
        return {"sla_running": False, "paused_at": now}
    if clock == STOP:
        return {"sla_running": False}
    if clock == RESUME and not question.sla_running and question.paused_at is not None:
        policy = SLASettings.load()
        calendar = policy.calendar()
        paused = question.paused_seconds + int(calendar.working_time_between(question.paused_at, now).total_seconds())
        warn_at, due_at = deadlines(
            submitted_at=question.submitted_at,
            sla_hours=question.sla_hours,
            paused_seconds=paused,
            warning_fraction=policy.warning_fraction,
            calendar=calendar,
        )
        return {"sla_running": True, "paused_at": None, "paused_seconds": paused, "warn_at": warn_at, "due_at": due_at}
    return {}


def _transition(question_id, *, allowed, to=None, actor, action, note="", expert=None, clock=None, **changes):
    """Move a question from one of ``allowed`` states to ``to`` (or keep its state), or raise ``TransitionError``."""
    question = _lock(question_id)
    if question.status not in allowed:
        raise TransitionError(
            f"This question is now “{question.get_status_display().lower()}”, so that is no longer possible."
        )
    now = timezone.now()
    to = to or question.status
    changes = {**_clock_changes(question, clock, now), **changes}
    claimed = Question.objects.filter(pk=question.pk, status=question.status).update(
        status=to, updated_at=now, **changes
    )
    if not claimed:  # someone else moved it between our read and our write
        raise TransitionError("Someone else changed this question at the same moment; please reload.")
    QuestionEvent.objects.create(
        question=question,
        actor=actor,
        expert=expert,
        action=action,
        from_status=question.status,
        to_status=to,
        note=note,
        created_at=now,
    )
    question.refresh_from_db()
    return question


def _check_coordinator(actor):
    if not access.is_coordinator(actor):
        raise TransitionError("Only coordinators can do that.")


def _check_assignee(question, expert):
    if question.assignee_id != expert.pk:
        raise TransitionError("This question is not assigned to you.")


def _event(
    *,
    question_id=None,
    review=None,
    actor=None,
    expert=None,
    expert_id=None,
    action,
    note="",
    status=("", ""),
    now=None,
):
    return QuestionEvent.objects.create(
        question_id=question_id,
        review=review,
        actor=actor,
        expert_id=expert.pk if expert is not None else expert_id,
        action=action,
        from_status=status[0],
        to_status=status[1],
        note=note,
        created_at=now or timezone.now(),
    )


def _lock_review(review_id):
    return AnswerReview.objects.select_for_update(of=("self",)).select_related("page").get(pk=review_id)
