"""The outbox: side effects recorded with their change, run once after commit, tried again, never lost.

These run the real outbox on the configured database and queue: in-process (the embedded default, where the
hand-over runs the task at once) or real Redis when REDIS_URL is set. tests/processes kills real processes.
"""

import datetime as dt
import logging

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from qa_site import outbox
from qa_site.knowledge import services
from qa_site.knowledge.models import Question
from qa_site.outbox import relay
from qa_site.outbox.models import OutboxMessage, SentMail

from . import tasks

State = OutboxMessage.State
NOTE = "tests.outbox.tasks.note"
FAIL = "tests.outbox.tasks.fail"


@pytest.fixture(autouse=True)
def fresh_calls():
    tasks.CALLS.clear()
    yield
    tasks.CALLS.clear()


def ask(alice, northshire, topic, title="Who signs our annual accounts?"):
    return services.question_submit(
        asker=alice, network=northshire, topic=topic, title=title, details="d" * 40, visibility="public"
    )


def age(message, seconds):
    """Pretend ``message`` was recorded (and last became due) ``seconds`` ago."""
    earlier = timezone.now() - dt.timedelta(seconds=seconds)
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=earlier, available_at=earlier)


def test_a_transition_records_its_side_effect_in_its_own_transaction_and_runs_it_after_commit(
    alice, northshire, topic, erin, django_capture_on_commit_callbacks, run_on_commit
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        question = ask(alice, northshire, topic)
        message = OutboxMessage.objects.get(job="experts.tasks.route_question")
        assert (message.args, message.state) == ([question.pk], State.PENDING)
    assert Question.objects.get(pk=question.pk).status == Question.Status.SUBMITTED, "nothing runs before commit"
    with run_on_commit():  # the commit: and the commits of what the side effects change in turn
        for callback in callbacks:
            callback()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.DONE, 1)
    assert Question.objects.get(pk=question.pk).assignee == erin
    # Routing recorded the next side effect (the expert's e-mail) the same way, and it ran too.
    assert OutboxMessage.objects.get(job="qa_site.knowledge.tasks.send_assignment_email").state == State.DONE
    assert [m.to for m in mail.outbox] == [["erin@example.test"]]


def test_a_change_that_rolls_back_leaves_no_side_effect(alice, northshire, topic, erin, run_on_commit):
    def ask_then_fail():
        with transaction.atomic():
            ask(alice, northshire, topic)
            raise RuntimeError("the request failed after asking")

    before = OutboxMessage.objects.count()  # the fixtures' own (topics indexed)
    with run_on_commit(), pytest.raises(RuntimeError):
        ask_then_fail()
    assert OutboxMessage.objects.count() == before
    assert not Question.objects.exists()
    assert mail.outbox == []


def test_a_task_heard_about_twice_in_one_transaction_is_recorded_once(db, run_on_commit):
    with run_on_commit(), transaction.atomic():
        first = outbox.enqueue_once(NOTE, "page 7")
        again = outbox.enqueue_once(NOTE, "page 7")
        other = outbox.enqueue_once(NOTE, "page 8")
        plain = outbox.enqueue(NOTE, "page 7")  # enqueue (not _once) always records
    assert again is None
    assert {first.pk, other.pk, plain.pk} == set(OutboxMessage.objects.filter(job=NOTE).values_list("pk", flat=True))
    assert sorted(tasks.CALLS) == ["page 7", "page 7", "page 8"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_task_is_handed_over_at_once():
    message = outbox.enqueue(NOTE, "now")
    message.refresh_from_db()
    assert message.state == State.DONE
    assert tasks.CALLS == ["now"]


def test_a_message_runs_once_however_often_it_is_delivered(db, run_on_commit):
    with run_on_commit():
        message = outbox.enqueue(NOTE, "once")
    assert relay.deliver(message.pk) == "not due"
    assert relay.deliver(message.pk) == "not due"
    assert tasks.CALLS == ["once"]
    assert relay.deliver(987654) == "not due"  # gone (purged): nothing to do


def test_a_failing_task_is_tried_again_later_with_growing_gaps_then_given_up(db, settings, caplog, run_on_commit):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    with run_on_commit():
        message = outbox.enqueue(FAIL, "sync")
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.PENDING, 1)
    assert "RuntimeError: sync went wrong" in message.last_error
    wait = (message.available_at - timezone.now()).total_seconds()
    assert 25 < wait <= 30, "the first retry comes 30 s later"
    assert relay.deliver(message.pk) == "not due", "not before its time"
    assert [relay.retry_delay(n) for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]

    age(message, 31)
    with caplog.at_level(logging.INFO, logger="qa_site.jobs"):
        relay.relay()  # the scheduled relay hands it over again once it is due
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.PENDING, 2)
    assert 55 < (message.available_at - timezone.now()).total_seconds() <= 60

    age(message, 61)
    with caplog.at_level(logging.INFO, logger="qa_site.jobs"):
        relay.relay()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.FAILED, 3)
    assert tasks.CALLS == ["sync"] * 3
    gave_up = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "qa_site.jobs"]
    assert len(gave_up) == 1
    assert (gave_up[0].job, gave_up[0].outcome, gave_up[0].attempt) == (FAIL, "failed", 3)
    age(message, 3600)
    relay.relay()
    assert tasks.CALLS == ["sync"] * 3, "a message given up on is not tried again"


def test_an_email_sent_before_a_task_failed_is_not_sent_again(db, run_on_commit):
    with run_on_commit():
        message = outbox.enqueue("tests.outbox.tasks.mail_then_fail", "helen@example.test")
    assert len(mail.outbox) == 1
    for _ in range(2):
        age(message, 3600)
        relay.relay()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.DONE, 3)
    assert len(tasks.CALLS) == 3, "the task ran three times"
    assert len(mail.outbox) == 1, "its e-mail went once"
    assert SentMail.objects.filter(message=message).count() == 1


def test_a_message_whose_worker_died_is_taken_again_when_its_lease_runs_out(db, settings):
    with transaction.atomic():
        message = outbox.enqueue(NOTE, "after a crash")
        # As a worker leaves it when it is killed mid-job: claimed, running, its lease not yet over.
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=State.RUNNING,
            attempts=1,
            available_at=timezone.now() + dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
        )
    message.refresh_from_db()
    assert message.state == State.RUNNING, "the hand-over after commit found it taken"
    relay.relay()
    assert tasks.CALLS == [], "a worker may still be on it"
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now() - dt.timedelta(seconds=1))
    assert relay.relay() == {"waiting": 1, "handed_over": 1}
    message.refresh_from_db()
    assert (message.state, message.attempts, message.handovers) == (State.DONE, 2, 1)
    assert tasks.CALLS == ["after a crash"]


def test_the_relay_leaves_new_messages_to_their_own_hand_over_for_a_moment(
    db, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the commit's hand-over never happens
        message = outbox.enqueue(NOTE, "lost")
    assert relay.relay() == {"waiting": 0, "handed_over": 0}
    age(message, settings.OUTBOX_HANDOVER_GRACE + 1)
    assert relay.relay() == {"waiting": 1, "handed_over": 1}
    message.refresh_from_db()
    assert message.state == State.DONE
    assert tasks.CALLS == ["lost"]


@pytest.fixture
def queue_down(settings):
    """The job queue on a Redis that is not there (a closed port): enqueueing fails as it does in an outage."""
    working = settings.RQ_QUEUES
    settings.RQ_QUEUES = {
        "default": {"URL": "redis://127.0.0.1:9/0?socket_connect_timeout=0.5", "DEFAULT_TIMEOUT": 300, "ASYNC": True}
    }
    relay.queue_outage.since = None

    def back():
        settings.RQ_QUEUES = working

    yield back
    relay.queue_outage.since = None


def test_a_question_asked_while_the_queue_is_down_is_kept_and_routed_once_it_is_back(
    alice, northshire, topic, erin, run_on_commit, settings, caplog, queue_down
):
    with caplog.at_level(logging.WARNING, logger="qa_site.resilience"), run_on_commit():
        first = ask(alice, northshire, topic)
        second = ask(alice, northshire, topic, title="Can trustees be paid?")
    assert Question.objects.filter(status=Question.Status.SUBMITTED).count() == 2, "both asked"
    routing = OutboxMessage.objects.filter(job="experts.tasks.route_question")
    assert list(routing.values_list("state", flat=True)) == [State.PENDING] * 2
    outage_lines = [r for r in caplog.records if "The job queue (Redis) is unreachable" in r.getMessage()]
    assert len(outage_lines) == 1, "logged once, not once per side effect"
    tried_at = relay.queue_outage.last_failure
    assert relay.hand_over([first.pk]) == 0
    assert relay.queue_outage.last_failure == tried_at, "a queue that just failed is left alone for a few seconds"
    for message in routing:
        age(message, 60)
    assert relay.relay() == {"waiting": 2, "handed_over": 0}, "still down: nothing lost, nothing raised"

    queue_down()  # the queue is back
    with caplog.at_level(logging.WARNING, logger="qa_site.resilience"), run_on_commit():
        assert relay.relay() == {"waiting": 2, "handed_over": 2}
    assert any("is back after" in r.getMessage() for r in caplog.records)
    for question in (first, second):
        question.refresh_from_db()
        assert (question.status, question.assignee) == (Question.Status.ASSIGNED, erin)
    assert set(routing.values_list("state", flat=True)) == {State.DONE}
    assert sorted(m.subject for m in mail.outbox) == sorted(
        f"New question for you: {title}" for title in ("Who signs our annual accounts?", "Can trustees be paid?")
    )


def test_done_messages_are_purged_after_the_days_kept(db, settings, run_on_commit):
    with run_on_commit():
        old = outbox.enqueue(NOTE, "old")
        recent = outbox.enqueue(NOTE, "recent")
        failed = outbox.enqueue(FAIL, "kept for people to see")
    long_ago = timezone.now() - dt.timedelta(days=settings.OUTBOX_KEEP_DAYS + 1)
    OutboxMessage.objects.filter(pk__in=[old.pk, failed.pk]).update(finished_at=long_ago)
    assert relay.purge() == {"deleted": 1}
    assert set(OutboxMessage.objects.filter(job__startswith="tests.").values_list("pk", flat=True)) == {
        recent.pk,
        failed.pk,
    }
