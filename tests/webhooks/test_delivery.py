"""Sending: retries after growing gaps against a real local server that fails and then succeeds, the log of each
try, a message sent once however often it is handed over, and switching an endpoint off after repeated failure."""

import datetime as dt
import socket

from django.core import mail
from django.db.models import F
from django.utils import timezone

from qa_site.outbox.models import OutboxMessage
from qa_site.webhooks import delivery, events, services
from qa_site.webhooks.models import Attempt, Delivery, Endpoint

State = Delivery.State


def later(seconds):
    """Let time pass for the waiting messages: their next try comes ``seconds`` sooner."""
    Delivery.objects.update(next_attempt_at=F("next_attempt_at") - dt.timedelta(seconds=seconds))


def send_test(run_on_commit, endpoint, actor):
    with run_on_commit():
        return services.endpoint_send_test(endpoint_id=endpoint.pk, actor=actor)


def record_event(run_on_commit, endpoint):
    """answer.published messages for ``endpoint``'s network, recorded as a publication records them."""
    with run_on_commit():
        return events._record("answer.published", {"answer": {"id": 1}}, network_id=endpoint.network_id)


def retry(run_on_commit):
    with run_on_commit():
        return delivery.retry_due()


def test_a_failed_message_is_tried_again_after_a_minute_and_delivered_with_the_same_id(
    receiver, make_endpoint, northshire, nadia, run_on_commit
):
    endpoint = make_endpoint(northshire, nadia)
    receiver.statuses = [500, 200]
    [message] = record_event(run_on_commit, endpoint)
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.PENDING, 1)
    [first] = Attempt.objects.all()
    assert (first.number, first.status_code, first.succeeded) == (1, 500, False)
    assert first.error == "The endpoint answered 500 Internal Server Error"
    assert message.next_attempt_at - first.attempted_at == dt.timedelta(minutes=1)

    assert retry(run_on_commit) == {"taken_back": 0, "handed_over": 0}  # not yet
    later(60)
    assert retry(run_on_commit) == {"taken_back": 0, "handed_over": 1}
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.DELIVERED, 2)
    assert [(a.number, a.status_code, a.succeeded) for a in Attempt.objects.order_by("number")] == [
        (1, 500, False),
        (2, 200, True),
    ]
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [message.message_id] * 2
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
    endpoint.refresh_from_db()
    assert (endpoint.failures_in_a_row, endpoint.is_active) == (0, True)
    assert retry(run_on_commit) == {"taken_back": 0, "handed_over": 0}  # nothing more to do


def test_the_gaps_grow_and_the_message_fails_after_its_last_try(
    receiver, make_endpoint, northshire, nadia, run_on_commit, settings
):
    settings.WEBHOOKS_DISABLE_AFTER = 100
    endpoint = make_endpoint(northshire, nadia)
    receiver.always = 503
    [message] = record_event(run_on_commit, endpoint)
    gaps = []
    for _try in range(6):
        message.refresh_from_db()
        last = Attempt.objects.filter(delivery=message).order_by("-number").first()
        gaps.append(round((message.next_attempt_at - last.attempted_at).total_seconds()))
        later(gaps[-1])
        retry(run_on_commit)
    message.refresh_from_db()
    assert gaps == [60, 300, 1800, 7200, 28800, 86400]
    assert (message.state, message.attempts, len(receiver.requests)) == (State.FAILED, 7, 7)
    later(10**6)
    assert retry(run_on_commit)["handed_over"] == 0


def test_a_message_handed_over_twice_is_sent_once(receiver, make_endpoint, northshire, nadia, run_on_commit):
    endpoint = make_endpoint(northshire, nadia)
    [message] = record_event(run_on_commit, endpoint)
    assert delivery.attempt(message.pk) == "not due"  # the outbox message runs again: nothing happens
    [outbox_message] = OutboxMessage.objects.filter(job="qa_site.webhooks.tasks.deliver")
    assert outbox_message.args == [message.pk]
    assert len(receiver.requests) == 1


def test_a_try_whose_worker_died_is_taken_back_and_made_again(
    receiver, make_endpoint, northshire, nadia, run_on_commit
):
    endpoint = make_endpoint(northshire, nadia)
    receiver.statuses = [500]
    [message] = record_event(run_on_commit, endpoint)
    # The second try was claimed, and its worker died before it could say how it went.
    Delivery.objects.filter(pk=message.pk).update(
        state=State.SENDING, attempts=2, handed_over=2, next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert retry(run_on_commit) == {"taken_back": 1, "handed_over": 1}
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.DELIVERED, 3)


def test_no_answer_is_logged_as_such(make_endpoint, northshire, nadia, run_on_commit):
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    endpoint = make_endpoint(northshire, nadia, url=f"http://127.0.0.1:{port}/")
    [message] = record_event(run_on_commit, endpoint)
    [attempt] = Attempt.objects.filter(delivery=message)
    assert (attempt.status_code, attempt.succeeded) == (None, False)
    assert attempt.error == "Could not connect: ConnectionError"
    message.refresh_from_db()
    assert message.state == State.PENDING


def test_repeated_failure_switches_the_endpoint_off_and_emails_the_network_admins_once(
    receiver, make_endpoint, northshire, nadia, alice, run_on_commit, settings
):
    settings.WEBHOOKS_DISABLE_AFTER = 3
    endpoint = make_endpoint(northshire, nadia)
    receiver.always = 500
    record_event(run_on_commit, endpoint)
    record_event(run_on_commit, endpoint)
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.failures_in_a_row) == (True, 2)
    assert mail.outbox == []
    later(60)
    retry(run_on_commit)  # both messages are due: the first's second try is the third failure in a row
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert endpoint.disabled_reason == (
        "3 tries in a row failed; the last: The endpoint answered 500 Internal Server Error."
    )
    assert sorted(Delivery.objects.values_list("state", "attempts")) == [(State.CANCELLED, 1), (State.CANCELLED, 2)]
    assert len(receiver.requests) == 3
    [email] = mail.outbox
    assert email.to == ["nadia@example.test"]  # the network's admins, not its advisers
    assert email.subject == f"Webhook switched off: {endpoint.url} (Northshire RCC)"
    assert "it failed 3 times in a row, so we stopped sending to it" in email.body
    assert f"http://127.0.0.1:8000/network/northshire/webhooks/{endpoint.pk}/" in email.body

    # Nothing more is sent to it, nor recorded for it, and it is not switched off (nor e-mailed about) twice.
    later(10**6)
    assert retry(run_on_commit)["handed_over"] == 0
    with run_on_commit():
        assert events._record("answer.published", {"answer": {"id": 2}}, network_id=northshire.pk) == []
    assert delivery.switch_off(endpoint.pk, reason="again") is False
    assert (len(receiver.requests), len(mail.outbox)) == (3, 1)

    # Switched on again by an admin: sent to, its count started afresh.
    services.endpoint_switch_on(endpoint_id=endpoint.pk, actor=nadia)
    receiver.always = None
    [message] = record_event(run_on_commit, endpoint)
    message.refresh_from_db()
    endpoint.refresh_from_db()
    assert (message.state, endpoint.failures_in_a_row, endpoint.is_active) == (State.DELIVERED, 0, True)


def test_a_test_event_is_tried_once_and_does_not_count_towards_switching_off(
    receiver, make_endpoint, northshire, nadia, run_on_commit, settings
):
    settings.WEBHOOKS_DISABLE_AFTER = 1
    endpoint = make_endpoint(northshire, nadia)
    receiver.always = 404
    message = send_test(run_on_commit, endpoint, nadia)
    message.refresh_from_db()
    endpoint.refresh_from_db()
    assert (message.state, message.attempts, message.max_attempts) == (State.FAILED, 1, 1)
    assert (endpoint.is_active, endpoint.failures_in_a_row) == (True, 0)
    Endpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    receiver.always = 204
    message = send_test(run_on_commit, endpoint, nadia)  # sent to a switched-off endpoint, to check it first
    message.refresh_from_db()
    assert message.state == State.DELIVERED


def test_nothing_is_sent_to_an_address_that_leads_to_a_private_or_local_network(
    receiver, make_endpoint, northshire, nadia, run_on_commit, settings
):
    endpoint = make_endpoint(northshire, nadia)  # saved while this computer was allowed
    settings.WEBHOOKS_HTTP_HOSTS = []
    assert delivery.local_address(endpoint.url) is True
    assert delivery.local_address("https://localhost/hook") is True
    [message] = record_event(run_on_commit, endpoint)
    [attempt] = Attempt.objects.filter(delivery=message)
    assert (attempt.status_code, attempt.error) == (None, "Not sent: the address leads to a private or local network")
    assert receiver.requests == []


def test_finished_messages_are_deleted_with_their_tries_after_the_days_kept(
    receiver, make_endpoint, northshire, nadia, run_on_commit, settings
):
    settings.WEBHOOKS_KEEP_DAYS = 30
    endpoint = make_endpoint(northshire, nadia)
    [old] = record_event(run_on_commit, endpoint)
    [recent] = record_event(run_on_commit, endpoint)
    receiver.always = 500
    [waiting] = record_event(run_on_commit, endpoint)
    Delivery.objects.filter(pk__in=[old.pk, waiting.pk]).update(created_at=timezone.now() - dt.timedelta(days=40))
    Delivery.objects.filter(pk=old.pk).update(finished_at=timezone.now() - dt.timedelta(days=31))
    assert delivery.purge() == {"deleted": 1}
    assert sorted(Delivery.objects.values_list("pk", flat=True)) == [recent.pk, waiting.pk]
    assert not Attempt.objects.filter(delivery_id=old.pk).exists()
    assert delivery.purge() == {"deleted": 0}
