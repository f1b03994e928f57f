"""Every change to a question's lifecycle goes through one function here.

Each transition claims the question with a conditional UPDATE (``status`` must
still be one of the expected states), so two people or a person and a job
racing on one question get exactly one winner; the loser gets a
``TransitionError`` it can show. Each records a ``QuestionEvent`` and enqueues
its side effects (routing, e-mail) in the outbox, in the same transaction; they run once it commits.

Transitions also drive the SLA clock (``clock.py``): it stops while the
question waits on the adviser (clarification) or on a coordinator's review,
and on resuming, the warning and due moments move later by exactly the
working time it stood still.
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

from . import pii, tasks
from .clock import deadlines
from .models import (
    Answer,
    AnswerRating,
    AnswerReview,
    HelpfulVote,
    KnowledgeSettings,
    PersonalDataFlag,
    Question,
    QuestionEvent,
    QuestionPage,
    SLASettings,
)

Status = Question.Status
Action = QuestionEvent.Action
PAUSE, RESUME, STOP = "pause", "resume", "stop"


class TransitionError(Exception):
    """The question is not in a state that allows this; the message says why, for people."""


class PersonalDataError(TransitionError):
    """Publishing refused: the copy still holds likely personal data that no coordinator has cleared."""


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


def _check_coordinator(actor):
    if not access.is_coordinator(actor):
        raise TransitionError("Only coordinators can do that.")


def _check_assignee(question, expert):
    if question.assignee_id != expert.pk:
        raise TransitionError("This question is not assigned to you.")


# --- Personal data in the publishable copy (see pii.py). A flag is cleared by a coordinator marking it "not personal
# data", or by the text being edited out of the copy (found gone when the copy is scanned again).


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


def sla_claim_reminder(*, question_id, now):
    """Mark a running question as reminded; True only for the one caller that marked it."""
    with transaction.atomic():
        claimed = Question.objects.filter(
            pk=question_id, sla_running=True, reminder_sent_at__isnull=True, warn_at__lte=now
        ).update(reminder_sent_at=now)
        if claimed:
            question = Question.objects.get(pk=question_id)
            QuestionEvent.objects.create(
                question=question,
                expert=question.assignee,
                action=Action.REMINDED,
                from_status=question.status,
                to_status=question.status,
                note=f"Due {timezone.localtime(question.due_at):%a %d %b %H:%M}.",
                created_at=now,
            )
    return bool(claimed)


def sla_claim_breach(*, question_id, now):
    """Mark a running question as breached; True only for the one caller that marked it."""
    with transaction.atomic():
        claimed = Question.objects.filter(
            pk=question_id, sla_running=True, breach_alerted_at__isnull=True, due_at__lte=now
        ).update(breach_alerted_at=now)
        if claimed:
            question = Question.objects.get(pk=question_id)
            QuestionEvent.objects.create(
                question=question,
                expert=question.assignee,
                action=Action.BREACHED,
                from_status=question.status,
                to_status=question.status,
                note=f"Was due {timezone.localtime(question.due_at):%a %d %b %H:%M}.",
                created_at=now,
            )
    return bool(claimed)


# --- Readers rate answers.


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


# --- Published answers come back for review. The daily sweep (experts/reviews.py) opens a review for each answer
# whose review-by date has come; its expert confirms it or writes an update, which a coordinator publishes.

ReviewStatus = AnswerReview.Status


def _lock_review(review_id):
    return AnswerReview.objects.select_for_update(of=("self",)).select_related("page").get(pk=review_id)


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


# --- Readers say whether an answer helped.


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
