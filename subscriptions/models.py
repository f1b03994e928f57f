"""Networks pay for their members: plans, subscriptions and memberships."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Plan(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(unique=True)
    description = models.TextField(blank=True)
    annual_price = models.DecimalField(max_digits=10, decimal_places=2, help_text="Price per year, excluding VAT.")
    included_seats = models.PositiveIntegerField(default=10)
    sla_hours = models.PositiveIntegerField(
        "answer within (working hours)", default=48, help_text="The promised time to answer, in working hours."
    )

    class Meta:
        ordering = ["annual_price"]

    def __str__(self):
        return self.name


class Network(models.Model):
    """An umbrella organisation that subscribes on behalf of its members."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(unique=True)
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def current_subscription(self):
        return self.subscriptions.live().select_related("plan").order_by("-ends_on").first()


class SubscriptionQuerySet(models.QuerySet):
    def live(self, on=None):
        """Subscriptions that give access on ``on`` (today by default)."""
        on = on or timezone.localdate()
        return self.filter(status__in=Subscription.LIVE_STATUSES, starts_on__lte=on, ends_on__gte=on)


class Subscription(models.Model):
    class Status(models.TextChoices):
        TRIAL = "trial", "Trial"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due (grace period)"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    LIVE_STATUSES = (Status.TRIAL, Status.ACTIVE, Status.PAST_DUE)

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="subscriptions")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    starts_on = models.DateField()
    ends_on = models.DateField()

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-ends_on"]
        indexes = [models.Index(fields=["network", "status", "ends_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="subscription_period_valid")
        ]

    def __str__(self):
        return f"{self.network} — {self.plan} ({self.get_status_display()}, until {self.ends_on:%d %b %Y})"


class Membership(models.Model):
    """A person's seat in a network."""

    class Role(models.TextChoices):
        ADVISER = "adviser", "Adviser"
        ADMIN = "admin", "Network admin"

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ADVISER)
    organisation = models.CharField(
        max_length=200, blank=True, help_text="The member organisation this person advises for."
    )
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["network", "user"]
        constraints = [models.UniqueConstraint(fields=["network", "user"], name="one_membership_per_network")]

    def __str__(self):
        return f"{self.user} in {self.network} ({self.get_role_display()})"
