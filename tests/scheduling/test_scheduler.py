"""The scheduler: each turn of a job is claimed in the database, so two schedulers never run it twice; a job that
fails is recorded and the others carry on."""

import datetime as dt
import io
import logging

import pytest
from django.core.management import call_command
from django.utils import timezone

from qa_site.scheduling import scheduler
from qa_site.scheduling.models import ScheduledJob
from qa_site.scheduling.schedule import JOBS

from . import jobs

TICK, IDLE, BROKEN = "tests.scheduling.jobs.tick", "tests.scheduling.jobs.idle", "tests.scheduling.jobs.broken"
SCHEDULE = [(TICK, 60), (IDLE, 10), (BROKEN, 3600)]


@pytest.fixture(autouse=True)
def fresh_runs():
    jobs.RUNS.clear()
    yield
    jobs.RUNS.clear()


def test_two_schedulers_at_once_run_each_turn_once(db):
    now = timezone.now()
    scheduler.ensure_rows(SCHEDULE, now=now)
    first = scheduler.claim_due(SCHEDULE, now=now)
    second = scheduler.claim_due(SCHEDULE, now=now)  # another scheduler, the same moment
    assert (first, second) == ([TICK, IDLE, BROKEN], [])
    later = now + dt.timedelta(seconds=11)
    assert scheduler.claim_due(SCHEDULE, now=later) == [IDLE], "only the 10-second job is due again"
    assert scheduler.claim_due(SCHEDULE, now=later) == []
    row = ScheduledJob.objects.get(name=IDLE)
    assert row.next_run_at == later + dt.timedelta(seconds=10)
    assert row.claimed_by == scheduler.identity()


def test_a_pass_runs_what_is_due_records_outcomes_and_survives_a_broken_job(db, caplog):
    with caplog.at_level(logging.DEBUG, logger="qa_site.jobs"):
        outcomes = scheduler.tick(jobs=SCHEDULE)
    assert jobs.RUNS == ["tick", "idle", "broken"]
    assert outcomes[TICK] == "{'ran': 1}"
    assert outcomes[BROKEN] == "failed: ValueError: the job broke"
    broken = ScheduledJob.objects.get(name=BROKEN)
    assert (broken.runs, broken.failures, broken.last_outcome) == (1, 1, "failed")
    assert "ValueError: the job broke" in broken.last_error
    levels = {r.job: r.levelno for r in caplog.records if hasattr(r, "job")}
    # A job that did something is logged as info, one that found nothing to do as debug, a failure as an error.
    assert levels == {TICK: logging.INFO, IDLE: logging.DEBUG, BROKEN: logging.ERROR}
    assert scheduler.tick(jobs=SCHEDULE) == {}, "nothing is due again yet"
    assert jobs.RUNS == ["tick", "idle", "broken"]


def test_the_schedule_changes_intervals_without_losing_history(db):
    scheduler.tick(jobs=[(TICK, 60)])
    scheduler.ensure_rows([(TICK, 300)])
    row = ScheduledJob.objects.get(name=TICK)
    assert (row.interval, row.runs) == (300, 1)


def test_last_completed_is_the_latest_finish_of_any_job(db):
    assert scheduler.last_completed() is None
    scheduler.tick(jobs=SCHEDULE)
    finished = ScheduledJob.objects.exclude(last_finished_at=None).order_by("-last_finished_at").first()
    assert scheduler.last_completed() == finished.last_finished_at


def test_run_schedule_once_runs_every_job_of_the_real_schedule(db, site_tree):
    out = io.StringIO()
    call_command("run_schedule", "--once", stdout=out)
    printed = out.getvalue()
    for name, _seconds in JOBS:
        assert f" {name}: " in printed
    rows = ScheduledJob.objects.filter(name__in=[name for name, _ in JOBS])
    assert rows.count() == len(JOBS)
    assert not rows.filter(last_finished_at=None).exists()
    assert not rows.exclude(failures=0).exists(), list(rows.exclude(failures=0).values_list("name", "last_error"))


def test_the_schedule_names_jobs_that_exist():
    from django.utils.module_loading import import_string

    for name, seconds in JOBS:
        assert callable(import_string(name))
        assert seconds >= 10
