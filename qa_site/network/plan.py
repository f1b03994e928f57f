"""The network admin's plan page: change plan or seats (with the price stated before confirming), resume a
subscription set to stop, and subscribe after a free trial or once a subscription has ended.

Every change goes through ``subscriptions.billing``, which locks, invoices and says why a change cannot be made.
"""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from subscriptions import billing
from subscriptions.models import BillingSettings, Plan, Subscription

from .views import _network, _render

MAX_SEATS = 100_000


class PlanForm(forms.Form):
    plan = forms.ModelChoiceField(
        label="Plan",
        queryset=Plan.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose a plan", "invalid_choice": "Choose one of the plans listed"},
    )
    seats = forms.IntegerField(
        label="Adviser seats",
        min_value=1,
        max_value=MAX_SEATS,
        help_text="Members plus pending invitations each take a seat.",
        error_messages={
            "required": "Enter the number of seats",
            "invalid": "Enter the number of seats as a whole number, like 25",
            "min_value": "Enter at least 1 seat",
            "max_value": f"Enter at most {MAX_SEATS:,} seats",
        },
    )

    def __init__(self, *args, current=None, in_use=0, **kwargs):
        super().__init__(*args, **kwargs)
        listed = Plan.objects.filter(is_listed=True)
        if current is not None:
            listed = Plan.objects.filter(pk__in=[*listed.values_list("pk", flat=True), current.plan_id])
        self.fields["plan"].queryset = listed.order_by("annual_price")
        self.fields["plan"].label_from_instance = _plan_label
        self.in_use = in_use

    def clean(self):
        cleaned = super().clean()
        plan, seats = cleaned.get("plan"), cleaned.get("seats")
        if plan is not None and seats is not None:
            if seats < plan.included_seats:
                self.add_error(
                    "seats", f"The {plan.name} plan includes {plan.included_seats} seats: choose at least that many"
                )
            elif seats < self.in_use:
                self.add_error(
                    "seats",
                    f"{self.in_use} seats are in use (members and pending invitations): remove some first, "
                    "or choose more seats",
                )
        return cleaned


def _plan_label(plan):
    extra = f", extra seats £{plan.extra_seat_price:,.0f} each" if plan.extra_seat_price else ""
    return (
        f"{plan.name}: £{plan.annual_price:,.0f} a year + VAT, {plan.included_seats} seats included{extra}, "
        f"answers within {plan.sla_hours} working hours"
    )


def _page(request, network, *, form, quote=None, status=200):
    today = timezone.localdate()
    current = network.subscriptions.live(on=today).select_related("plan").order_by("-access_until").first()
    latest = current or network.latest_subscription
    following = billing.next_subscription(network, current) if current is not None else None
    context = {
        "subscription": current,
        "latest": latest,
        "following": following,
        "form": form,
        "quote": quote,
        "in_use": billing.seats_in_use(network),
        "policy": BillingSettings.load(),
        "can_change": current is not None and following is None,
        "can_subscribe": following is None and (current is None or current.status == Subscription.Status.TRIAL),
        "can_resume": current is not None
        and current.cancel_at_period_end
        and current.status != Subscription.Status.TRIAL,
        "past_due": current is not None and current.status == Subscription.Status.PAST_DUE,
    }
    return _render(request, "network/plan.html", network, "plan", context, status=status)


@login_required
def plan(request, slug):
    network = _network(request, slug)
    today = timezone.localdate()
    current = network.subscriptions.live(on=today).select_related("plan").order_by("-access_until").first()
    latest = current or network.latest_subscription
    in_use = billing.seats_in_use(network)
    initial = {"plan": latest.plan_id, "seats": max(latest.seats, in_use)} if latest else {}
    if request.method != "POST":
        return _page(request, network, form=PlanForm(initial=initial, current=latest, in_use=in_use))
    action = request.POST.get("action", "")
    if action == "resume":
        try:
            if current is None:
                raise billing.BillingError("There is no current subscription to resume: subscribe instead.")
            billing.subscription_resume(subscription_id=current.pk)
        except billing.BillingError as exc:
            messages.error(request, str(exc))
        else:
            renews = current.ends_on + dt.timedelta(days=1)
            messages.success(request, f"The subscription will renew on {renews.day} {renews:%B %Y}.")
        return redirect("network:plan", slug=network.slug)
    form = PlanForm(request.POST, current=latest, in_use=in_use)
    if action not in ("quote", "confirm", "subscribe") or not form.is_valid():
        if action not in ("quote", "confirm", "subscribe"):
            form.add_error(None, "Choose what to do: see the price of a change, or subscribe.")
        return _page(request, network, form=form, status=400)
    chosen, seats = form.cleaned_data["plan"], form.cleaned_data["seats"]
    try:
        if action == "subscribe":
            subscription = billing.subscription_renew(network=network, plan=chosen, seats=seats, today=today)
            starts = subscription.starts_on
            messages.success(
                request,
                f"Subscribed to the {chosen.name} plan with {seats} seats from {starts.day} {starts:%B %Y}. "
                "The invoice is on its way to your billing e-mail address and listed under Invoices.",
            )
            return redirect("network:network", slug=network.slug)
        if current is None:
            raise billing.BillingError("There is no current subscription to change: subscribe instead.")
        if chosen.pk == current.plan_id and seats == current.seats:
            raise billing.BillingError(f"You already have the {chosen.name} plan with {seats} seats.")
        if action == "quote":
            quote = billing.change_quote(current, plan=chosen, seats=seats, today=today)
            return _page(request, network, form=form, quote=quote)
        _subscription, invoice = billing.subscription_change(
            subscription_id=current.pk, plan=chosen, seats=seats, today=today
        )
    except billing.BillingError as exc:
        form.add_error(None, str(exc))
        return _page(request, network, form=form, status=400)
    done = f"Changed to the {chosen.name} plan with {seats} seats."
    if invoice is not None:
        done += f" Invoice {invoice.display_number} for £{invoice.total:,.2f} is on its way."
    messages.success(request, done)
    return redirect(reverse("network:network", kwargs={"slug": network.slug}))
