"""E-mail alerts: what people follow, and the immediate alerts already sent.

A ``Follow`` is one person following a topic (new answers in it) or one answer (when it is published again
with changes), with how often they want to hear: at once, in a daily digest or in a weekly one.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Follow(models.Model):
    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", "At once, one e-mail per answer"
        DAILY = "daily", "Daily digest"
        WEEKLY = "weekly", "Weekly digest, on Mondays"

    DIGESTS = (Frequency.DAILY, Frequency.WEEKLY)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_follows")
    topic = models.ForeignKey("knowledge.TopicPage", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    question_page = models.ForeignKey(
        "knowledge.QuestionPage", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE)
    created_at = models.DateTimeField(default=timezone.now)
    # Digests: answers published up to this moment have been sent, or passed over. The digest job claims a
    # follow by moving it forward (under a row lock), so a second run, or two at once, finds nothing to do.
    digest_through = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(topic__isnull=False, question_page__isnull=True)
                | Q(topic__isnull=True, question_page__isnull=False),
                name="follow_topic_or_question",
            ),
            models.UniqueConstraint(
                fields=["user", "topic"], condition=Q(topic__isnull=False), name="follow_topic_once"
            ),
            models.UniqueConstraint(
                fields=["user", "question_page"],
                condition=Q(question_page__isnull=False),
                name="follow_question_once",
            ),
        ]
        indexes = [models.Index(fields=["frequency", "digest_through"], name="follow_digest_due")]

    def __str__(self):
        return f"{self.user} follows {self.followed}"

    @property
    def followed(self):
        return self.topic if self.topic_id else self.question_page

    @property
    def is_topic(self):
        return self.topic_id is not None


class AlertSent(models.Model):
    """One immediate alert e-mailed: a person, an answer and the publication it was about.

    The unique constraint is the claim: the job inserts these rows first and e-mails only the people whose
    row it inserted, so a job run twice, or two at once, sends each alert once.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alerts_sent")
    page = models.ForeignKey("knowledge.QuestionPage", on_delete=models.CASCADE, related_name="+")
    published_at = models.DateTimeField(help_text="The answer's publication this alert was about.")
    claim = models.UUIDField(help_text="The job run that sent it.")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "page", "published_at"], name="one_alert_per_publication")
        ]
        indexes = [models.Index(fields=["claim"])]

    def __str__(self):
        return f"Alert to {self.user} about {self.page}"
