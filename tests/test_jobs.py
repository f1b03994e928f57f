"""Background jobs: enqueued only after commit, run by a worker from the queue, harmless when repeated.

With REDIS_URL set (as in CI's second run) the queue and worker below use the real Redis server;
otherwise the in-process fake server that the embedded default uses.
"""

import uuid

import django_rq
import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from rq import Queue, SimpleWorker

from experts.tasks import route_question
from qa_site.knowledge import services
from qa_site.knowledge.models import Question


def submit(alice, northshire, topic, title="Who signs our annual accounts?"):
    return services.question_submit(
        asker=alice, network=northshire, topic=topic, title=title, details="d" * 40, visibility="public"
    )


@pytest.fixture
def async_queue(db):
    """A queue of its own on the configured Redis connection, worked by a real rq worker."""
    connection = django_rq.get_connection("default")
    queue = Queue(f"test-{uuid.uuid4().hex}", connection=connection, is_async=True)
    yield queue
    for job_id in queue.get_job_ids():
        queue.remove(job_id)
    connection.delete(queue.key)


def test_the_queue_uses_real_redis_when_configured(async_queue):
    assert async_queue.connection.ping()
    connection_class = async_queue.connection.connection_pool.connection_class.__name__
    if settings.REDIS_URL:
        assert "Fake" not in connection_class
    else:
        assert "Fake" in connection_class


def test_a_worker_takes_the_routing_job_from_the_queue(
    async_queue, alice, northshire, topic, erin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        question = submit(alice, northshire, topic)
    job = async_queue.enqueue(settings.QA_ROUTING_JOB, question.pk)
    assert async_queue.count == 1
    question.refresh_from_db()
    assert question.status == Question.Status.SUBMITTED, "nothing happens until a worker runs"
    SimpleWorker([async_queue], connection=async_queue.connection).work(burst=True)
    job.refresh()
    assert job.is_finished
    question.refresh_from_db()
    assert (question.status, question.assignee) == (Question.Status.ASSIGNED, erin)
    assert async_queue.count == 0


def test_side_effects_are_dropped_when_the_transaction_rolls_back(
    alice, northshire, topic, erin, django_capture_on_commit_callbacks
):
    def ask_then_fail():
        with transaction.atomic():
            submit(alice, northshire, topic)
            raise RuntimeError("the request failed after asking")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        ask_then_fail()
    assert callbacks == []
    assert not Question.objects.exists()
    assert mail.outbox == []


def test_side_effects_run_once_the_transaction_commits(
    alice, northshire, topic, erin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        question = submit(alice, northshire, topic)
    assert len(callbacks) == 1
    question.refresh_from_db()
    assert question.status == Question.Status.SUBMITTED
    callbacks[0]()
    question.refresh_from_db()
    assert question.status == Question.Status.ASSIGNED


def test_running_the_routing_job_twice_assigns_once(alice, northshire, topic, erin, run_on_commit):
    with run_on_commit():
        question = submit(alice, northshire, topic)
    route_question(question.pk)
    route_question(question.pk)
    assert question.events.filter(action="assigned").count() == 1


def test_routing_job_for_a_withdrawn_or_missing_question_does_nothing(alice, northshire, topic, erin):
    question = submit(alice, northshire, topic)
    services.question_withdraw(question_id=question.pk, actor=alice)
    route_question(question.pk)
    route_question(987654)
    question.refresh_from_db()
    assert question.status == Question.Status.WITHDRAWN
    assert not question.events.filter(action="assigned").exists()
