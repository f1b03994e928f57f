"""The named experts who answer, and what they answer on."""

from django.conf import settings
from django.db import models
from django.db.models import Count, F, Q
from django.utils import timezone

from qa_site.knowledge.models import Question, QuestionEvent


class ExpertProfileQuerySet(models.QuerySet):
    def on_panel(self):
        return self.filter(status__in=ExpertProfile.PANEL_STATUSES)

    def eligible_for(self, question, *, on=None):
        """Experts who could take ``question`` now, fairest first.

        Eligible: active, accepting new questions, knows the topic, not away,
        under their cap on open questions, not the asker, and has not declined
        this question before. Fairest: fewest open questions, then longest
        since their last assignment.
        """
        decliners = QuestionEvent.objects.filter(question_id=question.pk, action=QuestionEvent.Action.DECLINED).values(
            "actor_id"
        )
        today = on or timezone.localdate()
        away = Q(away_from__isnull=False, away_from__lte=today) & (
            Q(away_until__isnull=True) | Q(away_until__gte=today)
        )
        return (
            self.filter(status=ExpertProfile.Status.ACTIVE, accepting_new=True, topics=question.topic_id)
            .exclude(away)
            .exclude(user_id=question.asker_id)
            .exclude(user_id__in=decliners)
            .annotate(
                open_count=Count(
                    "user__assigned_questions",
                    filter=Q(user__assigned_questions__status__in=Question.WITH_EXPERT_STATUSES),
                )
            )
            .filter(open_count__lt=F("max_open_questions"))
            .order_by("open_count", F("last_assigned_at").asc(nulls_first=True), "pk")
        )


class ExpertProfile(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        RETIRED = "retired", "Retired"

    PANEL_STATUSES = (Status.ACTIVE, Status.PAUSED)

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile")
    slug = models.SlugField(unique=True)
    headline = models.CharField(max_length=200, help_text="e.g. “Charity solicitor, 20 years in the sector”.")
    organisation = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True)
    topics = models.ManyToManyField("knowledge.TopicPage", related_name="experts", blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    accepting_new = models.BooleanField("accepting new questions", default=True)
    max_open_questions = models.PositiveSmallIntegerField(default=5)
    away_from = models.DateField(null=True, blank=True)
    away_until = models.DateField(null=True, blank=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True, editable=False)
    joined_on = models.DateField(default=timezone.localdate)

    objects = ExpertProfileQuerySet.as_manager()

    class Meta:
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self):
        return self.user.display_name

    @property
    def is_on_panel(self):
        return self.status in self.PANEL_STATUSES
