"""Sending a message to its endpoint: one HTTP POST a try, retried after growing gaps, logged try by try.

A try is claimed with a conditional UPDATE (``pending`` → ``sending``, with a lease), so a message handed over twice
is sent once at a time. A 2xx answer delivers it; anything else (another status, a timeout, a refused connection) is
logged and the message waits ``WEBHOOKS_RETRY_DELAYS`` (1 min, 5 min, 30 min, 2 h, 8 h, 24 h) for its next try, then
fails. After ``WEBHOOKS_DISABLE_AFTER`` failed tries in a row (of any of its messages; a success starts the count
again) the endpoint is switched off, its waiting messages are not sent, and the network's admins are e-mailed.

``retry_due`` (a scheduled job) hands over each try whose moment has come, and takes back a try whose worker died.
"""

import datetime as dt
import ipaddress
import logging
import socket
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from qa_site import outbox

from . import signing
from .models import TEST_EVENT, Attempt, Delivery, Endpoint

State = Delivery.State
log = logging.getLogger(__name__)
USER_AGENT = "AskAnExpert-Webhooks/1"


def _lease():
    return dt.timedelta(seconds=settings.WEBHOOKS_TIMEOUT_SECONDS * 2 + 60)


def attempt(delivery_id):
    """One try at sending a message (the outbox job). Returns the outcome."""
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, state=State.PENDING, next_attempt_at__lte=now, attempts__lt=F("handed_over")
    ).update(state=State.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + _lease())
    if not claimed:  # sent already, being sent, switched off, gone, or waiting for its next try
        return "not due"
    delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    test = delivery.event == TEST_EVENT
    if not endpoint.is_active and not test:
        Delivery.objects.filter(pk=delivery.pk, state=State.SENDING).update(state=State.CANCELLED, finished_at=now)
        return "cancelled"
    status, error, duration_ms = _post(endpoint, delivery, now)
    succeeded = status is not None and 200 <= status < 300
    return _record_outcome(delivery, endpoint, now, status, error, duration_ms, succeeded, counts=not test)


def local_address(url):
    """True if ``url``'s host resolves to an address that is not on the internet (a private network, this computer,
    the cloud's metadata service), unless ``WEBHOOKS_HTTP_HOSTS`` names it. The form refuses such addresses written
    out; this also catches host names that lead there."""
    host = (urlsplit(url).hostname or "").lower()
    if host in settings.WEBHOOKS_HTTP_HOSTS:
        return False
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False  # not resolvable: the POST fails and says so
    return any(not ipaddress.ip_address(info[4][0].split("%")[0]).is_global for info in found)


def _post(endpoint, delivery, now):
    """(status code or None, error, milliseconds) of one POST of the message, signed now."""
    if local_address(endpoint.url):
        return None, "Not sent: the address leads to a private or local network", 0
    timestamp = int(now.timestamp())
    headers = signing.headers(endpoint.signing_secrets(now), delivery.message_id, timestamp, delivery.body)
    headers.update({"Content-Type": "application/json", "User-Agent": USER_AGENT})
    started = time.monotonic()
    try:
        with requests.post(
            endpoint.url,
            data=delivery.body.encode(),
            headers=headers,
            timeout=settings.WEBHOOKS_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,  # the answer's body is never read: only its status counts
        ) as response:
            status, error = response.status_code, ""
            if not 200 <= status < 300:
                error = f"The endpoint answered {status} {response.reason or ''}".strip()
    except requests.Timeout:
        status, error = None, f"No answer within {settings.WEBHOOKS_TIMEOUT_SECONDS} seconds"
    except requests.RequestException as exc:
        status, error = None, f"Could not connect: {type(exc).__name__}"
    return status, error[:500], round((time.monotonic() - started) * 1000)


@transaction.atomic
def _record_outcome(delivery, endpoint, now, status, error, duration_ms, succeeded, *, counts):
    Attempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        attempted_at=now,
        status_code=status,
        error=error,
        duration_ms=duration_ms,
        succeeded=succeeded,
    )
    mine = Delivery.objects.filter(pk=delivery.pk, state=State.SENDING, attempts=delivery.attempts)
    if succeeded:
        mine.update(state=State.DELIVERED, finished_at=timezone.now())
        if counts:
            Endpoint.objects.filter(pk=endpoint.pk).update(failures_in_a_row=0)
        return "delivered"
    if delivery.attempts >= delivery.max_attempts:
        mine.update(state=State.FAILED, finished_at=timezone.now())
        outcome = "failed"
    else:
        delay = settings.WEBHOOKS_RETRY_DELAYS[delivery.attempts - 1]
        mine.update(state=State.PENDING, next_attempt_at=now + dt.timedelta(seconds=delay))
        outcome = "retry"
    if counts:
        Endpoint.objects.filter(pk=endpoint.pk).update(failures_in_a_row=F("failures_in_a_row") + 1)
        failures = Endpoint.objects.values_list("failures_in_a_row", flat=True).get(pk=endpoint.pk)
        if failures >= settings.WEBHOOKS_DISABLE_AFTER:
            switch_off(endpoint.pk, reason=f"{failures} tries in a row failed; the last: {error}.", now=now)
    return outcome


def switch_off(endpoint_id, *, reason, now=None):
    """Switch an endpoint off after repeated failure (once: a second call does nothing) and tell its network's
    admins, in the caller's transaction. Its waiting messages are not sent. Returns whether this call did it."""
    now = now or timezone.now()
    switched = Endpoint.objects.filter(pk=endpoint_id, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason[:300]
    )
    if switched:
        Delivery.objects.filter(endpoint_id=endpoint_id, state=State.PENDING).exclude(event=TEST_EVENT).update(
            state=State.CANCELLED, finished_at=now
        )
        outbox.enqueue("qa_site.webhooks.tasks.send_endpoint_disabled_email", endpoint_id)
        log.warning("Webhook endpoint %s switched off: %s", endpoint_id, reason)
    return bool(switched)


def purge(*, days=None, batch=1000):
    """Delete messages finished more than ``WEBHOOKS_KEEP_DAYS`` ago, with their tries (the daily tidy-up)."""
    days = settings.WEBHOOKS_KEEP_DAYS if days is None else days
    cutoff = timezone.now() - dt.timedelta(days=days)
    deleted = 0
    while True:
        ids = list(
            Delivery.objects.filter(
                state__in=[State.DELIVERED, State.FAILED, State.CANCELLED], finished_at__lt=cutoff
            ).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return {"deleted": deleted}
        Delivery.objects.filter(pk__in=ids).delete()
        deleted += len(ids)


def retry_due(*, now=None, limit=500):
    """Hand over the next try of each message whose moment has come (the scheduled job). Safe to run twice."""
    now = now or timezone.now()
    # A try whose worker died (its lease ran out while sending) is counted as begun; the message waits again.
    lost = Delivery.objects.filter(state=State.SENDING, next_attempt_at__lte=now).update(state=State.PENDING)
    due = list(
        Delivery.objects.filter(state=State.PENDING, next_attempt_at__lte=now, handed_over=F("attempts"))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    handed = 0
    for delivery_id in due:
        with transaction.atomic():  # the claim and its outbox message commit together
            claimed = Delivery.objects.filter(pk=delivery_id, state=State.PENDING, handed_over=F("attempts")).update(
                handed_over=F("handed_over") + 1
            )
            if claimed:
                outbox.enqueue("qa_site.webhooks.tasks.deliver", delivery_id)
        handed += claimed
    return {"taken_back": lost, "handed_over": handed}
