"""The question lifecycle: asking, routing, the expert's work, clarification, review and publication, the side
exits, and the SLA sweep's claims.

``submitted → assigned → (awaiting_clarification ⇄ assigned) → answered → published``, with ``declined``
(routed again), ``withdrawn``, ``closed_as_duplicate`` and ``rejected``. Each transition goes through
``transitions._transition`` and records its side effects (routing, e-mail) in the outbox, in the same transaction;
they run once it commits. Transitions also drive the SLA clock: it stops while the question waits on the adviser
(clarification) or on a coordinator's review, and on resuming, the warning and due moments move later by exactly
the working time it stood still.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from wagtail.models import Page

from qa_site import outbox
from subscriptions import access
from subscriptions.access import Visibility
from subscriptions.models import Subscription

from .. import signals, tasks
from ..clock import deadlines
from ..models import (
    Answer,
    KnowledgeSettings,
    Question,
    QuestionEvent,
    QuestionPage,
    SLASettings,
)
from .personal_data import _flags_sync, _refuse_personal_data
from .transitions import (
    PAUSE,
    RESUME,
    STOP,
    TransitionError,
    _check_assignee,
    _check_coordinator,
    _lock,
    _transition,
)

Status = Question.Status
Action = QuestionEvent.Action


@transaction.atomic
def question_submit(*, asker, network, topic, title, details, visibility):
    """An adviser asks a question through one of their networks; routing follows after commit."""
    if not access.can_ask(asker, network):
        raise TransitionError("You can ask questions only through a network with a current subscription.")
    # Lock the subscription while counting against its allowance, so two askers cannot take the last question.
    subscription = (
        Subscription.objects.select_for_update().select_related("plan").get(pk=network.current_subscription.pk)
    )
    if subscription.allowance_left == 0:
        raise TransitionError(
            f"{network} has used all {subscription.plan.question_allowance} questions of its allowance for this "
            f"year. It renews on {subscription.ends_on + dt.timedelta(days=1):%d %B %Y}; until then you can still "
            "search and read every answer."
        )
    Subscription.objects.filter(pk=subscription.pk).update(questions_used=F("questions_used") + 1)
    policy = SLASettings.load()
    now = timezone.now()
    warn_at, due_at = deadlines(
        submitted_at=now,
        sla_hours=subscription.plan.sla_hours,
        paused_seconds=0,
        warning_fraction=policy.warning_fraction,
        calendar=policy.calendar(),
    )
    question = Question.objects.create(
        asker=asker,
        network=network,
        topic=topic,
        title=title.strip(),
        details=details.strip(),
        visibility=visibility,
        status=Status.SUBMITTED,
        sla_hours=subscription.plan.sla_hours,
        submitted_at=now,
        warn_at=warn_at,
        due_at=due_at,
        sla_running=True,
    )
    QuestionEvent.objects.create(
        question=question,
        actor=asker,
        action=Action.SUBMITTED,
        to_status=Status.SUBMITTED,
        note=f"Asked through {network} ({subscription.plan} plan: {subscription.plan.sla_hours} working hours).",
        created_at=question.submitted_at,
    )
    outbox.enqueue(settings.QA_ROUTING_JOB, question.pk)
    return question


@transaction.atomic
def question_assign(*, question_id, expert, reason, actor=None):
    """Give a question to an expert (by routing, or by a coordinator when ``actor`` is set)."""
    question = _transition(
        question_id,
        allowed=(Status.SUBMITTED, Status.DECLINED),
        to=Status.ASSIGNED,
        actor=actor,
        expert=expert,
        action=Action.ASSIGNED,
        note=reason,
        assignee=expert,
        assigned_at=timezone.now(),
        accepted_at=None,
        reminder_sent_at=None,  # a new expert is reminded too, if time runs short
        needs_triage=False,
    )
    outbox.enqueue(tasks.send_assignment_email, question.pk)
    return question


@transaction.atomic
def question_send_to_triage(*, question_id, reason, actor=None):
    """No eligible expert: park the question for a coordinator, with the SLA clock still running."""
    return _transition(
        question_id,
        allowed=(Status.SUBMITTED, Status.DECLINED),
        to=Status.SUBMITTED,
        actor=actor,
        action=Action.TRIAGED,
        note=reason,
        assignee=None,
        needs_triage=True,
    )


@transaction.atomic
def question_reassign(*, question_id, expert, actor, reason=""):
    """A coordinator moves a question from its expert to another; the clock is untouched."""
    _check_coordinator(actor)
    current = _lock(question_id)
    if current.assignee_id == expert.pk:
        raise TransitionError("The question is already with that expert.")
    if current.asker_id == expert.pk:
        raise TransitionError("An expert cannot answer their own question.")
    note = f"Reassigned from {current.assignee} to {expert} by {actor}" + (f": {reason}" if reason else ".")
    question = _transition(
        question_id,
        allowed=Question.WITH_EXPERT_STATUSES,
        actor=actor,
        expert=expert,
        action=Action.REASSIGNED,
        note=note,
        assignee=expert,
        assigned_at=timezone.now(),
        accepted_at=None,
        reminder_sent_at=None,
    )
    outbox.enqueue(tasks.send_assignment_email, question.pk)
    return question


@transaction.atomic
def question_release(*, question_id, reason, actor=None):
    """Take a question from its expert and route it again, never back to them.

    Used when its due time passes (if coordinators chose to re-route) and when an expert leaves the panel.
    """
    current = _lock(question_id)
    question = _transition(
        question_id,
        allowed=Question.WITH_EXPERT_STATUSES,
        to=Status.DECLINED,
        actor=actor,
        expert=current.assignee,
        action=Action.RELEASED,
        clock=RESUME,
        note=reason,
        assignee=None,
        assigned_at=None,
        accepted_at=None,
    )
    outbox.enqueue(settings.QA_ROUTING_JOB, question.pk)
    return question


@transaction.atomic
def assignment_accept(*, question_id, expert):
    """The expert confirms they will answer. Accepting twice changes nothing."""
    now = timezone.now()
    accepted = Question.objects.filter(
        pk=question_id, assignee=expert, status__in=Question.WITH_EXPERT_STATUSES, accepted_at__isnull=True
    ).update(accepted_at=now, updated_at=now)
    question = Question.objects.get(pk=question_id)
    if accepted:
        QuestionEvent.objects.create(
            question=question,
            actor=expert,
            expert=expert,
            action=Action.ACCEPTED,
            from_status=question.status,
            to_status=question.status,
            created_at=now,
        )
    elif question.assignee_id != expert.pk or question.status not in Question.WITH_EXPERT_STATUSES:
        raise TransitionError("This question is no longer assigned to you.")
    return question


@transaction.atomic
def answer_save_draft(*, question_id, expert, body):
    """Keep the expert's work in progress; nothing changes for anyone else."""
    question = _lock(question_id)
    _check_assignee(question, expert)
    if question.status not in Question.WITH_EXPERT_STATUSES:
        raise TransitionError("This question is no longer waiting for your answer.")
    answer, _ = Answer.objects.update_or_create(question=question, defaults={"author": expert, "body": body})
    return answer


@transaction.atomic
def answer_submit(*, question_id, expert, body):
    """The expert sends their answer for review."""
    current = _lock(question_id)
    _check_assignee(current, expert)
    now = timezone.now()
    # Time to answer: working time since asking, less every pause. The clock then stops for review.
    calendar = SLASettings.load().calendar()
    elapsed = calendar.working_time_between(current.submitted_at, now).total_seconds() - current.paused_seconds
    hours = Decimal(max(elapsed, 0) / 3600).quantize(Decimal("0.01"))
    question = _transition(
        question_id,
        allowed=(Status.ASSIGNED,),
        to=Status.ANSWERED,
        actor=expert,
        expert=expert,
        action=Action.ANSWERED,
        clock=PAUSE,
        answered_at=now,
        working_hours_to_answer=hours,
        sla_met=hours <= current.sla_hours,
    )
    answer, _ = Answer.objects.update_or_create(
        question=question, defaults={"author": expert, "body": body, "submitted_at": now}
    )
    # The publishable copy starts as the question and this answer; a coordinator's edits to the title and question
    # are kept when a returned answer comes back.
    answer.publish_title = answer.publish_title or question.title
    answer.publish_question_text = answer.publish_question_text or question.details
    answer.publish_answer_text = body
    answer.save(update_fields=["publish_title", "publish_question_text", "publish_answer_text"])
    if question.visibility != Visibility.PRIVATE:
        _flags_sync(question.personal_data_flags, answer.publishable_copy(), actor=expert, question=question)
    return question


@transaction.atomic
def question_request_clarification(*, question_id, expert, message):
    """The expert needs more detail from the adviser before answering."""
    _check_assignee(_lock(question_id), expert)
    question = _transition(
        question_id,
        allowed=(Status.ASSIGNED,),
        to=Status.AWAITING_CLARIFICATION,
        actor=expert,
        expert=expert,
        action=Action.CLARIFICATION_REQUESTED,
        clock=PAUSE,
        note=message,
    )
    outbox.enqueue(tasks.send_clarification_request_email, question.pk)
    signals.clarification_requested.send(sender=Question, question=question)
    return question


@transaction.atomic
def question_clarify(*, question_id, actor, reply):
    """The adviser answers the expert's request; the question goes back to the expert."""
    if _lock(question_id).asker_id != actor.pk:
        raise TransitionError("Only the person who asked can reply to the expert.")
    question = _transition(
        question_id,
        allowed=(Status.AWAITING_CLARIFICATION,),
        to=Status.ASSIGNED,
        actor=actor,
        action=Action.CLARIFIED,
        clock=RESUME,
        note=reply,
    )
    outbox.enqueue(tasks.send_clarification_reply_email, question.pk)
    return question


@transaction.atomic
def question_decline(*, question_id, expert, reason):
    """The expert cannot take the question; it is routed again, never back to them."""
    _check_assignee(_lock(question_id), expert)
    question = _transition(
        question_id,
        allowed=Question.WITH_EXPERT_STATUSES,
        to=Status.DECLINED,
        actor=expert,
        expert=expert,
        action=Action.DECLINED,
        clock=RESUME,
        note=reason,
        assignee=None,
        assigned_at=None,
        accepted_at=None,
    )
    Answer.objects.filter(question=question, submitted_at__isnull=True).delete()
    outbox.enqueue(settings.QA_ROUTING_JOB, question.pk)
    return question


@transaction.atomic
def answer_return(*, question_id, actor, comment):
    """A coordinator sends the answer back to its expert with what to change."""
    _check_coordinator(actor)
    question = _transition(
        question_id,
        allowed=(Status.ANSWERED,),
        to=Status.ASSIGNED,
        actor=actor,
        action=Action.RETURNED,
        clock=RESUME,
        note=comment,
        answered_at=None,
        sla_met=None,
        working_hours_to_answer=None,
    )
    Answer.objects.filter(question=question).update(submitted_at=None, review_comment=comment)
    outbox.enqueue(tasks.send_answer_returned_email, question.pk)
    return question


@transaction.atomic
def question_publish(*, question_id, actor, title, question_text, answer_text):
    """A coordinator approves the answer. Shared questions become a knowledge-base page.

    ``title``, ``question_text`` and ``answer_text`` are the reviewed copy: the
    coordinator may have removed personal data. Private questions are delivered
    to the asker only and never become a page.
    """
    _check_coordinator(actor)
    now = timezone.now()
    current = _lock(question_id)
    copy = {"title": title.strip(), "question_text": question_text.strip(), "answer_text": answer_text.strip()}
    shared = current.visibility != Visibility.PRIVATE
    if shared and current.status == Status.ANSWERED:
        _refuse_personal_data(current.personal_data_flags, copy)
    question = _transition(
        question_id,
        allowed=(Status.ANSWERED,),
        to=Status.PUBLISHED,
        actor=actor,
        action=Action.PUBLISHED,
        clock=STOP,
        published_at=now,
    )
    page = None
    if shared:
        # Flags whose text the coordinator edited out while publishing are recorded as cleared that way.
        _flags_sync(question.personal_data_flags, copy, actor=actor, question=question)
        Answer.objects.filter(question=question).update(
            publish_title=copy["title"],
            publish_question_text=copy["question_text"],
            publish_answer_text=copy["answer_text"],
        )
        checked_on = timezone.localdate(now)
        topic = Page.objects.get(pk=question.topic_id)
        page = QuestionPage(
            title=copy["title"],
            question=question,
            question_text=copy["question_text"],
            answer=copy["answer_text"],
            expert=question.assignee,
            visibility=question.visibility,
            network=question.network if question.visibility == Visibility.NETWORK else None,
            asked_on=timezone.localdate(question.submitted_at),
            checked_on=checked_on,
            review_by=KnowledgeSettings.load().review_by_for(checked_on),
        )
        topic.add_child(instance=page)
        # Who may publish answers is the access policy's call (coordinators), checked above; Wagtail's
        # page permissions govern editing pages in the admin's page explorer.
        page.save_revision(user=actor, log_action=True).publish(user=actor, skip_permission_checks=True)
    outbox.enqueue(tasks.send_answer_published_email, question.pk)
    signals.question_published.send(sender=Question, question=question, page=page)
    return question


@transaction.atomic
def question_withdraw(*, question_id, actor):
    """The asker no longer needs an answer."""
    current = _lock(question_id)
    if current.asker_id != actor.pk:
        raise TransitionError("Only the person who asked can withdraw a question.")
    return _transition(
        question_id,
        allowed=Question.OPEN_STATUSES,
        to=Status.WITHDRAWN,
        actor=actor,
        action=Action.WITHDRAWN,
        clock=STOP,
        needs_triage=False,
    )


@transaction.atomic
def questions_withdraw_for_departed_asker(*, user):
    """The asker deleted their account: their unanswered questions are withdrawn, each with an audit line.

    Answers already submitted for review stay, so that a shared answer can still be published; nobody is
    waiting for the rest. Returns how many were withdrawn.
    """
    withdrawn = 0
    for question_id in Question.objects.filter(asker=user, status__in=Question.OPEN_STATUSES).values_list(
        "pk", flat=True
    ):
        _transition(
            question_id,
            allowed=Question.OPEN_STATUSES,
            to=Status.WITHDRAWN,
            actor=None,
            action=Action.WITHDRAWN,
            clock=STOP,
            note="The adviser deleted their account.",
            needs_triage=False,
        )
        withdrawn += 1
    return withdrawn


@transaction.atomic
def question_close_as_duplicate(*, question_id, actor, duplicate_of, note=""):
    """A coordinator points the adviser to an answer that already covers their question."""
    _check_coordinator(actor)
    question = _transition(
        question_id,
        allowed=Question.OPEN_STATUSES,
        to=Status.CLOSED_AS_DUPLICATE,
        actor=actor,
        action=Action.CLOSED_AS_DUPLICATE,
        clock=STOP,
        note=note or f"Already answered: {duplicate_of.title}",
        duplicate_of=duplicate_of,
        needs_triage=False,
    )
    outbox.enqueue(tasks.send_closed_as_duplicate_email, question.pk)
    return question


@transaction.atomic
def question_reject(*, question_id, actor, reason):
    """A coordinator declines to take a question (out of scope, not a question, abuse)."""
    _check_coordinator(actor)
    question = _transition(
        question_id,
        allowed=Question.OPEN_STATUSES + (Status.ANSWERED,),
        to=Status.REJECTED,
        actor=actor,
        action=Action.REJECTED,
        clock=STOP,
        note=reason,
        needs_triage=False,
    )
    outbox.enqueue(tasks.send_question_rejected_email, question.pk)
    return question


# --- The SLA sweep's claims. Each marks one question once, with a conditional UPDATE, so that two sweeps
# running at once (or one running twice) act on a question exactly once.


def _sla_claim(question_id, now, *, marker, moment, action, note):
    """Set ``marker`` to ``now`` on a running question whose ``moment`` has passed and which is not marked yet, and
    record ``action``; True only for the one caller that marked it."""
    with transaction.atomic():
        claimed = Question.objects.filter(
            pk=question_id, sla_running=True, **{f"{marker}__isnull": True, f"{moment}__lte": now}
        ).update(**{marker: now})
        if claimed:
            question = Question.objects.get(pk=question_id)
            QuestionEvent.objects.create(
                question=question,
                expert=question.assignee,
                action=action,
                from_status=question.status,
                to_status=question.status,
                note=note.format(due=timezone.localtime(question.due_at)),
                created_at=now,
            )
    return bool(claimed)


def sla_claim_reminder(*, question_id, now):
    """Mark a running question past its warning moment as reminded; True only for the one caller that marked it."""
    return _sla_claim(
        question_id,
        now,
        marker="reminder_sent_at",
        moment="warn_at",
        action=Action.REMINDED,
        note="Due {due:%a %d %b %H:%M}.",
    )


def sla_claim_breach(*, question_id, now):
    """Mark a running question past its due moment as breached; True only for the one caller that marked it."""
    return _sla_claim(
        question_id,
        now,
        marker="breach_alerted_at",
        moment="due_at",
        action=Action.BREACHED,
        note="Was due {due:%a %d %b %H:%M}.",
    )
