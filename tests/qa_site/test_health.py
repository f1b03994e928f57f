"""/healthz and /readyz: what a load balancer and monitoring read, answered before anything else runs."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from qa_site.outbox.models import OutboxMessage
from qa_site.scheduling import scheduler
from qa_site.scheduling.models import ScheduledJob
from search.backends import reset_backend


@pytest.fixture
def scheduler_ran(db):
    """The scheduler's jobs ran just now (as the scheduler process does every few seconds)."""
    scheduler.tick(jobs=[("qa_site.outbox.relay.relay", 10)])


def readyz(client, **headers):
    response = client.get("/readyz", **headers)
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    return response, json.loads(response.content)


def test_healthz_answers_while_the_process_lives_and_reads_nothing(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok\n")
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_readyz_is_ready_when_database_queue_search_and_scheduler_are(client, scheduler_ran):
    response, body = readyz(client)
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    checks = body["checks"]
    assert set(checks) == {"database", "queue", "search", "scheduler"}
    assert all(check["ok"] for check in checks.values())
    assert checks["queue"]["outbox"] == {"waiting": 0, "oldest_waiting_seconds": 0, "failed": 0}
    assert checks["search"]["engine"] == "database"
    assert checks["scheduler"]["seconds_ago"] < 60


def test_readyz_is_not_ready_before_the_scheduler_has_ever_run(client, db):
    response, body = readyz(client)
    assert response.status_code == 503
    assert body["checks"]["scheduler"] == {
        "ok": False,
        "last_run": None,
        "error": "no scheduled job has run yet (is the scheduler running?)",
        "ms": body["checks"]["scheduler"]["ms"],
    }


def test_readyz_is_not_ready_when_the_scheduler_has_stopped(client, scheduler_ran, settings):
    ScheduledJob.objects.update(
        last_finished_at=timezone.now() - dt.timedelta(seconds=settings.SCHEDULER_STALE_AFTER + 5)
    )
    response, body = readyz(client)
    assert response.status_code == 503
    assert body["checks"]["scheduler"]["ok"] is False
    assert body["checks"]["scheduler"]["seconds_ago"] > settings.SCHEDULER_STALE_AFTER


def test_readyz_is_not_ready_when_the_queue_is_unreachable_and_tells_no_secret(client, scheduler_ran, settings):
    settings.RQ_QUEUES = {
        "default": {"URL": "redis://:s3cret-pass@127.0.0.1:9/0?socket_connect_timeout=0.5", "ASYNC": True}
    }
    response, body = readyz(client)
    assert response.status_code == 503
    assert body["status"] == "not ready"
    assert body["checks"]["queue"]["ok"] is False
    assert body["checks"]["queue"]["error"] == "ConnectionError: unavailable"
    assert body["checks"]["database"]["ok"] is True
    text = response.content.decode()
    for secret in ("s3cret", "127.0.0.1:9", "Traceback"):
        assert secret not in text


def test_readyz_is_not_ready_when_side_effects_are_stuck(client, scheduler_ran, settings):
    long_ago = timezone.now() - dt.timedelta(seconds=settings.OUTBOX_STUCK_AFTER + 60)
    OutboxMessage.objects.create(job="tests.outbox.tasks.note", args=["x"], created_at=long_ago, available_at=long_ago)
    response, body = readyz(client)
    assert response.status_code == 503
    assert body["checks"]["queue"]["outbox"]["waiting"] == 1
    assert body["checks"]["queue"]["outbox"]["oldest_waiting_seconds"] >= settings.OUTBOX_STUCK_AFTER


def test_search_counts_as_usable_while_elasticsearch_is_down(client, scheduler_ran, settings):
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"
    settings.SEARCH_BACKEND = "search.backends.elastic.FallbackElasticsearchBackend"
    reset_backend()
    try:
        response, body = readyz(client)
    finally:
        reset_backend()
    assert response.status_code == 200, body
    assert body["checks"]["search"]["elasticsearch"] == "unreachable: searches are answered from the database"


def test_probes_by_ip_address_are_answered_whatever_the_allowed_hosts(client, scheduler_ran, settings):
    settings.ALLOWED_HOSTS = ["answers.example.org"]
    assert client.get("/healthz", HTTP_HOST="10.0.3.7").status_code == 200
    response, _body = readyz(client, HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200
    assert client.get("/", HTTP_HOST="10.0.3.7").status_code == 400, "other pages still check the host"
