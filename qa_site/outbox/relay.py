"""Recording side effects, handing them to rq, running them once, and handing over again what went astray.

A message's life: recorded (``pending``) in the transaction of the change → handed to rq after commit, as the rq
job ``outbox-<id>`` → claimed by the worker that runs it (``running``, with a lease) → ``done``. When something
goes wrong:

- Redis was down at commit: the hand-over fails quietly (logged once per outage); ``relay()`` finds the message
  still pending with no rq job, and hands it over again.
- Redis lost the queue (restarted without persistence): the same — the rq job is gone, so it is handed over again.
- The worker died mid-job (SIGKILL, out of memory, machine lost): the message stays ``running`` until its lease
  (``OUTBOX_LEASE_SECONDS``, longer than rq's job timeout) runs out; then ``relay()`` hands it over again and the
  next worker claims it.
- The job raised: it is tried again after 30 s, 1 min, 2 min … (at most an hour apart), up to
  ``OUTBOX_MAX_ATTEMPTS`` tries; then the message is ``failed``, logged as an error, and counted by ``/readyz``.

A claim is a conditional UPDATE, so a message handed over twice still runs once at a time.
"""

import contextlib
import datetime as dt
import json
import logging
import time
import traceback
from contextvars import ContextVar

import django_rq
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from qa_site.resilience import REDIS_DOWN, Outage

from .models import OutboxMessage, SentMail

State = OutboxMessage.State
log = logging.getLogger(__name__)
jobs_log = logging.getLogger("qa_site.jobs")
queue_outage = Outage("The job queue (Redis)", consequence="side effects wait in the outbox until it is back")
QUEUE = "default"
HAND_OVER_PAUSE = 5  # seconds after a failed hand-over before the next is tried (an unreachable host costs a timeout)
ALIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}

_delivering = ContextVar("outbox_delivering", default=None)


def job_path(job):
    return job if isinstance(job, str) else f"{job.__module__}.{job.__qualname__}"


class _Ticket:
    """A recorded message, as the commit callbacks that hand it over know it."""

    def __init__(self, message_id, signature=None):
        self.message_id = message_id
        self.signature = signature
        self.handed = False


class _HandOver:
    """A commit callback: hands its message to the queue, unless another callback for it already did."""

    def __init__(self, ticket):
        self.ticket = ticket

    def __call__(self):
        if not self.ticket.handed:
            self.ticket.handed = True
            hand_over([self.ticket.message_id])


def _recorded_in_this_transaction(signature):
    """The ticket of a message with this signature recorded earlier in the current transaction, if any.

    Django forgets a transaction's commit callbacks when it commits or rolls back, and drops those registered in
    a savepoint that rolls back (whose rows are gone too): a callback found among them belongs to a message that
    will commit with this transaction.
    """
    for _savepoints, callback, _robust in connection.run_on_commit:
        # (A ticket already handed over was run early — tests run captured callbacks before the end — and does
        # not cover changes made since.)
        if isinstance(callback, _HandOver) and callback.ticket.signature == signature and not callback.ticket.handed:
            return callback.ticket
    return None


def record(job, args, kwargs, *, once=False):
    path, args, kwargs = job_path(job), list(args), dict(kwargs)
    in_transaction = connection.in_atomic_block
    signature = json.dumps([path, args, kwargs], sort_keys=True, default=str) if once else None
    ticket = _recorded_in_this_transaction(signature) if once and in_transaction else None
    message = None
    if ticket is None:
        now = timezone.now()
        message = OutboxMessage.objects.create(job=path, args=args, kwargs=kwargs, created_at=now, available_at=now)
        ticket = _Ticket(message.pk, signature)
    if in_transaction:
        # One callback per call, even for a message recorded earlier: tests that capture the callbacks of a block
        # see every side effect the block caused; the first of them to run hands the message over.
        transaction.on_commit(_HandOver(ticket), robust=True)
    else:
        hand_over([ticket.message_id])
    return message


def rq_job_id(message_id, handovers=0):
    return f"outbox-{message_id}" if not handovers else f"outbox-{message_id}-{handovers}"


def _enqueue(queue, message_id, job_id):
    queue.enqueue(
        deliver,
        message_id,
        job_id=job_id,
        result_ttl=settings.OUTBOX_RQ_RESULT_TTL,
        failure_ttl=7 * 24 * 60 * 60,
        description=f"outbox message {message_id}",
    )


def hand_over(message_ids, *, job_ids=None):
    """Give messages to the queue (on the embedded default, run them now). Never raises for a queue that is down:
    what could not be handed over waits in the outbox for ``relay()``. Returns how many were handed over."""
    handed = 0
    if queue_outage.failed_within(HAND_OVER_PAUSE):
        return handed  # a queue that just failed is not tried on every request: the relay will hand these over
    try:
        queue = django_rq.get_queue(QUEUE)
        for message_id in message_ids:
            _enqueue(queue, message_id, (job_ids or {}).get(message_id) or rq_job_id(message_id))
            handed += 1
    except REDIS_DOWN as exc:
        queue_outage.failed(exc)
        return handed
    queue_outage.worked()
    return handed


def deliver(message_id):
    """The rq job: claim the message, run its job, record the outcome. Returns the outcome (for rq's result)."""
    now = timezone.now()
    lease = dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    claimed = OutboxMessage.objects.filter(
        pk=message_id, state__in=OutboxMessage.WAITING, available_at__lte=now
    ).update(state=State.RUNNING, available_at=now + lease, started_at=now, attempts=F("attempts") + 1)
    if not claimed:  # done already, being run by another worker, gone, or waiting for its next try
        return "not due"
    message = OutboxMessage.objects.get(pk=message_id)
    token = _delivering.set(message)
    started = time.monotonic()
    try:
        import_string(message.job)(*message.args, **message.kwargs)
    except Exception as exc:
        return _failed(message, exc, started)
    finally:
        _delivering.reset(token)
    OutboxMessage.objects.filter(pk=message.pk, state=State.RUNNING, attempts=message.attempts).update(
        state=State.DONE, finished_at=timezone.now(), last_error=""
    )
    _log_outcome(message, "done", started)
    return "done"


def retry_delay(attempts):
    """Seconds before the next try after ``attempts`` tries: 30 s, doubling, at most an hour."""
    return min(30 * 2 ** (attempts - 1), 60 * 60)


def _failed(message, exc, started):
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
    now = timezone.now()
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        changes = {"state": State.FAILED, "finished_at": now}
        outcome = "failed"
    else:
        changes = {"state": State.PENDING, "available_at": now + dt.timedelta(seconds=retry_delay(message.attempts))}
        outcome = "retry"
    OutboxMessage.objects.filter(pk=message.pk, state=State.RUNNING, attempts=message.attempts).update(
        last_error=error, **changes
    )
    _log_outcome(message, outcome, started, exc=exc)
    return outcome


def _log_outcome(message, outcome, started, exc=None):
    extra = {
        "job": message.job,
        "job_id": message.pk,
        "outcome": outcome,
        "attempt": message.attempts,
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
    }
    if outcome == "done":
        jobs_log.info("%s #%s done", message.job, message.pk, extra=extra)
    elif outcome == "retry":
        jobs_log.warning("%s #%s failed, will try again: %r", message.job, message.pk, exc, extra=extra, exc_info=exc)
    else:
        jobs_log.error(
            "%s #%s failed %s times, giving up", message.job, message.pk, message.attempts, extra=extra, exc_info=exc
        )


def _rq_statuses(queue, job_ids):
    """{rq job id: status} for the jobs Redis still has."""
    statuses = {}
    for job in Job.fetch_many(job_ids, connection=queue.connection):
        if job is not None:
            with contextlib.suppress(NoSuchJobError):
                statuses[job.id] = job.get_status(refresh=False)
    return statuses


def relay(*, now=None, limit=500):
    """Hand over again what went astray (the scheduled job, every few seconds). Safe to run anywhere, twice."""
    now = now or timezone.now()
    grace = now - dt.timedelta(seconds=settings.OUTBOX_HANDOVER_GRACE)
    due = list(
        OutboxMessage.objects.filter(state__in=OutboxMessage.WAITING, available_at__lte=now)
        # A new message is left alone for a moment: the hand-over after its commit may still be on its way.
        .filter(Q(created_at__lte=grace) | Q(attempts__gt=0))
        .order_by("available_at")
        .values_list("pk", "state", "handovers")[:limit]
    )
    if not due:
        return {"waiting": 0, "handed_over": 0}
    try:
        queue = django_rq.get_queue(QUEUE)
        current = {pk: rq_job_id(pk, handovers) for pk, _state, handovers in due}
        statuses = _rq_statuses(queue, list(current.values()))
    except REDIS_DOWN as exc:
        queue_outage.failed(exc)
        return {"waiting": len(due), "handed_over": 0}
    queue_outage.worked()
    again = {}
    for pk, state, handovers in due:
        # A pending message whose rq job is still queued or running is on its way. A running message whose lease
        # ran out lost its worker, whatever Redis says about its job.
        if state == State.PENDING and statuses.get(current[pk]) in ALIVE:
            continue
        again[pk] = handovers + 1
    if not again:
        return {"waiting": len(due), "handed_over": 0}
    for pk, handovers in again.items():
        OutboxMessage.objects.filter(pk=pk).update(handovers=handovers, handed_over_at=now)
    handed = hand_over(list(again), job_ids={pk: rq_job_id(pk, n) for pk, n in again.items()})
    if handed:
        log.info("Outbox: handed over again %s of %s waiting messages", handed, len(due))
    return {"waiting": len(due), "handed_over": handed}


def purge(*, days=None, batch=1000):
    """Delete done messages older than ``OUTBOX_KEEP_DAYS`` (the scheduled daily tidy-up)."""
    cutoff = timezone.now() - dt.timedelta(days=days if days is not None else settings.OUTBOX_KEEP_DAYS)
    deleted = 0
    while True:
        ids = list(
            OutboxMessage.objects.filter(state=State.DONE, finished_at__lt=cutoff).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return {"deleted": deleted}
        OutboxMessage.objects.filter(pk__in=ids).delete()
        deleted += len(ids)


# --- E-mail sent by a job is sent once, even when the job runs again.


def mail_already_sent(key):
    """True if the job being delivered now sent this e-mail (``key``) in an earlier, interrupted run."""
    message = _delivering.get()
    return (
        message is not None
        and message.attempts > 1
        and SentMail.objects.filter(message_id=message.pk, key=key).exists()
    )


def mail_sent(key):
    """Remember that the job being delivered now sent this e-mail (nothing, outside a delivery)."""
    message = _delivering.get()
    if message is not None:
        SentMail.objects.bulk_create(
            [SentMail(message_id=message.pk, key=key, sent_at=timezone.now())], ignore_conflicts=True
        )
