"""SLA policy: how an open question stands against its promise, and the sweep that acts on it.

The clock itself (working-hours arithmetic, pauses, deadlines) is in ``qa_site/knowledge/clock.py``.
Here: a question is *on track*, *at risk* once its warning moment (default 75 % of the working hours)
has passed, *breached* once its due moment has passed, or *paused* while it waits on the adviser.

The sweep runs every minute (``manage.py run_schedule``, the scheduler process). It reads only questions
whose warning or due moment has come, through partial indexes, never every question; each reminder and breach
is claimed with a conditional UPDATE, in the transaction that records its e-mail in the outbox, so running it
twice, or two at once, sends nothing twice.
"""

import logging

from django.db import transaction
from django.utils import timezone

from qa_site import outbox
from qa_site.knowledge import services
from qa_site.knowledge.models import Question, SLASettings

from . import tasks

log = logging.getLogger(__name__)

ON_TRACK, AT_RISK, BREACHED, PAUSED = "on_track", "at_risk", "breached", "paused"
STATE_LABELS = {ON_TRACK: "On track", AT_RISK: "At risk", BREACHED: "Breached", PAUSED: "Waiting for the adviser"}
BATCH = 500


def state(question, *, now):
    if not question.sla_running:
        return PAUSED
    if question.due_at is not None and now >= question.due_at:
        return BREACHED
    if question.warn_at is not None and now >= question.warn_at:
        return AT_RISK
    return ON_TRACK


def due_for_reminder(now):
    # Exactly the partial index's condition, so the read uses it (a status filter would pull in another index).
    return Question.objects.filter(sla_running=True, reminder_sent_at__isnull=True, warn_at__lte=now)


def due_for_breach(now):
    return Question.objects.filter(sla_running=True, breach_alerted_at__isnull=True, due_at__lte=now)


def sweep(*, now=None):
    """Remind experts whose questions are at risk; alert coordinators of breaches (and re-route if set).

    Returns counts of what this run did: {"reminded": n, "breached": n, "rerouted": n}.
    """
    now = now or timezone.now()
    done = {"reminded": 0, "breached": 0, "rerouted": 0}
    reminders = due_for_reminder(now).order_by("warn_at").values_list("pk", "due_at", "status")[:BATCH]
    for question_id, due_at, status in reminders:
        # Claimed either way, so it is not read again. An expert is e-mailed only if there is one and the
        # question is not already past due (the breach alert says it all); in triage, coordinators see it.
        with transaction.atomic():  # the claim and its e-mail commit together
            claimed = services.sla_claim_reminder(question_id=question_id, now=now)
            if claimed and status == Question.Status.ASSIGNED and due_at > now:
                done["reminded"] += 1
                outbox.enqueue(tasks.send_sla_reminder, question_id)
    reroute = None
    for question_id in due_for_breach(now).order_by("due_at").values_list("pk", flat=True)[:BATCH]:
        with transaction.atomic():
            if not services.sla_claim_breach(question_id=question_id, now=now):
                continue
            outbox.enqueue(tasks.send_breach_alert, question_id)
        done["breached"] += 1
        if reroute is None:
            reroute = SLASettings.load().reroute_on_breach
        if reroute:
            try:
                services.question_release(
                    question_id=question_id, reason="The due time passed: routed to another expert."
                )
                done["rerouted"] += 1
            except services.TransitionError:
                pass  # not with an expert (in triage, or waiting on the adviser): nothing to take back
    if any(done.values()):
        log.info("SLA sweep: %s", done)
    return done
