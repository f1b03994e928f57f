"""The coordinators' billing console in the Wagtail admin.

Networks: each network's plan, status, seats, period, questions and what it owes, with starting, changing and
cancelling a subscription. Invoices: filtered lists, each invoice with its lines and payments, printable and as
CSV, recording a payment received and voiding an unpaid invoice. Webhook deliveries from the card-payment
provider, for support. The billing report: invoiced, received and outstanding by month, and overdue invoices.

Every change goes through ``billing`` (which locks, numbers and e-mails); the forms here refuse bad input with a
message and change nothing. Every screen needs a coordinator and runs a fixed number of queries however many
networks or invoices it shows. This app sits below the Q&A core and experts, so it has its own small
coordinator check rather than theirs.
"""

import datetime as dt
import json
import re
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, IntegerField, OuterRef, Prefetch, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from qa_site import charts
from qa_site.exports import csv_response

from . import access, billing
from .models import (
    BillingSettings,
    Invitation,
    Invoice,
    Membership,
    Network,
    Payment,
    PaymentEvent,
    Plan,
    Subscription,
)

ZERO = Decimal("0.00")
MONEY_FIELD = DecimalField(max_digits=12, decimal_places=2)
MAX_SEATS = 100_000
MAX_PAYMENT = Decimal("99999999.99")  # what the amount column holds
PAGE_SIZE = 50


class CoordinatorView(WagtailAdminTemplateMixin, TemplateView):
    """Base for the billing screens: the admin already requires a login; this requires a coordinator (staff)."""

    def dispatch(self, request, *args, **kwargs):
        if not access.is_coordinator(request.user):
            raise PermissionDenied("Only coordinators can use this screen.")
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + self.parent_breadcrumbs() + [{"url": "", "label": self.get_page_title()}]

    def parent_breadcrumbs(self):
        return []

    # The networks and invoice screens say what invoices lack until every detail is set
    # (subscriptions/admin/includes/missing_details.html, with a link to Settings → Billing settings).
    warns_of_missing_invoice_details = False

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.warns_of_missing_invoice_details:
            context["missing_invoice_details"] = BillingSettings.load().missing_invoice_details()
        return context


def networks_crumb():
    return [{"url": reverse("billing_admin:networks"), "label": "Networks and subscriptions"}]


def invoices_crumb():
    return [{"url": reverse("billing_admin:invoices"), "label": "Invoices"}]


# --- Sums, in SQL ---------------------------------------------------------------------------------------------------


def _subquery_sum(queryset, group, field, output_field=MONEY_FIELD, default=ZERO):
    """A correlated subquery: the sum of ``field`` over ``queryset`` grouped by ``group`` (filtered on OuterRef)."""
    total = queryset.order_by().values(group).annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(total, output_field=output_field), Value(default), output_field=output_field)


def _subquery_count(queryset, group):
    counted = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def paid_on_invoice():
    """Annotation: what has been paid on each invoice (read by ``Invoice.amount_paid`` as ``_amount_paid``)."""
    return _subquery_sum(Payment.objects.filter(invoice=OuterRef("pk")), "invoice", "amount")


def invoices_with_payments():
    return Invoice.objects.select_related("network").annotate(_amount_paid=paid_on_invoice())


# --- Networks --------------------------------------------------------------------------------------------------------


def networks_overview(today=None):
    """Every network with its subscription (the current one, else the next, else the last), seats in use and what
    it owes: three queries however many networks."""
    today = today or timezone.localdate()
    issued = Invoice.objects.filter(network=OuterRef("pk"), status=Invoice.Status.ISSUED)
    networks = list(
        Network.objects.annotate(
            members=_subquery_count(Membership.objects.filter(network=OuterRef("pk")), "network"),
            pending=_subquery_count(Invitation.objects.pending().filter(network=OuterRef("pk")), "network"),
            invoiced=_subquery_sum(issued, "network", "total"),
            paid=_subquery_sum(
                Payment.objects.filter(invoice__network=OuterRef("pk"), invoice__status=Invoice.Status.ISSUED),
                "invoice__network",
                "amount",
            ),
            overdue=_subquery_count(issued.filter(due_on__lt=today), "network"),
        )
        .prefetch_related(
            Prefetch(
                "subscriptions",
                queryset=Subscription.objects.select_related("plan").order_by("-ends_on", "-pk"),
                to_attr="history",
            )
        )
        .order_by("name")
    )
    for network in networks:
        network.seats_in_use = network.members + network.pending
        network.balance = network.invoiced - network.paid
        network.subscription = shown_subscription(network.history, today)
        subscription = network.subscription
        network.can_start = subscription is None or not _holds_period(subscription, today)
        network.can_change = subscription is not None and subscription.is_live
        network.can_cancel = subscription is not None and subscription.status in Subscription.LIVE_STATUSES
    return networks


def _holds_period(subscription, today):
    """Does ``subscription`` give (or will it give) access from ``today`` on?"""
    return subscription.status in Subscription.LIVE_STATUSES and subscription.access_until >= today


def shown_subscription(history, today):
    """Which of a network's subscriptions (newest first) the console shows: live, else upcoming, else the last."""
    live = [s for s in history if s.status in Subscription.LIVE_STATUSES and s.starts_on <= today <= s.access_until]
    if live:
        return max(live, key=lambda s: s.access_until)
    upcoming = [s for s in history if s.status in Subscription.LIVE_STATUSES and s.starts_on > today]
    if upcoming:
        return min(upcoming, key=lambda s: s.starts_on)
    return history[0] if history else None


class NetworksView(CoordinatorView):
    warns_of_missing_invoice_details = True
    page_title = "Networks and subscriptions"
    header_icon = "group"
    template_name = "subscriptions/admin/networks.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["networks"] = networks_overview()
        context["today"] = timezone.localdate()
        return context


def _seats_errors(plan, seats, in_use):
    errors = []
    if seats < plan.included_seats:
        errors.append(f"The {plan} plan includes {plan.included_seats} seats: choose at least {plan.included_seats}.")
    if seats < in_use:
        errors.append(
            f"{in_use} seats are in use (members and pending invitations): choose at least {in_use}, "
            "or ask the network to remove members or withdraw invitations first."
        )
    return errors


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, plan):
        extra = f", extra seats £{plan.extra_seat_price:,.2f}" if plan.extra_seat_price else ""
        return f"{plan.name}: £{plan.annual_price:,.2f} a year for {plan.included_seats} seats{extra}"


def plan_field(**kwargs):
    return PlanChoiceField(
        queryset=Plan.objects.order_by("annual_price", "name"),
        empty_label="Choose a plan…",
        error_messages={
            "required": "Choose a plan.",
            "invalid_choice": "Choose one of the plans listed; that plan does not exist.",
        },
        **kwargs,
    )


def seats_field(**kwargs):
    return forms.IntegerField(
        min_value=1,
        max_value=MAX_SEATS,
        error_messages={
            "invalid": "Enter the number of seats as a whole number, such as 30.",
            "min_value": "Enter at least 1 seat.",
            "max_value": f"Enter at most {MAX_SEATS:,} seats.",
        },
        **kwargs,
    )


DATE_ERRORS = {"invalid": "Enter a real date, as YYYY-MM-DD.", "required": "Enter a date."}


class StartForm(forms.Form):
    TRIAL, PAID = "trial", "paid"

    plan = plan_field()
    seats = seats_field(required=False, help_text="Leave empty for the plan's included seats.")
    starts_on = forms.DateField(
        label="Starts on", widget=forms.DateInput(attrs={"type": "date"}), error_messages=DATE_ERRORS
    )
    kind = forms.ChoiceField(
        label="Trial or paid",
        choices=[
            (PAID, "Paid: a year, invoiced now"),
            (TRIAL, "Free trial: the plan's trial days, no invoice"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a free trial or a paid year.", "invalid_choice": "Choose trial or paid."},
    )

    def __init__(self, *args, network, in_use, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.network, self.in_use, self.today = network, in_use, today
        self.fields["starts_on"].initial = today
        self.fields["kind"].initial = self.PAID

    def clean(self):
        cleaned = super().clean()
        plan, starts_on, kind = cleaned.get("plan"), cleaned.get("starts_on"), cleaned.get("kind")
        if plan is None:
            return cleaned
        seats = cleaned.get("seats")
        if seats is None and not self.errors.get("seats"):
            seats = cleaned["seats"] = plan.included_seats
        if seats is not None:
            for error in _seats_errors(plan, seats, self.in_use):
                self.add_error("seats", error)
        if kind == self.TRIAL and not plan.trial_days:
            self.add_error("kind", f"The {plan} plan has no free trial: choose a paid year.")
        elif starts_on and kind:
            ends_on = (
                starts_on + dt.timedelta(days=plan.trial_days - 1)
                if kind == self.TRIAL
                else billing._year_after(starts_on)
            )
            if ends_on < self.today:
                self.add_error(
                    "starts_on",
                    f"A subscription starting on {starts_on:%d %b %Y} would have ended on {ends_on:%d %b %Y}: "
                    "choose a later start.",
                )
            elif starts_on > self.today + dt.timedelta(days=366):
                self.add_error("starts_on", "A subscription can start at most a year from today.")
        return cleaned


def _network_context(network, in_use):
    subscriptions = list(network.subscriptions.select_related("plan").order_by("-ends_on", "-pk"))
    return {"network": network, "in_use": in_use, "history": subscriptions}


class StartView(CoordinatorView):
    header_icon = "plus"
    template_name = "subscriptions/admin/start.html"

    def get_page_title(self):
        return "Start a subscription"

    def parent_breadcrumbs(self):
        return networks_crumb()

    def dispatch(self, request, *args, **kwargs):
        if access.is_coordinator(request.user):
            self.network = get_object_or_404(Network, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def form(self, data=None):
        self.in_use = billing.seats_in_use(self.network)
        return StartForm(data, network=self.network, in_use=self.in_use, today=timezone.localdate())

    def get(self, request, *args, **kwargs):
        return self.show(self.form())

    def show(self, form, status=200):
        context = self.get_context_data(form=form, **_network_context(self.network, self.in_use))
        return self.render_to_response(context, status=status)

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if not form.is_valid():
            messages.error(request, "The subscription was not started: correct the errors below.")
            return self.show(form)
        data = form.cleaned_data
        try:
            subscription = billing.subscription_start(
                network=self.network,
                plan=data["plan"],
                seats=data["seats"],
                starts_on=data["starts_on"],
                trial=data["kind"] == StartForm.TRIAL,
            )
        except billing.BillingError as exc:
            form.add_error(None, str(exc))
            messages.error(request, f"The subscription was not started: {exc}")
            return self.show(form)
        if subscription.status == Subscription.Status.TRIAL:
            messages.success(
                request,
                f"{self.network} has a free trial of the {subscription.plan} plan with {subscription.seats} seats, "
                f"{subscription.starts_on:%d %b %Y} to {subscription.ends_on:%d %b %Y}.",
            )
            return redirect("billing_admin:networks")
        invoice = subscription.invoices.get()
        messages.success(
            request,
            f"{self.network} subscribes to the {subscription.plan} plan with {subscription.seats} seats, "
            f"{subscription.starts_on:%d %b %Y} to {subscription.ends_on:%d %b %Y}. "
            f"Invoice {invoice.display_number} for £{invoice.total:,.2f} has been issued and sent.",
        )
        return redirect("billing_admin:invoice", pk=invoice.pk)


class ChangeForm(forms.Form):
    plan = plan_field()
    seats = seats_field()

    def __init__(self, *args, subscription, in_use, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscription, self.in_use = subscription, in_use
        self.fields["plan"].initial = subscription.plan_id
        self.fields["seats"].initial = subscription.seats

    def clean(self):
        cleaned = super().clean()
        plan, seats = cleaned.get("plan"), cleaned.get("seats")
        if plan is None or seats is None:
            return cleaned
        errors = _seats_errors(plan, seats, self.in_use)
        for error in errors:
            self.add_error("seats", error)
        if not errors and plan.pk == self.subscription.plan_id and seats == self.subscription.seats:
            raise forms.ValidationError(
                f"That is the plan and seats the network already has ({plan}, {seats} seats): nothing to change."
            )
        return cleaned


class SubscriptionActionView(CoordinatorView):
    """Base for the views that act on one subscription."""

    def parent_breadcrumbs(self):
        return networks_crumb()

    def dispatch(self, request, *args, **kwargs):
        if access.is_coordinator(request.user):
            self.subscription = get_object_or_404(
                Subscription.objects.select_related("plan", "network", "renewal_invoice"), pk=kwargs["pk"]
            )
            self.network = self.subscription.network
        return super().dispatch(request, *args, **kwargs)

    def show(self, form, status=200):
        in_use = billing.seats_in_use(self.network)
        context = self.get_context_data(
            form=form, subscription=self.subscription, **_network_context(self.network, in_use)
        )
        return self.render_to_response(context, status=status)


class ChangeView(SubscriptionActionView):
    header_icon = "edit"
    template_name = "subscriptions/admin/change.html"

    def get_page_title(self):
        return "Change plan or seats"

    def form(self, data=None):
        return ChangeForm(data, subscription=self.subscription, in_use=billing.seats_in_use(self.network))

    def get(self, request, *args, **kwargs):
        if not self.subscription.is_live:
            messages.error(request, f"That subscription of {self.network} is not current, so it cannot be changed.")
            return redirect("billing_admin:networks")
        return self.show(self.form())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        subscription = self.subscription
        today = timezone.localdate()
        context["period_days"] = (subscription.ends_on - subscription.starts_on).days + 1
        context["remaining_days"] = max((subscription.ends_on - today).days + 1, 0)
        return context

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if not form.is_valid():
            messages.error(request, "Nothing was changed: correct the errors below.")
            return self.show(form)
        renewal_before = self.subscription.renewal_invoice
        try:
            subscription, invoice = billing.subscription_change(
                subscription_id=self.subscription.pk, plan=form.cleaned_data["plan"], seats=form.cleaned_data["seats"]
            )
        except billing.BillingError as exc:
            form.add_error(None, str(exc))
            messages.error(request, f"Nothing was changed: {exc}")
            return self.show(form)
        text = f"{self.network} now has the {subscription.plan} plan with {subscription.seats} seats."
        if renewal_before is not None and subscription.renewal_invoice_id != renewal_before.pk:
            renewal = subscription.renewal_invoice
            text += (
                f" Renewal invoice {renewal_before.display_number} was voided and issued again at the new price as "
                f"{renewal.display_number} (£{renewal.total:,.2f})."
            )
        if invoice is None:
            messages.success(request, text + " No adjustment invoice: the change costs nothing more this period.")
            return redirect("billing_admin:networks")
        messages.success(
            request, text + f" Adjustment invoice {invoice.display_number} for £{invoice.total:,.2f} has been issued."
        )
        return redirect("billing_admin:invoice", pk=invoice.pk)


class CancelForm(forms.Form):
    PERIOD_END, NOW = "period_end", "now"

    when = forms.ChoiceField(
        label="When",
        choices=[
            (PERIOD_END, "At the end of the period: no renewal; members keep access until the period ends"),
            (NOW, "Now: members lose access today"),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose when the subscription ends.",
            "invalid_choice": "Choose at the end of the period, or now.",
        },
    )


class CancelView(SubscriptionActionView):
    header_icon = "cross"
    template_name = "subscriptions/admin/cancel.html"

    def get_page_title(self):
        return "Cancel a subscription"

    def get(self, request, *args, **kwargs):
        if self.subscription.status not in Subscription.LIVE_STATUSES:
            messages.error(request, f"That subscription of {self.network} has already ended.")
            return redirect("billing_admin:networks")
        return self.show(CancelForm())

    def post(self, request, *args, **kwargs):
        form = CancelForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Nothing was changed: choose when the subscription ends.")
            return self.show(form)
        immediately = form.cleaned_data["when"] == CancelForm.NOW
        try:
            subscription = billing.subscription_cancel(subscription_id=self.subscription.pk, immediately=immediately)
        except billing.BillingError as exc:
            messages.error(request, f"Nothing was changed: {exc}")
            return redirect("billing_admin:networks")
        if immediately:
            text = f"{self.network}'s subscription is cancelled: members' access has ended."
        elif subscription.cancel_at_period_end and self.subscription.cancel_at_period_end:
            text = f"{self.network}'s subscription was already set to end on {subscription.access_until:%d %b %Y}."
        else:
            text = (
                f"{self.network}'s subscription will not renew: members keep access until "
                f"{subscription.access_until:%d %b %Y}."
            )
        renewal = self.subscription.renewal_invoice
        if renewal is not None and renewal.status == Invoice.Status.ISSUED:
            renewal.refresh_from_db()
            if renewal.status == Invoice.Status.VOID:
                text += f" Renewal invoice {renewal.display_number} was voided."
        messages.success(request, text)
        return redirect("billing_admin:networks")


# --- Invoices --------------------------------------------------------------------------------------------------------


AMOUNT_FORMAT = re.compile(r"(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]{1,2})?")


def parse_amount(text):
    """A sum of money typed by a person, as Decimal, or raise ValidationError saying what is wrong."""
    text = text.strip().removeprefix("£").strip()
    if not text:
        raise forms.ValidationError("Enter the amount received, such as 120.50.")
    if text.startswith("-"):
        raise forms.ValidationError("Enter an amount more than £0.00: refunds are not recorded here.")
    if re.fullmatch(r"[0-9,]*\.[0-9]{3,}", text):
        raise forms.ValidationError("Amounts are in pounds and pence: use at most two decimal places, such as 10.25.")
    if not AMOUNT_FORMAT.fullmatch(text):
        raise forms.ValidationError("Enter an amount in pounds and pence, such as 120.50.")
    amount = Decimal(text.replace(",", ""))
    if amount <= 0:
        raise forms.ValidationError("Enter an amount more than £0.00.")
    if amount > MAX_PAYMENT:
        raise forms.ValidationError("That amount is far too large.")
    return amount


class PaymentForm(forms.Form):
    amount = forms.CharField(
        label="Amount (£)", max_length=30, error_messages={"required": "Enter the amount received."}
    )
    method = forms.ChoiceField(
        choices=[(Payment.Method.BANK_TRANSFER, "Bank transfer"), (Payment.Method.OTHER, "Other")],
        error_messages={
            "required": "Choose how it was paid.",
            "invalid_choice": "Choose bank transfer or other (card payments arrive from the payment provider).",
        },
    )
    reference = forms.CharField(
        max_length=200, required=False, help_text="The bank's reference, a cheque number…", strip=True
    )
    received_on = forms.DateField(
        label="Received on", widget=forms.DateInput(attrs={"type": "date"}), error_messages=DATE_ERRORS
    )

    def __init__(self, *args, invoice, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoice, self.today = invoice, today
        self.fields["received_on"].initial = today
        self.fields["amount"].initial = f"{invoice.balance:.2f}" if invoice.balance > 0 else ""

    def clean_amount(self):
        amount = parse_amount(self.cleaned_data["amount"])
        balance = self.invoice.balance
        if self.invoice.status == Invoice.Status.ISSUED and amount > balance:
            raise forms.ValidationError(
                f"That is more than the £{balance:,.2f} still owed on {self.invoice.display_number}."
            )
        return amount

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > self.today:
            raise forms.ValidationError("A payment cannot be received in the future.")
        if day < self.invoice.issued_on:
            raise forms.ValidationError(
                f"{self.invoice.display_number} was issued on {self.invoice.issued_on:%d %b %Y}: "
                "a payment for it cannot have been received before that."
            )
        return day

    def clean(self):
        cleaned = super().clean()
        if self.invoice.status == Invoice.Status.VOID:
            raise forms.ValidationError(f"{self.invoice.display_number} is void: nothing can be paid on it.")
        if self.invoice.status == Invoice.Status.PAID:
            raise forms.ValidationError(f"{self.invoice.display_number} is already paid in full.")
        return cleaned


def invoice_for_view(pk):
    return get_object_or_404(
        invoices_with_payments().select_related("subscription__plan").prefetch_related("lines"), pk=pk
    )


class InvoiceView(CoordinatorView):
    """One invoice: lines, payments, recording a payment (POST), voiding."""

    warns_of_missing_invoice_details = True
    header_icon = "doc-full"
    template_name = "subscriptions/admin/invoice.html"

    def get_page_title(self):
        return f"Invoice {self.invoice.display_number}"

    def parent_breadcrumbs(self):
        return invoices_crumb()

    def dispatch(self, request, *args, **kwargs):
        if access.is_coordinator(request.user):
            self.invoice = invoice_for_view(kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.show(PaymentForm(invoice=self.invoice, today=timezone.localdate()))

    def show(self, form):
        invoice = self.invoice
        payments = list(invoice.payments.select_related("recorded_by"))
        context = self.get_context_data(
            invoice=invoice,
            payments=payments,
            form=form,
            can_pay=invoice.status == Invoice.Status.ISSUED,
            can_void=invoice.status == Invoice.Status.ISSUED and not payments,
            is_renewal_of=invoice.subscription
            if invoice.subscription and invoice.subscription.renewal_invoice_id == invoice.pk
            else None,
        )
        return self.render_to_response(context)

    def post(self, request, *args, **kwargs):
        invoice = self.invoice
        form = PaymentForm(request.POST, invoice=invoice, today=timezone.localdate())
        if not form.is_valid():
            messages.error(request, "No payment was recorded: correct the errors below.")
            return self.show(form)
        data = form.cleaned_data
        try:
            payment = billing.payment_record(
                invoice_id=invoice.pk,
                amount=data["amount"],
                method=data["method"],
                received_on=data["received_on"],
                reference=data["reference"],
                actor=request.user,
            )
        except billing.BillingError as exc:
            form.add_error(None, str(exc))
            messages.error(request, f"No payment was recorded: {exc}")
            self.invoice = invoice_for_view(invoice.pk)
            return self.show(form)
        invoice = invoice_for_view(invoice.pk)
        if invoice.status == Invoice.Status.PAID:
            messages.success(
                request,
                f"£{payment.amount:,.2f} recorded: {invoice.display_number} is paid in full and "
                f"{invoice.network} has been sent a receipt.",
            )
        else:
            messages.success(
                request,
                f"£{payment.amount:,.2f} recorded: £{invoice.balance:,.2f} is still owed on {invoice.display_number}.",
            )
        return redirect("billing_admin:invoice", pk=invoice.pk)


class InvoiceVoidView(CoordinatorView):
    http_method_names = ["post"]

    def post(self, request, pk):
        invoice = get_object_or_404(Invoice, pk=pk)
        try:
            billing.invoice_void(invoice_id=invoice.pk)
        except billing.BillingError as exc:
            messages.error(request, f"{invoice.display_number} was not voided: {exc}")
        else:
            text = f"{invoice.display_number} is void: nothing is owed on it."
            if invoice.kind == Invoice.Kind.RENEWAL:
                text += " Unless the subscription is cancelled, the daily billing run issues a fresh renewal invoice."
            messages.success(request, text)
        return redirect("billing_admin:invoice", pk=invoice.pk)


class InvoicePrintView(CoordinatorView):
    """The invoice as the network receives it, on its own page, ready to print (or save as PDF)."""

    template_name = "subscriptions/admin/invoice_print.html"

    def get(self, request, pk):
        invoice = invoice_for_view(pk)
        seller = BillingSettings.load()
        return render(
            request,
            self.template_name,
            {
                "invoice": invoice,
                "payments": list(invoice.payments.all()),
                "seller": seller,
                "missing_details": seller.missing_invoice_details(),
            },
        )


class InvoiceCSVView(CoordinatorView):
    def get(self, request, pk):
        invoice = invoice_for_view(pk)
        number, network = invoice.display_number, invoice.network.name
        rows = [
            [number, network, line.description, f"{line.quantity.normalize():f}", line.unit_price, line.amount]
            for line in invoice.lines.all()
        ]
        rows += [
            [number, network, "Subtotal", "", "", invoice.subtotal],
            [number, network, f"VAT at {invoice.vat_rate.normalize():f}%", "", "", invoice.vat_amount],
            [number, network, "Total", "", "", invoice.total],
            [number, network, "Paid", "", "", f"{invoice.amount_paid:.2f}"],
            [number, network, "Balance", "", "", f"{invoice.balance:.2f}"],
        ]
        return csv_response(
            f"{number}.csv", ["invoice", "network", "description", "quantity", "unit_price", "amount"], rows
        )


# --- Webhook deliveries ----------------------------------------------------------------------------------------------


class WebhookEventsView(CoordinatorView):
    page_title = "Webhook deliveries"
    header_icon = "link"
    template_name = "subscriptions/admin/webhooks.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        events = PaymentEvent.objects.order_by("-received_at", "-pk")
        query = self.request.GET.get("q", "").replace("\x00", "").strip()[:200]  # PostgreSQL refuses NUL in text
        if query:
            events = events.filter(Q(event_id__icontains=query) | Q(outcome__icontains=query))
        page = Paginator(events, PAGE_SIZE).get_page(self.request.GET.get("p"))
        for event in page:
            event.payload_text = json.dumps(event.payload, indent=2, sort_keys=True, ensure_ascii=False)
            event.applied = event.outcome.startswith("recorded")
        context["events"] = page
        context["query"] = query
        return context


# --- The billing report ------------------------------------------------------------------------------------------

DEFAULT_MONTHS = 12
MAX_MONTHS = 60


def shift_month(month, by):
    """The first day of the month ``by`` months after ``month`` (a first of the month)."""
    index = month.year * 12 + month.month - 1 + by
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_months(params, today=None):
    """(first month, last month, error or "") from GET ``from`` and ``to`` (YYYY-MM); junk gives the last year."""
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    default = (shift_month(this_month, -(DEFAULT_MONTHS - 1)), this_month)
    raw_from, raw_to = params.get("from", "").strip(), params.get("to", "").strip()
    if not raw_from and not raw_to:
        return (*default, "")
    start = _parse_month(raw_from) if raw_from else default[0]
    end = _parse_month(raw_to) if raw_to else default[1]
    if start is None or end is None:
        return (*default, "Months are written YYYY-MM, such as 2026-01: showing the last 12 months instead.")
    if start > end:
        return (*default, "The first month is after the last: showing the last 12 months instead.")
    if (end.year * 12 + end.month) - (start.year * 12 + start.month) + 1 > MAX_MONTHS:
        return (*default, f"Choose at most {MAX_MONTHS} months: showing the last 12 months instead.")
    return start, end, ""


def _parse_month(value):
    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", value)
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (2000 <= year <= 2999 and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1)


def _by_month(queryset, date_field, value_field):
    rows = (
        queryset.annotate(month=TruncMonth(date_field))
        .order_by()
        .values("month")
        .annotate(total=Sum(value_field))
        .values_list("month", "total")
    )
    return {month: total or ZERO for month, total in rows}


def billing_by_month(start, end):
    """Month by month from ``start`` to ``end`` (firsts of months): invoiced (invoices issued, not void), received
    (payments received) and still owed today on the invoices issued that month. Three queries."""
    last_day = shift_month(end, 1) - dt.timedelta(days=1)
    invoices = Invoice.objects.filter(issued_on__gte=start, issued_on__lte=last_day)
    invoiced = _by_month(invoices.exclude(status=Invoice.Status.VOID), "issued_on", "total")
    received = _by_month(
        Payment.objects.filter(received_on__gte=start, received_on__lte=last_day), "received_on", "amount"
    )
    unpaid = invoices.filter(status=Invoice.Status.ISSUED).annotate(_amount_paid=paid_on_invoice())
    owed = {}
    for issued_on, total, paid in unpaid.values_list("issued_on", "total", "_amount_paid"):
        month = issued_on.replace(day=1)
        owed[month] = owed.get(month, ZERO) + total - paid
    rows, month = [], start
    while month <= end:
        rows.append(
            {
                "month": month,
                "invoiced": invoiced.get(month, ZERO),
                "received": received.get(month, ZERO),
                "outstanding": owed.get(month, ZERO),
            }
        )
        month = shift_month(month, 1)
    return rows


def overdue_invoices(today):
    return invoices_with_payments().filter(status=Invoice.Status.ISSUED, due_on__lt=today).order_by("due_on", "number")


class BillingReportView(CoordinatorView):
    page_title = "Billing"
    header_icon = "table"
    template_name = "subscriptions/admin/report.html"

    def get(self, request, *args, **kwargs):
        start, end, error = parse_months(request.GET)
        if error:
            messages.error(request, error)
        rows = billing_by_month(start, end)
        export = request.GET.get("export")
        if export == "csv" and not error:
            return csv_response(
                f"billing-{start:%Y-%m}-to-{end:%Y-%m}.csv",
                ["month", "invoiced", "received", "outstanding"],
                [
                    [f"{r['month']:%Y-%m}", f"{r['invoiced']:.2f}", f"{r['received']:.2f}", f"{r['outstanding']:.2f}"]
                    for r in rows
                ],
            )
        if export and export != "csv":
            messages.error(request, "Unknown export: the billing report downloads as CSV.")
        return self.render_to_response(self.get_context_data(start=start, end=end, rows=rows))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        rows = kwargs["rows"]
        totals = {key: sum((row[key] for row in rows), ZERO) for key in ("invoiced", "received", "outstanding")}
        context.update(
            totals=totals,
            chart=charts.bar(
                title="Invoiced, received and outstanding by month (£)",
                labels=[f"{row['month']:%b %Y}" for row in rows],
                series={
                    "Invoiced": [row["invoiced"] for row in rows],
                    "Received": [row["received"] for row in rows],
                    "Outstanding": [row["outstanding"] for row in rows],
                },
                money=True,
            ),
            overdue=list(overdue_invoices(today)),
            today=today,
            from_value=f"{kwargs['start']:%Y-%m}",
            to_value=f"{kwargs['end']:%Y-%m}",
            query=urlencode({"from": f"{kwargs['start']:%Y-%m}", "to": f"{kwargs['end']:%Y-%m}"}),
        )
        context["overdue_total"] = sum((invoice.balance for invoice in context["overdue"]), ZERO)
        for invoice in context["overdue"]:
            invoice.days_overdue = (today - invoice.due_on).days
        return context
