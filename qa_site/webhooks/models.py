"""A network's webhook endpoints, the messages each is sent (one per event and endpoint) and every try at sending."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Event(models.TextChoices):
    ANSWER_PUBLISHED = "answer.published", "An answer is published (answer.published)"
    QUESTION_ANSWERED = "question.answered", "A member's question is answered (question.answered)"
    QUESTION_NEEDS_REPLY = "question.needs_reply", "An expert asks a member for more detail (question.needs_reply)"
    RENEWAL_DUE = "subscription.renewal_due", "The subscription's renewal invoice is issued (subscription.renewal_due)"


TEST_EVENT = "webhook.test"


class Endpoint(models.Model):
    """An address of a network's own system that is sent the events it chose, signed with its secret.

    ``previous_secret`` still signs (beside ``secret``) until ``previous_secret_expires_at``, so that a receiver
    has time to take the new secret after a rotation. ``failures_in_a_row`` counts failed tries since the last
    success; at ``WEBHOOKS_DISABLE_AFTER`` the endpoint is switched off and the network's admins are told.
    """

    network = models.ForeignKey("subscriptions.Network", on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField("address", max_length=500)
    description = models.CharField(max_length=100, blank=True)
    events = models.JSONField(default=list, help_text="The event types sent (Event values).")
    topic_ids = models.JSONField(default=list, blank=True, help_text="answer.published: only these topics; empty: all.")
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    failures_in_a_row = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["network", "is_active"], name="webhook_endpoint_network")]

    def __str__(self):
        return self.url

    def signing_secrets(self, now):
        """The secrets that sign a message sent at ``now``: the current one, and the one before while it lasts."""
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and now < self.previous_secret_expires_at:
            secrets.append(self.previous_secret)
        return secrets

    def event_labels(self):
        labels = dict(Event.choices)
        return [labels.get(event, event) for event in self.events]


class Delivery(models.Model):
    """One event for one endpoint: its body (sent unchanged on every try, under the same ``webhook-id``) and its state.

    ``attempts`` is how many tries began; ``handed_over`` how many were given to the outbox. A try is handed over
    when the message is recorded (the first) and by the retry sweep once ``next_attempt_at`` has come (the others).
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"
        CANCELLED = "cancelled", "Not sent (endpoint switched off)"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=40, unique=True)
    event = models.CharField(max_length=40)
    body = models.TextField(help_text="The JSON body, exactly as signed and sent.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    handed_over = models.PositiveIntegerField(default=1)
    max_attempts = models.PositiveIntegerField()
    next_attempt_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The retry sweep's read: messages still to send whose moment has come.
            models.Index(
                fields=["next_attempt_at"], condition=Q(state__in=["pending", "sending"]), name="webhook_delivery_due"
            ),
            # The daily tidy-up's read: finished messages by age.
            models.Index(fields=["finished_at"], name="webhook_delivery_finished"),
        ]

    def __str__(self):
        return f"{self.event} {self.message_id} to {self.endpoint_id} ({self.state})"


class Attempt(models.Model):
    """One try at sending a delivery: what the endpoint answered, or why nothing came back."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-attempted_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_once")]

    def __str__(self):
        return f"try {self.number} of {self.delivery_id}: {self.status_code or self.error}"
