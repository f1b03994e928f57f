"""Changes to a network's webhook endpoints. Each checks that the actor manages the network (the views ask too) and
raises ``WebhookError`` with a message fit to show when the change cannot be made."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from subscriptions import access
from subscriptions.models import Network

from . import events, signing
from .models import TEST_EVENT, Delivery, Endpoint

MAX_ENDPOINTS = 10
ROTATION_OVERLAP = dt.timedelta(hours=24)


class WebhookError(Exception):
    pass


def _require_admin(actor, network):
    if not access.can_manage_network(actor, network):
        raise WebhookError(f"Only the network admins of {network.name} can change its webhooks.")


def _lock(endpoint_id, actor):
    endpoint = Endpoint.objects.select_for_update(of=("self",)).select_related("network").filter(pk=endpoint_id).first()
    if endpoint is None:
        raise WebhookError("This endpoint no longer exists.")
    _require_admin(actor, endpoint.network)
    return endpoint


@transaction.atomic
def endpoint_create(*, network, actor, url, description, events, topic_ids):
    _require_admin(actor, network)
    # Counted under a lock on the network's row, so that two admins cannot both add the last one allowed.
    Network.objects.select_for_update().filter(pk=network.pk).first()
    if Endpoint.objects.filter(network=network).count() >= MAX_ENDPOINTS:
        raise WebhookError(f"A network can have at most {MAX_ENDPOINTS} endpoints: delete one you no longer use.")
    return Endpoint.objects.create(
        network=network,
        url=url,
        description=description.strip(),
        events=list(events),
        topic_ids=list(topic_ids),
        secret=signing.new_secret(),
        created_by=actor,
    )


@transaction.atomic
def endpoint_update(*, endpoint_id, actor, url, description, events, topic_ids):
    """Change where an endpoint is, what it is sent and its topics. Its secret stays."""
    endpoint = _lock(endpoint_id, actor)
    endpoint.url = url
    endpoint.description = description.strip()
    endpoint.events = list(events)
    endpoint.topic_ids = list(topic_ids)
    endpoint.save(update_fields=["url", "description", "events", "topic_ids"])
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint_id, actor, now=None):
    """A new secret. The one it replaces still signs (beside it) for 24 hours, so a receiver can change over
    without losing a message; rotating again within the day drops the oldest."""
    now = now or timezone.now()
    endpoint = _lock(endpoint_id, actor)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
    endpoint.secret = signing.new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint


@transaction.atomic
def endpoint_switch_on(*, endpoint_id, actor):
    """Send to the endpoint again (after it was switched off), its count of failures started afresh."""
    endpoint = _lock(endpoint_id, actor)
    endpoint.is_active = True
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.failures_in_a_row = 0
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason", "failures_in_a_row"])
    return endpoint


@transaction.atomic
def endpoint_switch_off(*, endpoint_id, actor):
    """Stop sending to the endpoint; the messages waiting for it are not sent."""
    now = timezone.now()
    endpoint = _lock(endpoint_id, actor)
    endpoint.is_active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = f"{actor.display_name} switched it off."
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    Delivery.objects.filter(endpoint=endpoint, state=Delivery.State.PENDING).exclude(event=TEST_EVENT).update(
        state=Delivery.State.CANCELLED, finished_at=now
    )
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint_id, actor):
    endpoint = _lock(endpoint_id, actor)
    endpoint.delete()


@transaction.atomic
def endpoint_send_test(*, endpoint_id, actor):
    """A ``webhook.test`` message, sent once, whether the endpoint is on or off; its outcome is in the log."""
    endpoint = _lock(endpoint_id, actor)
    return events.ping(endpoint)
