"""The named experts who answer, what they answer on, what they are paid, and how people join the panel."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import dateformat, timezone
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from qa_site.knowledge.models import Question, QuestionEvent


def excluded_experts(question):
    """Experts a question must not go back to: those who declined it or had it taken away after its due time."""
    return QuestionEvent.objects.filter(
        question_id=question.pk, action__in=[QuestionEvent.Action.DECLINED, QuestionEvent.Action.RELEASED]
    ).values("expert_id")


def open_question_count():
    """The number of questions each expert has open, as an annotation.

    A subquery on (assignee, status), so it reads only open questions through the index, however long an
    expert's history of answered ones grows (a join would count through all of them).
    """
    open_questions = (
        Question.objects.filter(assignee_id=OuterRef("user_id"), status__in=Question.WITH_EXPERT_STATUSES)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(open_questions, output_field=models.IntegerField()), 0)


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
        decliners = excluded_experts(question)
        today = on or timezone.localdate()
        away = Q(away_from__isnull=False, away_from__lte=today) & (
            Q(away_until__isnull=True) | Q(away_until__gte=today)
        )
        return (
            self.filter(status=ExpertProfile.Status.ACTIVE, accepting_new=True, topics=question.topic_id)
            .exclude(away)
            .exclude(user_id=question.asker_id)
            .exclude(user_id__in=decliners)
            .annotate(open_count=open_question_count())
            .filter(open_count__lt=F("max_open_questions"))
            .order_by("open_count", F("last_assigned_at").asc(nulls_first=True), "pk")
        )


# Words used by the expert pages' own addresses (/experts/dashboard/ and so on): never a profile's slug.
RESERVED_SLUGS = frozenset({"dashboard", "questions", "settings", "apply", "statements"})


class ExpertProfile(ClusterableModel):
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
    photo = models.ForeignKey("wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
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

    @property
    def is_away(self):
        today = timezone.localdate()
        return bool(self.away_from and self.away_from <= today and (not self.away_until or self.away_until >= today))

    def clean(self):
        super().clean()
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": f"“{self.slug}” is used by the site's own pages; choose another."})
        if self.away_from and self.away_until and self.away_until < self.away_from:
            raise ValidationError({"away_until": "The end of the time away cannot be before its start."})

    def get_absolute_url(self):
        return reverse("experts:profile", args=[self.slug])

    @property
    def availability(self):
        """(key, label) of where the expert stands for new questions, for badges: the public can see it."""
        if not self.is_on_panel:
            return "retired", "No longer on the panel"
        if self.is_away:
            until = f" until {dateformat.format(self.away_until, 'j F Y')}" if self.away_until else ""
            return "away", f"Away{until}"
        if self.status == self.Status.PAUSED or not self.accepting_new:
            return "paused", "Not taking new questions just now"
        return "accepting", "Accepting questions"

    def initials(self):
        return "".join(part[0] for part in (self.user.first_name, self.user.last_name) if part).upper()


class FeeRate(models.Model):
    """What an expert earns per published answer from a date on; a rate for one topic overrides the default.

    Rates are never edited in place for past work: add a new rate with a later start date, and earlier
    statements keep the rate that applied when each answer was published.
    """

    expert = ParentalKey(ExpertProfile, on_delete=models.CASCADE, related_name="fee_rates")
    topic = models.ForeignKey(
        "knowledge.TopicPage",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Leave empty for the expert's default rate.",
    )
    amount = models.DecimalField(max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    effective_from = models.DateField(default=timezone.localdate)

    class Meta:
        ordering = ["expert", "topic", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["expert", "topic", "effective_from"], name="one_rate_per_start_date"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fee_not_negative"),
        ]

    def __str__(self):
        return f"£{self.amount} from {self.effective_from:%d %b %Y}" + (f" for {self.topic}" if self.topic else "")


class ExpertApplication(models.Model):
    """Someone asks to join the panel; a coordinator approves or declines."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Not accepted"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_applications")
    headline = models.CharField(max_length=200)
    organisation = models.CharField(max_length=200, blank=True)
    bio = models.TextField("about you", max_length=5000)
    experience = models.TextField("relevant experience and qualifications", max_length=5000)
    topics = models.ManyToManyField("knowledge.TopicPage", related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="pending"), name="one_pending_application_per_person"
            )
        ]

    def __str__(self):
        return f"{self.user.display_name} ({self.get_status_display()})"

    def clean(self):
        if self.status != self.Status.PENDING and not self.decided_at:
            raise ValidationError("A decided application needs a decision date.")
