"""The outbox: one row per side effect a change causes, written in the change's own transaction."""

from django.db import models
from django.db.models import Q


class OutboxMessage(models.Model):
    """A job to run because something changed: ``job`` (a dotted path) called with ``args`` and ``kwargs``.

    ``available_at`` is when it may next run: its creation for a new message, the end of a worker's lease while
    it runs (a worker that dies leaves it to be taken again after that), the moment of its next try after a failure.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to run"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed (gave up)"

    WAITING = (State.PENDING, State.RUNNING)

    job = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField()
    available_at = models.DateTimeField()
    handed_over_at = models.DateTimeField(null=True, blank=True, help_text="When the relay last gave it to the queue.")
    handovers = models.PositiveIntegerField(default=0, help_text="How many times the relay gave it to the queue again.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            # The relay's read: messages not finished whose moment has come. Done rows (nearly all) stay out of it.
            models.Index(fields=["available_at"], condition=Q(state__in=["pending", "running"]), name="outbox_waiting"),
            models.Index(fields=["finished_at"], condition=Q(state="done"), name="outbox_done"),
            models.Index(fields=["created_at"], condition=Q(state="failed"), name="outbox_failed"),
        ]

    def __str__(self):
        return f"{self.job}{tuple(self.args)} ({self.get_state_display().lower()})"


class SentMail(models.Model):
    """An e-mail a message's job has sent: a job run again (its worker died, or it failed after sending) finds
    it here and does not send it twice."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="sent_mail")
    key = models.CharField(max_length=64)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "key"], name="outbox_sentmail_once")]

    def __str__(self):
        return f"e-mail {self.key[:12]} of message {self.message_id}"
