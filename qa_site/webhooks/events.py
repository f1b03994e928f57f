"""What each event says, and recording it for the endpoints that want it, in the transaction of the change.

Payloads carry ids, titles, addresses, the topic and timestamps: never a question's or an answer's text, nor
anything about a person. Private questions cause no event at all; network-only answers and a network's own
questions and invoices go only to that network's endpoints.
"""

import datetime as dt
import json
from urllib.parse import urljoin

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from qa_site import outbox
from qa_site.knowledge import pii
from subscriptions.access import Visibility

from .models import TEST_EVENT, Delivery, Endpoint, Event
from .signing import new_message_id


def _url(path):
    return urljoin(settings.BASE_URL + "/", path)


def _when(moment):
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if moment else None


def _topic(topic):
    return {"id": topic.pk, "title": topic.title, "url": _url(topic.get_url())}


def _question(question, *, title):
    return {
        "id": question.pk,
        "title": title,
        "url": _url(reverse("knowledge:question", args=[question.pk])),
        "visibility": question.visibility,
        "asked_at": _when(question.submitted_at),
    }


def _unreviewed(title):
    """A title no coordinator has checked yet, with the likely personal data ``pii`` finds in it replaced by its
    labelled placeholder ("[e-mail address]"), as a coordinator's redaction would."""
    for kind, start, text in reversed(pii.find(title)):
        title = title[:start] + pii.PLACEHOLDERS[kind] + title[start + len(text) :]
    return title


def _network(network):
    return {"slug": network.slug, "name": network.name}


def body(event, data, now):
    """The JSON body of a message, in the specification's envelope: ``type``, ``timestamp``, ``data``."""
    return json.dumps({"type": event, "timestamp": _when(now), "data": data}, separators=(",", ":"))


def _record(event, data, *, network_id=None, topic_id=None, now=None):
    """A delivery for each active endpoint that asked for ``event`` (of ``network_id`` only, when given; wanting
    ``topic_id``, for endpoints limited to topics), each handed to the outbox. Runs inside the caller's transaction."""
    now = now or timezone.now()
    endpoints = Endpoint.objects.filter(is_active=True)
    if network_id is not None:
        endpoints = endpoints.filter(network_id=network_id)
    chosen = [
        endpoint
        for endpoint in endpoints.only("pk", "events", "topic_ids")
        if event in endpoint.events and (topic_id is None or not endpoint.topic_ids or topic_id in endpoint.topic_ids)
    ]
    text = body(event, data, now)
    return [_deliver(endpoint, event, text, now) for endpoint in chosen]


def _deliver(endpoint, event, text, now, *, tries=None):
    delivery = Delivery.objects.create(
        endpoint_id=endpoint.pk,
        message_id=new_message_id(),
        event=event,
        body=text,
        max_attempts=tries or len(settings.WEBHOOKS_RETRY_DELAYS) + 1,
        next_attempt_at=now,
        created_at=now,
    )
    outbox.enqueue("qa_site.webhooks.tasks.deliver", delivery.pk)
    return delivery


# --- The events -------------------------------------------------------------------------------------------------


def question_published(question, page):
    """A published answer: ``answer.published`` for the endpoints following its topic (only its network's when it is
    network-only), and ``question.answered`` for the asker's network. A private question causes neither."""
    if page is None or question.visibility == Visibility.PRIVATE:
        return
    topic = question.topic
    answer = {
        "id": page.pk,
        "title": page.title,
        "url": _url(page.get_url()),
        "visibility": page.visibility,
        "published_at": _when(question.published_at),
    }
    only_network = page.network_id if page.visibility == Visibility.NETWORK else None
    _record(
        Event.ANSWER_PUBLISHED,
        {"answer": answer, "topic": _topic(topic)},
        network_id=only_network,
        topic_id=topic.pk,
    )
    _record(
        Event.QUESTION_ANSWERED,
        {
            "question": _question(question, title=page.title),
            "answer": answer,
            "topic": _topic(topic),
            "network": _network(question.network),
        },
        network_id=question.network_id,
    )


def clarification_requested(question):
    """``question.needs_reply`` for the asker's network: the expert's message itself stays on the site, and the title
    (not yet reviewed) goes without the personal data found in it."""
    if question.visibility == Visibility.PRIVATE:
        return
    _record(
        Event.QUESTION_NEEDS_REPLY,
        {
            "question": _question(question, title=_unreviewed(question.title)),
            "topic": _topic(question.topic),
            "network": _network(question.network),
            "requested_at": _when(timezone.now()),
        },
        network_id=question.network_id,
    )


def renewal_due(subscription, invoice):
    """``subscription.renewal_due`` for the network: its renewal invoice, and the period it pays for."""
    _record(
        Event.RENEWAL_DUE,
        {
            "network": _network(subscription.network),
            "subscription": {
                "id": subscription.pk,
                "plan": subscription.plan.name,
                "period_ends_on": subscription.ends_on.isoformat(),
            },
            "invoice": {
                "id": invoice.pk,
                "number": invoice.number,
                "total": str(invoice.total),
                "currency": "GBP",
                "issued_on": invoice.issued_on.isoformat(),
                "due_on": invoice.due_on.isoformat(),
                "period_start": invoice.period_start.isoformat(),
                "period_end": invoice.period_end.isoformat(),
                "url": _url(reverse("network:invoice", args=[invoice.pk])),
            },
        },
        network_id=subscription.network_id,
    )


def ping(endpoint, *, now=None):
    """A ``webhook.test`` message to one endpoint, tried once, whether or not it is switched on."""
    now = now or timezone.now()
    data = {"endpoint": {"id": endpoint.pk, "url": endpoint.url}, "network": _network(endpoint.network)}
    return _deliver(endpoint, TEST_EVENT, body(TEST_EVENT, data, now), now, tries=1)
