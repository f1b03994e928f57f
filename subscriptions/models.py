"""Networks pay for their members: plans, subscriptions, seats, invitations, invoices, payments and usage."""

import datetime as dt
import secrets
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

MONEY = {"max_digits": 10, "decimal_places": 2}


class Plan(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(unique=True)
    description = models.TextField(blank=True)
    annual_price = models.DecimalField(
        **MONEY, help_text="Price per year, excluding VAT.", validators=[MinValueValidator(Decimal("0"))]
    )
    included_seats = models.PositiveIntegerField(default=10)
    extra_seat_price = models.DecimalField(
        "price per extra seat, per year", **MONEY, default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0"))]
    )
    sla_hours = models.PositiveIntegerField(
        "answer within (working hours)", default=48, help_text="The promised time to answer, in working hours."
    )
    question_allowance = models.PositiveIntegerField(
        "questions per year", null=True, blank=True, help_text="Leave empty for unlimited questions."
    )
    widgets = models.BooleanField("embeddable widgets", default=True)
    private_feeds = models.BooleanField("private feeds of network-only answers", default=False)
    full_answers_in_widgets = models.BooleanField(
        "full answers in widgets", default=False, help_text="Otherwise widgets show teasers."
    )
    trial_days = models.PositiveSmallIntegerField(default=30)
    is_listed = models.BooleanField("listed on the subscribe page", default=True)

    class Meta:
        ordering = ["annual_price"]

    def __str__(self):
        return self.name

    @property
    def allowance_label(self):
        return (
            "Unlimited questions" if self.question_allowance is None else f"{self.question_allowance} questions a year"
        )


class Network(models.Model):
    """An umbrella organisation that subscribes on behalf of its members."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(unique=True)
    website = models.URLField(blank=True)
    billing_email = models.EmailField(blank=True, help_text="Where invoices go; the network admins if empty.")
    billing_address = models.TextField(blank=True)
    vat_number = models.CharField("VAT number", max_length=30, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def current_subscription(self):
        return self.subscriptions.live().select_related("plan").order_by("-access_until").first()

    @property
    def latest_subscription(self):
        return self.subscriptions.select_related("plan").order_by("-ends_on", "-pk").first()


class SubscriptionQuerySet(models.QuerySet):
    def live(self, on=None):
        """Subscriptions that give access on ``on`` (today by default): trial, active, or past due in grace."""
        on = on or timezone.localdate()
        return self.filter(status__in=Subscription.LIVE_STATUSES, starts_on__lte=on, access_until__gte=on)


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
    seats = models.PositiveIntegerField(help_text="Seats paid for: the plan's included seats plus any extra.")
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="The last day of the current period.")
    access_until = models.DateField(help_text="The last day members have access: the period's end, or its grace.")
    cancel_at_period_end = models.BooleanField(default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    questions_used = models.PositiveIntegerField(default=0, help_text="Questions asked in the current period.")
    renewal_invoice = models.ForeignKey(
        "subscriptions.Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-ends_on"]
        indexes = [
            models.Index(fields=["network", "status", "access_until"]),
            models.Index(fields=["status", "ends_on"]),
            models.Index(fields=["status", "access_until"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="subscription_period_valid"),
            models.CheckConstraint(
                condition=Q(access_until__gte=models.F("ends_on")), name="subscription_access_covers_period"
            ),
        ]

    def __str__(self):
        return f"{self.network} — {self.plan} ({self.get_status_display()}, until {self.access_until:%d %b %Y})"

    def save(self, *args, **kwargs):
        if self.access_until is None:
            self.access_until = self.ends_on
        if self.seats is None and self.plan_id:
            self.seats = self.plan.included_seats
        super().save(*args, **kwargs)

    @property
    def extra_seats(self):
        return max(0, self.seats - self.plan.included_seats)

    @property
    def allowance_left(self):
        """Questions left this period, or None when the plan is unlimited."""
        if self.plan.question_allowance is None:
            return None
        return max(0, self.plan.question_allowance - self.questions_used)

    @property
    def is_live(self):
        today = timezone.localdate()
        return self.status in self.LIVE_STATUSES and self.starts_on <= today <= self.access_until


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


class InvitationQuerySet(models.QuerySet):
    def pending(self, now=None):
        now = now or timezone.now()
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class Invitation(models.Model):
    """A seat held for someone a network admin invited by e-mail, until they join or it expires."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Membership.Role.choices, default=Membership.Role.ADVISER)
    organisation = models.CharField(max_length=200, blank=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    LINK_DAYS = 14  # an invitation, and the signed link that names it, last this long
    TOKEN_SALT = "subscriptions.invitation"

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["network", "email"])]

    def __str__(self):
        return f"Invitation for {self.email} to {self.network}"

    @property
    def token(self):
        """The signed token in the link the invitation e-mail carries (``services.invitation_from_token`` reads it)."""
        return signing.dumps({"invitation": self.pk}, salt=self.TOKEN_SALT)

    @property
    def state(self):
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class AccessKey(models.Model):
    """A network's key for its feeds and widgets: random, named, revocable."""

    class Kind(models.TextChoices):
        FEED = "feed", "Feed"
        WIDGET = "widget", "Widget"

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="access_keys")
    name = models.CharField(max_length=100, help_text="Where it is used, e.g. “Members' website”.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=64, unique=True, editable=False)
    allowed_origins = models.TextField(
        blank=True,
        help_text="Widgets only: the websites allowed to show it, one origin per line, e.g. https://www.example.org",
    )
    topic_ids = models.JSONField(default=list, blank=True, help_text="Limit to these topics (page ids); empty: all.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()}, {self.network})"

    def save(self, *args, **kwargs):
        if not self.key:
            self.key = secrets.token_urlsafe(24)
        super().save(*args, **kwargs)

    @property
    def is_active(self):
        return self.revoked_at is None

    @property
    def origins(self):
        return [line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()]


@register_setting(icon="doc-full")
class BillingSettings(BaseGenericSetting):
    """Who invoices, at what VAT rate, on what terms: set by coordinators (Settings → Billing settings)."""

    seller_name = models.CharField(max_length=200, default="Ask an Expert")
    seller_address = models.TextField(blank=True, default="")
    seller_vat_number = models.CharField("our VAT registration number", max_length=30, blank=True)
    billing_email = models.EmailField(
        "billing contact e-mail",
        blank=True,
        help_text="Printed on every invoice for questions about it; when there are no bank details, invoices ask "
        "customers to write here to pay.",
    )
    vat_rate = models.DecimalField(
        "VAT rate (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("20.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        "pay within (days)", default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    renewal_notice_days = models.PositiveSmallIntegerField(
        "renewal invoice sent (days before the period ends)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
    )
    grace_days = models.PositiveSmallIntegerField(
        "grace period after an unpaid renewal (days)",
        default=30,
        validators=[MinValueValidator(0), MaxValueValidator(180)],
    )
    reminder_interval_days = models.PositiveSmallIntegerField(
        "remind about overdue invoices every (days)",
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    bank_details = models.TextField(
        "bank details for transfers",
        blank=True,
        default="",
        help_text="Account name, sort code and account number, as customers should type them. Left blank, invoices "
        "ask customers to contact the billing e-mail address to pay.",
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("seller_name"),
                FieldPanel("seller_address"),
                FieldPanel("seller_vat_number"),
                FieldPanel("billing_email"),
            ],
            heading="On every invoice",
        ),
        FieldRowPanel([FieldPanel("vat_rate"), FieldPanel("payment_terms_days")]),
        FieldRowPanel(
            [FieldPanel("renewal_notice_days"), FieldPanel("grace_days"), FieldPanel("reminder_interval_days")]
        ),
        FieldPanel("bank_details"),
    ]

    class Meta:
        verbose_name = "Billing settings"

    def missing_invoice_details(self):
        """What invoices lack, in words for the coordinators' warning: empty when an invoice is complete."""
        missing = []
        if not self.seller_address.strip():
            missing.append("our address")
        if not self.seller_vat_number.strip() and self.vat_rate:
            missing.append(f"our VAT registration number (invoices charge VAT at {self.vat_rate.normalize():f}%)")
        if not self.bank_details.strip():
            missing.append("bank details for transfers")
        if not self.billing_email:
            missing.append("a billing contact e-mail")
        return missing


class InvoiceSequence(models.Model):
    """The next invoice number. Taken under a row lock inside the invoice's transaction: no gaps, no repeats."""

    name = models.CharField(max_length=20, unique=True)
    next_number = models.PositiveIntegerField(default=1)

    def __str__(self):
        return f"{self.name}: next {self.next_number}"


class Invoice(models.Model):
    class Status(models.TextChoices):
        ISSUED = "issued", "Issued"
        PAID = "paid", "Paid"
        VOID = "void", "Void"

    class Kind(models.TextChoices):
        NEW = "new", "New subscription"
        RENEWAL = "renewal", "Renewal"
        ADJUSTMENT = "adjustment", "Change of plan or seats"

    number = models.PositiveIntegerField(unique=True, editable=False)
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="invoices")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ISSUED)
    issued_on = models.DateField()
    due_on = models.DateField()
    period_start = models.DateField()
    period_end = models.DateField()
    billed_to = models.TextField(help_text="Name and address as printed.")
    subtotal = models.DecimalField(**MONEY)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    vat_amount = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    paid_on = models.DateField(null=True, blank=True)
    last_reminder_on = models.DateField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-number"]
        indexes = [models.Index(fields=["status", "due_on"])]
        constraints = [models.CheckConstraint(condition=Q(due_on__gte=models.F("issued_on")), name="due_after_issue")]

    def __str__(self):
        return self.display_number

    @property
    def display_number(self):
        return f"AE-{self.number:06d}" if self.number else "AE-(unnumbered)"

    @property
    def amount_paid(self):
        if hasattr(self, "_amount_paid"):
            return self._amount_paid
        return self.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")

    @property
    def balance(self):
        return self.total - self.amount_paid

    @property
    def is_overdue(self):
        return self.status == self.Status.ISSUED and self.due_on < timezone.localdate()


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=8, decimal_places=3, default=Decimal("1"))
    unit_price = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.description


class Payment(models.Model):
    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        CARD = "card", "Card"
        OTHER = "other", "Other"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    method = models.CharField(max_length=20, choices=Method.choices)
    reference = models.CharField(max_length=200, blank=True)
    received_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider_event_id = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["received_on", "pk"]

    def __str__(self):
        return f"£{self.amount} for {self.invoice}"


class PaymentEvent(models.Model):
    """Every webhook delivery from a card-payment provider, once: repeats are recognised by their id."""

    provider = models.CharField(max_length=50)
    event_id = models.CharField(max_length=200)
    received_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=100)
    payload = models.JSONField()
    outcome = models.CharField(max_length=300)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="one_event_per_provider_id")]

    def __str__(self):
        return f"{self.provider} {self.event_id}: {self.outcome}"


class UsageCount(models.Model):
    """How much a network used the service on a day: answers read, questions saved, widget views and clicks."""

    class Kind(models.TextChoices):
        ANSWER_READ = "answer_read", "Answers read by members"
        DEFLECTION = "deflection", "Similar answers that saved a question"
        WIDGET_VIEW = "widget_view", "Widget views"
        WIDGET_CLICK = "widget_click", "Widget clicks"

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["network", "day", "kind"], name="one_count_per_day_and_kind")]

    def __str__(self):
        return f"{self.network} {self.day} {self.kind}: {self.count}"


def validate_period(starts_on, ends_on):
    if ends_on < starts_on:
        raise ValidationError("A period must end on or after the day it starts.")
    if ends_on - starts_on > dt.timedelta(days=3 * 366):
        raise ValidationError("A period can be at most three years.")


class JoinRequest(models.Model):
    """An umbrella organisation asks to subscribe through ``/subscribe/``; a coordinator approves or refuses.

    Approving creates the network, makes the applicant its admin and starts the subscription chosen here: a free
    trial of the plan's length, or a paid year with its first invoice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"

    class Start(models.TextChoices):
        TRIAL = "trial", "Start with a free trial"
        INVOICE = "invoice", "Subscribe now and be invoiced"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    start = models.CharField(max_length=10, choices=Start.choices)
    seats = models.PositiveIntegerField()
    name = models.CharField("organisation name", max_length=200)
    website = models.URLField(blank=True)
    members_description = models.TextField(
        "who your members are", max_length=2000, blank=True, help_text="Roughly how many, and what they do."
    )
    billing_email = models.EmailField()
    billing_address = models.TextField(max_length=1000)
    vat_number = models.CharField("VAT number", max_length=30, blank=True)
    purchase_order = models.CharField("purchase order number", max_length=50, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    network = models.ForeignKey(Network, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["status", "submitted_at"])]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(status="pending"), name="one_pending_join_per_person")
        ]

    def __str__(self):
        return f"{self.name} ({self.get_status_display()})"

    @property
    def is_trial(self):
        return self.start == self.Start.TRIAL
