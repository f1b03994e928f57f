"""The scheduler: runs each job of ``schedule.JOBS`` at its interval, whatever Redis is doing.

Scheduled jobs run in the scheduler process itself, reading and writing only the database; the side effects
they cause go through the outbox, which hands them to the queue when it can. So a Redis outage delays e-mails but
never stops the SLA sweep, billing or digests, and the scheduler never exits because Redis blinked.

Each turn of a job is claimed in the database (``ScheduledJob.next_run_at`` moved on by a conditional UPDATE),
so two schedulers started by mistake run each turn once between them. A database outage is waited out: the
scheduler logs it once, and carries on when the database answers again.
"""

import logging
import os
import socket
import time
import traceback

from django.db import DatabaseError, InterfaceError, connections
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from qa_site.resilience import Outage

from .models import ScheduledJob
from .schedule import JOBS

log = logging.getLogger(__name__)
jobs_log = logging.getLogger("qa_site.jobs")
database_outage = Outage("The database", consequence="scheduled jobs wait until it answers")
DATABASE_DOWN = (DatabaseError, InterfaceError)


def identity():
    return f"{socket.gethostname()}:{os.getpid()}"


def ensure_rows(jobs=JOBS, *, now=None):
    """A row per job (due at once if new); intervals follow the schedule."""
    now = now or timezone.now()
    ScheduledJob.objects.bulk_create(
        [ScheduledJob(name=path, interval=seconds, next_run_at=now) for path, seconds in jobs], ignore_conflicts=True
    )
    for path, seconds in jobs:
        ScheduledJob.objects.filter(name=path).exclude(interval=seconds).update(interval=seconds)


def claim_due(jobs=JOBS, *, now=None, force=False):
    """The jobs whose turn has come and that this scheduler claimed (all of them, claimed anyway, with ``force``)."""
    now = now or timezone.now()
    intervals = dict(jobs)
    due = ScheduledJob.objects.filter(name__in=intervals)
    if not force:
        due = due.filter(next_run_at__lte=now)
    claimed = []
    for name, next_run_at in due.values_list("name", "next_run_at"):
        won = ScheduledJob.objects.filter(name=name, next_run_at=next_run_at).update(
            next_run_at=now + timezone.timedelta(seconds=intervals[name]), last_started_at=now, claimed_by=identity()
        )
        if won:
            claimed.append(name)
    return [name for name, _ in jobs if name in claimed]


def run(name):
    """Run one claimed job and record how it went. Returns its outcome (a short text); never raises for the job."""
    started = time.monotonic()
    try:
        result = import_string(name)()
    except DATABASE_DOWN:
        raise  # the scheduler waits the outage out
    except Exception as exc:
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        duration = round((time.monotonic() - started) * 1000)
        ScheduledJob.objects.filter(name=name).update(
            last_finished_at=timezone.now(),
            last_outcome="failed",
            last_error=error[:4000],
            last_duration_ms=duration,
            runs=F("runs") + 1,
            failures=F("failures") + 1,
        )
        jobs_log.error(
            "Scheduled job %s failed: %s",
            name,
            error,
            exc_info=exc,
            extra={"job": name, "outcome": "failed", "duration_ms": duration},
        )
        return f"failed: {error}"
    outcome = str(result)[:500]
    duration = round((time.monotonic() - started) * 1000)
    quiet = not result or (isinstance(result, dict) and not any(result.values()))  # it found nothing to do
    ScheduledJob.objects.filter(name=name).update(
        last_finished_at=timezone.now(),
        last_outcome=outcome,
        last_error="",
        last_duration_ms=duration,
        runs=F("runs") + 1,
    )
    jobs_log.log(
        logging.DEBUG if quiet else logging.INFO,
        "Scheduled job %s: %s",
        name,
        outcome,
        extra={"job": name, "outcome": "done", "duration_ms": duration},
    )
    return outcome


def tick(*, force=False, jobs=JOBS):
    """One pass: claim and run whatever is due. Returns {job: outcome}. A database outage is logged once and
    skipped (the next pass tries again)."""
    try:
        ensure_rows(jobs)
        outcomes = {name: run(name) for name in claim_due(jobs, force=force)}
    except DATABASE_DOWN as exc:
        database_outage.failed(exc)
        for conn in connections.all():
            conn.close_if_unusable_or_obsolete()
            if conn.connection is not None and conn.errors_occurred:
                conn.close()
        return {}
    database_outage.worked()
    return outcomes


def last_completed():
    """When any scheduled job last finished (for /readyz), or None if none ever has."""
    return (
        ScheduledJob.objects.order_by(F("last_finished_at").desc(nulls_last=True))
        .values_list("last_finished_at", flat=True)
        .first()
    )
