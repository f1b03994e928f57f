from django.db import models
from django.utils import timezone


class InboundReply(models.Model):
    """One e-mail received at a reply address, kept so that a provider delivering it twice changes nothing twice.

    Holds no personal data: the message is known by a hash of its Message-ID (or of its content), the outcome by
    a short code.
    """

    class Outcome(models.TextChoices):
        ADDED = "added", "Added to the thread"
        REFUSED = "refused", "Refused (the sender was told why)"
        IGNORED = "ignored", "Ignored (an automatic reply)"

    message_key = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(default=timezone.now)
    question = models.ForeignKey(
        "knowledge.Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=20, blank=True)

    class Meta:
        verbose_name = "reply by e-mail"
        verbose_name_plural = "replies by e-mail"

    def __str__(self):
        return f"{self.get_outcome_display()} ({self.reason or 'ok'}) at {self.received_at:%Y-%m-%d %H:%M}"
