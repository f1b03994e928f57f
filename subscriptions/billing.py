"""Invoices, payments, and the daily billing sweep that renews, reminds, and expires.

Invoice numbers come from ``InvoiceSequence`` under a row lock inside the invoice's own transaction, so
they are gap-free and never repeat, however many are issued at once. Amounts are ``Decimal`` throughout,
rounded half-up to the penny. Every side effect (e-mail) waits for the commit.

A subscription's life: trial or active for its period → (renewal invoice N days before the end) → paid:
the next period starts / unpaid at the end: past due, members keep access through the grace period →
still unpaid at the end of grace: expired. Cancelling stops renewal; access lasts to the period's end.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from qa_site import outbox

from . import access, signals, tasks
from .models import BillingSettings, Invitation, Invoice, InvoiceLine, InvoiceSequence, Network, Payment, Subscription

log = logging.getLogger(__name__)
PENNY = Decimal("0.01")
SEQUENCE = "invoices"


class BillingError(Exception):
    """A billing change that cannot be made; the message says why, for people."""


def money(value):
    return Decimal(value).quantize(PENNY, rounding=ROUND_HALF_UP)


def _next_number():
    """The next invoice number, taken under a row lock held until the caller's transaction ends."""
    sequence, _ = InvoiceSequence.objects.get_or_create(name=SEQUENCE)
    sequence = InvoiceSequence.objects.select_for_update().get(pk=sequence.pk)
    number = sequence.next_number
    InvoiceSequence.objects.filter(pk=sequence.pk).update(next_number=F("next_number") + 1)
    return number


def _billed_to(network):
    return "\n".join(
        part
        for part in [network.name, network.billing_address, network.vat_number and f"VAT number: {network.vat_number}"]
        if part
    )


def period_lines(plan, seats, *, fraction=Decimal("1"), label=""):
    """Invoice lines for ``plan`` with ``seats`` for a whole year (``fraction`` 1) or part of one."""
    lines = [
        (
            f"{plan.name} plan{label}: {plan.included_seats} seats, answers within {plan.sla_hours} working hours",
            Decimal("1"),
            money(plan.annual_price * fraction),
        )
    ]
    extra = max(0, seats - plan.included_seats)
    if extra:
        lines.append((f"Extra seats{label}", Decimal(extra), money(plan.extra_seat_price * fraction)))
    return lines


@transaction.atomic
def invoice_issue(*, network, subscription, kind, period_start, period_end, lines, issued_on=None):
    """Issue a numbered invoice. ``lines``: [(description, quantity, unit_price)]."""
    policy = BillingSettings.load()
    issued_on = issued_on or timezone.localdate()
    subtotal = money(sum((money(quantity * unit) for _, quantity, unit in lines), Decimal("0")))
    vat_amount = money(subtotal * policy.vat_rate / 100)
    invoice = Invoice.objects.create(
        number=_next_number(),
        network=network,
        subscription=subscription,
        kind=kind,
        issued_on=issued_on,
        due_on=issued_on + dt.timedelta(days=policy.payment_terms_days),
        period_start=period_start,
        period_end=period_end,
        billed_to=_billed_to(network),
        subtotal=subtotal,
        vat_rate=policy.vat_rate,
        vat_amount=vat_amount,
        total=subtotal + vat_amount,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            description=description,
            quantity=quantity,
            unit_price=money(unit),
            amount=money(quantity * unit),
        )
        for description, quantity, unit in lines
    )
    outbox.enqueue(tasks.send_invoice_issued, invoice.pk)
    return invoice


@transaction.atomic
def subscription_start(*, network, plan, seats=None, starts_on=None, trial=False):
    """Start a network's subscription: a free trial, or a paid year with its first invoice."""
    # Lock the network so two starts at once cannot both pass the check below.
    network = Network.objects.select_for_update().get(pk=network.pk)
    starts_on = starts_on or timezone.localdate()
    # Not only today's live subscription: one starting later, or still in its period, would overlap too.
    if network.subscriptions.filter(status__in=Subscription.LIVE_STATUSES, access_until__gte=starts_on).exists():
        raise BillingError(f"{network} already has a current subscription.")
    seats = plan.included_seats if seats is None else seats
    if seats < plan.included_seats:
        raise BillingError(f"The {plan} plan includes {plan.included_seats} seats; choose at least that many.")
    if trial and not plan.trial_days:
        raise BillingError(f"The {plan} plan has no free trial.")
    ends_on = starts_on + dt.timedelta(days=plan.trial_days - 1) if trial else _year_after(starts_on)
    subscription = Subscription.objects.create(
        network=network,
        plan=plan,
        seats=seats,
        starts_on=starts_on,
        ends_on=ends_on,
        access_until=ends_on,
        status=Subscription.Status.TRIAL if trial else Subscription.Status.ACTIVE,
    )
    if not trial:
        invoice_issue(
            network=network,
            subscription=subscription,
            kind=Invoice.Kind.NEW,
            period_start=starts_on,
            period_end=ends_on,
            lines=period_lines(plan, seats),
        )
    return subscription


def _year_after(day):
    """The last day of a year starting on ``day`` (29 February starts end on 27 February)."""
    try:
        return day.replace(year=day.year + 1) - dt.timedelta(days=1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28) - dt.timedelta(days=1)


@transaction.atomic
def subscription_change(*, subscription_id, plan=None, seats=None, today=None):
    """Change plan or seats now. Increases are invoiced pro rata for the rest of the period; no credit for cuts.

    A renewal invoice already issued for the next period follows the change: if nothing has been paid on it,
    it is voided and issued again at the new price; if it has been paid (or partly), the increase for the next
    period goes on the adjustment invoice as well. Returns (subscription, adjustment invoice or None).
    """
    today = today or timezone.localdate()
    subscription = (
        Subscription.objects.select_for_update(of=("self",)).select_related("plan", "network").get(pk=subscription_id)
    )
    if not subscription.is_live:
        raise BillingError("Only a current subscription can be changed.")
    new_plan = plan or subscription.plan
    if seats is None:
        new_seats = max(subscription.seats, new_plan.included_seats)
    elif seats < new_plan.included_seats:
        raise BillingError(f"The {new_plan} plan includes {new_plan.included_seats} seats; choose at least that many.")
    else:
        new_seats = seats
    if new_plan.pk == subscription.plan_id and new_seats == subscription.seats:
        raise BillingError(f"{subscription.network} already has the {new_plan} plan with {new_seats} seats.")
    in_use = seats_in_use(subscription.network)
    if new_seats < in_use:
        raise BillingError(f"{in_use} seats are in use (members and pending invitations); remove some first.")
    quote = change_quote(subscription, plan=new_plan, seats=new_seats, today=today)
    before, after = quote.annual_before, quote.annual_after
    lines, periods = [], []
    if quote.now > 0:
        lines.append(
            (
                f"Change to {new_plan} with {new_seats} seats, {today:%d %b %Y} to {subscription.ends_on:%d %b %Y} "
                f"({quote.remaining_days} days of {quote.period_days})",
                Decimal("1"),
                quote.now,
            )
        )
        periods.append((today, subscription.ends_on))
    renewal = Invoice.objects.select_for_update().filter(pk=subscription.renewal_invoice_id).first()
    new_renewal = None
    if renewal is not None and renewal.status != Invoice.Status.VOID:
        if renewal.status == Invoice.Status.ISSUED and not renewal.payments.exists():
            # Nothing paid on the next period yet: issue its invoice again at the new price.
            Invoice.objects.filter(pk=renewal.pk).update(status=Invoice.Status.VOID)
            new_renewal = invoice_issue(
                network=subscription.network,
                subscription=subscription,
                kind=Invoice.Kind.RENEWAL,
                period_start=renewal.period_start,
                period_end=renewal.period_end,
                issued_on=today,
                lines=period_lines(
                    new_plan,
                    new_seats,
                    label=f", {renewal.period_start:%d %b %Y} to {renewal.period_end:%d %b %Y}",
                ),
            )
        elif after > before:
            # The next period is (partly) paid at the old price: the increase for it is due too.
            lines.append(
                (
                    f"Change to {new_plan} with {new_seats} seats, {renewal.period_start:%d %b %Y} to "
                    f"{renewal.period_end:%d %b %Y} (the next period)",
                    Decimal("1"),
                    money(after - before),
                )
            )
            periods.append((renewal.period_start, renewal.period_end))
    invoice = None
    if lines:
        invoice = invoice_issue(
            network=subscription.network,
            subscription=subscription,
            kind=Invoice.Kind.ADJUSTMENT,
            period_start=periods[0][0],
            period_end=periods[-1][1],
            issued_on=today,
            lines=lines,
        )
    changes = {"plan": new_plan, "seats": new_seats}
    if new_renewal is not None:
        changes["renewal_invoice"] = new_renewal
    Subscription.objects.filter(pk=subscription.pk).update(**changes)
    subscription.refresh_from_db()
    return subscription, invoice


def _annual_cost(plan, seats):
    return plan.annual_price + max(0, seats - plan.included_seats) * plan.extra_seat_price


@dataclass(frozen=True)
class ChangeQuote:
    """What a change of plan or seats costs, as the network admin's page states it before they confirm."""

    annual_before: Decimal
    annual_after: Decimal
    period_days: int
    remaining_days: int
    now: Decimal  # invoiced today, for the rest of the current period (0 for a decrease or during a trial)


def change_quote(subscription, *, plan, seats, today=None):
    """The pro-rata rule: an increase costs the difference in annual price times the share of the period left
    (today included); a decrease takes effect at once with no credit; during a free trial a change costs nothing.
    """
    today = today or timezone.localdate()
    period_days = (subscription.ends_on - subscription.starts_on).days + 1
    remaining = min(max((subscription.ends_on - today).days + 1, 0), period_days)
    before = _annual_cost(subscription.plan, subscription.seats)
    after = _annual_cost(plan, seats)
    now = Decimal("0.00")
    if after > before and subscription.status != Subscription.Status.TRIAL:
        now = money((after - before) * Decimal(remaining) / Decimal(period_days))
    return ChangeQuote(before, after, period_days, remaining, now)


@transaction.atomic
def subscription_resume(*, subscription_id):
    """Undo "stop renewing" while the period lasts: the subscription renews again as usual."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
    if not subscription.is_live or not subscription.cancel_at_period_end:
        raise BillingError("That subscription is not set to stop, so there is nothing to resume.")
    if subscription.status == Subscription.Status.TRIAL:
        raise BillingError("A free trial does not renew by itself: subscribe to carry on after it.")
    Subscription.objects.filter(pk=subscription.pk).update(cancel_at_period_end=False, cancelled_at=None)
    access.forget_network_snapshots(subscription.network_id)
    subscription.refresh_from_db()
    return subscription


def next_subscription(network, after):
    """A paid subscription already arranged to follow ``after`` (a trial subscribed to before it ended), or None."""
    return (
        network.subscriptions.filter(status__in=Subscription.LIVE_STATUSES, starts_on__gt=after.ends_on)
        .exclude(pk=after.pk)
        .order_by("starts_on")
        .first()
    )


@transaction.atomic
def subscription_renew(*, network, plan, seats=None, today=None):
    """A network admin subscribes (again): after a free trial, or once a subscription has ended.

    During a trial the paid year starts the day after the trial's last day; once access has ended it starts
    today. Either way its first invoice is issued now. A subscription that is still running renews by itself
    (or is resumed with ``subscription_resume``); one in its grace period is renewed by paying its invoice.
    """
    today = today or timezone.localdate()
    network = Network.objects.select_for_update().get(pk=network.pk)
    current = network.subscriptions.live(on=today).order_by("-access_until").first()
    if current is None:
        return subscription_start(network=network, plan=plan, seats=seats, starts_on=today)
    if current.status == Subscription.Status.PAST_DUE:
        raise BillingError("Pay the renewal invoice to renew: the subscription carries on as soon as it is paid.")
    if current.status != Subscription.Status.TRIAL:
        raise BillingError(f"{network} is already subscribed: the subscription renews on its own.")
    if next_subscription(network, current) is not None:
        raise BillingError(f"{network} has already subscribed to start after its trial.")
    return subscription_start(network=network, plan=plan, seats=seats, starts_on=current.ends_on + dt.timedelta(days=1))


@transaction.atomic
def subscription_cancel(*, subscription_id, immediately=False):
    """Stop renewing (access to the end of the period), or end access now."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
    if subscription.status in (Subscription.Status.EXPIRED, Subscription.Status.CANCELLED):
        raise BillingError("That subscription has already ended.")
    changes = {"cancel_at_period_end": True, "cancelled_at": timezone.now()}
    if immediately:
        end = max(subscription.starts_on, timezone.localdate())
        # The period ends today (or never began), never later than it would have: a past due one keeps its end.
        changes.update(status=Subscription.Status.CANCELLED, ends_on=min(subscription.ends_on, end), access_until=end)
    Subscription.objects.filter(pk=subscription.pk).update(**changes)
    access.forget_network_snapshots(subscription.network_id)
    access.forget_key_grants(subscription.network.access_keys.values_list("key", flat=True))
    if subscription.renewal_invoice_id:
        Invoice.objects.filter(
            pk=subscription.renewal_invoice_id, status=Invoice.Status.ISSUED, payments__isnull=True
        ).update(status=Invoice.Status.VOID)
    subscription.refresh_from_db()
    return subscription


@transaction.atomic
def invoice_void(*, invoice_id):
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.status != Invoice.Status.ISSUED or invoice.payments.exists():
        raise BillingError("Only an unpaid invoice with no payments can be voided.")
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.VOID)
    # A void renewal invoice renews nothing: let the sweep issue a fresh one (unless the subscription is cancelled).
    Subscription.objects.filter(renewal_invoice=invoice).update(renewal_invoice=None)
    invoice.refresh_from_db()
    return invoice


@transaction.atomic
def payment_record(*, invoice_id, amount, method, received_on, reference="", actor=None, provider_event_id=None):
    """Record money received against an invoice; when it is paid in full, the subscription moves on."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    try:
        amount = Decimal(str(amount))
        exact = amount.is_finite() and amount == amount.quantize(PENNY)
    except InvalidOperation:  # not a number, or far too many digits to be money
        exact = False
    if not exact:
        raise BillingError("A payment must be a sum in pounds and pence, such as 120.50.")
    amount = money(amount)
    if amount <= 0:
        raise BillingError("A payment must be more than £0.00.")
    if invoice.status == Invoice.Status.VOID:
        raise BillingError("That invoice is void.")
    paid = invoice.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    if paid + amount > invoice.total:
        raise BillingError(f"That is more than the £{invoice.total - paid} still owed on {invoice.display_number}.")
    if received_on > timezone.localdate():
        raise BillingError("A payment cannot be received in the future.")
    payment = Payment.objects.create(
        invoice=invoice,
        amount=amount,
        method=method,
        received_on=received_on,
        reference=reference.strip(),
        recorded_by=actor,
        provider_event_id=provider_event_id,
    )
    if paid + amount == invoice.total:
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID, paid_on=received_on)
        _settle(invoice)
        outbox.enqueue(tasks.send_payment_received, invoice.pk)
    return payment


def _settle(invoice):
    """What a fully paid invoice does to its subscription.

    A paid renewal secures access to the end of the next period at once; the new period itself (and a fresh
    question allowance) starts when the current one ends — now, if it already has (which also takes a past due
    subscription out of its grace period, or back from expiry). Other invoices change nothing: a past due
    subscription stays past due until its renewal is paid. A cancelled subscription stays cancelled.
    """
    if invoice.subscription_id is None:
        return
    today = timezone.localdate()
    subscription = Subscription.objects.select_for_update().get(pk=invoice.subscription_id)
    if subscription.status == Subscription.Status.CANCELLED:
        return
    if invoice.kind == Invoice.Kind.RENEWAL and subscription.renewal_invoice_id == invoice.pk:
        if subscription.ends_on < today:
            _start_next_period(subscription, invoice)
        else:
            Subscription.objects.filter(pk=subscription.pk).update(access_until=invoice.period_end)


def _start_next_period(subscription, invoice):
    Subscription.objects.filter(pk=subscription.pk).update(
        status=Subscription.Status.ACTIVE,
        starts_on=invoice.period_start,
        ends_on=invoice.period_end,
        access_until=invoice.period_end,
        questions_used=0,
        renewal_invoice=None,
    )


# --- the daily sweep ---------------------------------------------------------------------------------------------


def sweep(*, today=None):
    """Issue renewal invoices, remind about overdue ones, move ended periods to grace, expire after grace.

    Reads only what is due (indexed on status and dates); each step is claimed with a conditional UPDATE so a
    second run on the same day, or two at once, does nothing twice. Returns counts of what it did.
    """
    today = today or timezone.localdate()
    policy = BillingSettings.load()
    done = {"renewal_invoices": 0, "reminders": 0, "renewed": 0, "past_due": 0, "expired": 0}

    # 1. Renewal invoices, N days before the period ends (not for trials, not when cancelling).
    notice = today + dt.timedelta(days=policy.renewal_notice_days)
    for subscription_id in Subscription.objects.filter(
        status=Subscription.Status.ACTIVE,
        ends_on__lte=notice,
        ends_on__gte=today,
        cancel_at_period_end=False,
        renewal_invoice__isnull=True,
    ).values_list("pk", flat=True):
        if _issue_renewal(subscription_id, today):
            done["renewal_invoices"] += 1

    # 2. Reminders for invoices past their due date, every N days.
    last_allowed = today - dt.timedelta(days=policy.reminder_interval_days)
    for invoice_id in (
        Invoice.objects.filter(status=Invoice.Status.ISSUED, due_on__lt=today)
        .filter(Q(last_reminder_on__isnull=True) | Q(last_reminder_on__lte=last_allowed))
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():  # the claim and its e-mail commit together
            claimed = (
                Invoice.objects.filter(pk=invoice_id, status=Invoice.Status.ISSUED)
                .filter(Q(last_reminder_on__isnull=True) | Q(last_reminder_on__lte=last_allowed))
                .update(last_reminder_on=today, reminders_sent=F("reminders_sent") + 1)
            )
            if claimed:
                outbox.enqueue(tasks.send_invoice_reminder, invoice_id)
        if claimed:
            done["reminders"] += 1

    # 3. Periods that have ended: a paid renewal already moved ends_on on; otherwise grace, or the end.
    for subscription in Subscription.objects.filter(
        status__in=[Subscription.Status.ACTIVE, Subscription.Status.TRIAL], ends_on__lt=today
    ).select_related("renewal_invoice"):
        outcome = _end_period(subscription, today, policy)
        if outcome:
            done[outcome] += 1

    # 4. Grace periods that have run out.
    for subscription_id in Subscription.objects.filter(
        status=Subscription.Status.PAST_DUE, access_until__lt=today
    ).values_list("pk", flat=True):
        with transaction.atomic():
            expired = Subscription.objects.filter(
                pk=subscription_id, status=Subscription.Status.PAST_DUE, access_until__lt=today
            ).update(status=Subscription.Status.EXPIRED)
            if expired:
                outbox.enqueue(tasks.send_subscription_expired, subscription_id)
        if expired:
            done["expired"] += 1
    if any(done.values()):
        log.info("Billing sweep %s: %s", today, done)
    return done


@transaction.atomic
def _issue_renewal(subscription_id, today):
    subscription = (
        Subscription.objects.select_for_update(of=("self",)).select_related("plan", "network").get(pk=subscription_id)
    )
    if subscription.renewal_invoice_id or subscription.cancel_at_period_end:
        return False
    start = subscription.ends_on + dt.timedelta(days=1)
    end = _year_after(start)
    invoice = invoice_issue(
        network=subscription.network,
        subscription=subscription,
        kind=Invoice.Kind.RENEWAL,
        period_start=start,
        period_end=end,
        issued_on=today,
        lines=period_lines(subscription.plan, subscription.seats, label=f", {start:%d %b %Y} to {end:%d %b %Y}"),
    )
    Subscription.objects.filter(pk=subscription.pk).update(renewal_invoice=invoice)
    signals.renewal_invoice_issued.send(sender=Subscription, subscription=subscription, invoice=invoice)
    return True


@transaction.atomic
def _end_period(subscription, today, policy):
    locked = (
        Subscription.objects.select_for_update(of=("self",)).select_related("renewal_invoice").get(pk=subscription.pk)
    )
    if locked.status not in (Subscription.Status.ACTIVE, Subscription.Status.TRIAL) or locked.ends_on >= today:
        return None
    renewal = locked.renewal_invoice
    if renewal is not None and renewal.status == Invoice.Status.PAID:
        _start_next_period(locked, renewal)
        return "renewed"
    if locked.cancel_at_period_end or locked.status == Subscription.Status.TRIAL:
        Subscription.objects.filter(pk=locked.pk).update(status=Subscription.Status.EXPIRED)
        if next_subscription(locked.network, locked) is None:  # a trial followed by a paid year ends quietly
            outbox.enqueue(tasks.send_subscription_expired, locked.pk)
        return "expired"
    Subscription.objects.filter(pk=locked.pk).update(
        status=Subscription.Status.PAST_DUE, access_until=locked.ends_on + dt.timedelta(days=policy.grace_days)
    )
    outbox.enqueue(tasks.send_subscription_past_due, locked.pk)
    return "past_due"


def seats_in_use(network):
    """Members plus pending invitations: each pending invitation holds a seat."""
    return network.memberships.count() + Invitation.objects.filter(network=network).pending().count()
