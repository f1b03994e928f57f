"""Billing: starting, changing and cancelling subscriptions, invoices, payments and the daily sweep."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from subscriptions import access, billing
from subscriptions.models import Invitation, Invoice, Payment, Subscription
from tests.factories import MembershipFactory, SubscriptionFactory, UserFactory

from .conftest import days

pytestmark = pytest.mark.django_db

Status = Subscription.Status


def subscription_for(network, plan, *, starts_on, ends_on, seats=None, status=Status.ACTIVE, **fields):
    return SubscriptionFactory(
        network=network, plan=plan, starts_on=starts_on, ends_on=ends_on, seats=seats, status=status, **fields
    )


def lines_of(invoice):
    return [(line.description, line.quantity, line.unit_price, line.amount) for line in invoice.lines.all()]


def member_has_access(network):
    """Does a member of ``network`` (read afresh, nothing remembered) have subscriber access today?"""
    user = get_user_model().objects.get(email="adam@dales.test")
    access.forget(user)
    return access.has_subscriber_access(user)


def pay(invoice, amount, on, method=Payment.Method.BANK_TRANSFER):
    return billing.payment_record(invoice_id=invoice.pk, amount=Decimal(amount), method=method, received_on=on)


def refreshed(*objects):
    for obj in objects:
        obj.refresh_from_db()


# --- Starting -------------------------------------------------------------------------------------------------------


def test_a_paid_start_issues_the_first_invoice_with_extra_seats_and_vat_rounded_half_up(
    dales, regional, today, run_on_commit
):
    with run_on_commit():
        subscription = billing.subscription_start(network=dales, plan=regional, seats=13, starts_on=today)

    assert (subscription.status, subscription.seats) == (Status.ACTIVE, 13)
    assert subscription.starts_on == today
    assert subscription.ends_on == subscription.access_until == billing._year_after(today)
    (invoice,) = Invoice.objects.all()
    assert invoice.number == 1
    assert invoice.display_number == "AE-000001"
    assert (invoice.network, invoice.subscription, invoice.kind) == (dales, subscription, Invoice.Kind.NEW)
    assert (invoice.issued_on, invoice.due_on) == (today, today + days(30))
    assert (invoice.period_start, invoice.period_end) == (today, subscription.ends_on)
    assert invoice.billed_to == "Dales Rural Network\nThe Old School\nHawes\nVAT number: GB123456789"
    assert lines_of(invoice) == [
        ("Regional plan: 10 seats, answers within 48 working hours", Decimal("1"), Decimal("961.00"), Decimal("961")),
        ("Extra seats", Decimal("3"), Decimal("14.00"), Decimal("42.00")),
    ]
    # 17.5 % of £1,003.00 is £175.525: half-up gives £175.53 (banker's rounding would give £175.52).
    assert (invoice.subtotal, invoice.vat_rate, invoice.vat_amount, invoice.total) == (
        Decimal("1003.00"),
        Decimal("17.50"),
        Decimal("175.53"),
        Decimal("1178.53"),
    )
    assert invoice.status == Invoice.Status.ISSUED
    (sent,) = mail.outbox
    assert sent.to == ["accounts@dales.test"]
    assert sent.subject == "Invoice AE-000001 for Dales Rural Network: £1178.53"
    assert "Extra seats: £42.00" in sent.body
    assert "VAT at 17.50%: £175.53" in sent.body
    assert f"/network/invoices/{invoice.pk}/" in sent.body


def test_the_invoice_number_follows_on_and_vat_comes_from_the_settings_of_the_day(dales, regional, national, policy):
    first = billing.subscription_start(network=dales, plan=regional)  # 10 seats: no extra-seat line
    policy.vat_rate = Decimal("20.00")
    policy.save()
    billing.subscription_cancel(subscription_id=first.pk, immediately=True)
    second = billing.subscription_start(network=dales, plan=national, seats=20)

    old, new = first.invoices.get(), second.invoices.get()
    assert (old.number, new.number) == (1, 2)
    assert lines_of(old) == [
        ("Regional plan: 10 seats, answers within 48 working hours", Decimal("1"), Decimal("961.00"), Decimal("961.00"))
    ]
    assert (old.vat_amount, old.total) == (Decimal("168.18"), Decimal("1129.18"))  # 17.5 % of 961 = 168.175
    assert (new.vat_rate, new.vat_amount, new.total) == (Decimal("20.00"), Decimal("480.00"), Decimal("2880.00"))


def test_a_trial_is_not_invoiced_and_lasts_the_plans_trial_days(dales, regional, today, run_on_commit):
    with run_on_commit():
        subscription = billing.subscription_start(network=dales, plan=regional, starts_on=today, trial=True)

    assert (subscription.status, subscription.seats) == (Status.TRIAL, 10)
    assert (subscription.starts_on, subscription.ends_on, subscription.access_until) == (
        today,
        today + days(13),
        today + days(13),
    )
    assert not Invoice.objects.exists()
    assert mail.outbox == []
    assert member_has_access(dales)


def test_starting_is_refused_when_it_would_overlap_or_the_seats_or_trial_do_not_fit(dales, regional, national, today):
    with pytest.raises(billing.BillingError, match="includes 10 seats; choose at least that many"):
        billing.subscription_start(network=dales, plan=regional, seats=9)
    with pytest.raises(billing.BillingError, match="The National plan has no free trial."):
        billing.subscription_start(network=dales, plan=national, trial=True)
    assert not Subscription.objects.exists()

    billing.subscription_start(network=dales, plan=regional, starts_on=today + days(10))  # starts later
    with pytest.raises(billing.BillingError, match="Dales Rural Network already has a current subscription."):
        billing.subscription_start(network=dales, plan=national)
    assert Subscription.objects.count() == 1
    assert Invoice.objects.count() == 1


# --- Changing -------------------------------------------------------------------------------------------------------


@pytest.fixture
def mid_period(dales, regional, today):
    """Day 101 of a 365-day period with 13 seats (265 days left, today included)."""
    return subscription_for(dales, regional, starts_on=today - days(100), ends_on=today + days(264), seats=13)


def test_adding_seats_mid_period_invoices_the_rest_of_the_period_pro_rata(mid_period, today, run_on_commit):
    with run_on_commit():
        subscription, invoice = billing.subscription_change(subscription_id=mid_period.pk, seats=18, today=today)

    assert subscription.seats == 18
    assert (invoice.kind, invoice.subscription, invoice.period_start, invoice.period_end) == (
        Invoice.Kind.ADJUSTMENT,
        subscription,
        today,
        mid_period.ends_on,
    )
    # 5 more seats at £14 a year = £70 a year; 265/365 of it is £50.8219… → £50.82. VAT 17.5 % = £8.8935 → £8.89.
    assert lines_of(invoice) == [
        (
            f"Change to Regional with 18 seats, {today:%d %b %Y} to {mid_period.ends_on:%d %b %Y} (265 days of 365)",
            Decimal("1"),
            Decimal("50.82"),
            Decimal("50.82"),
        )
    ]
    assert (invoice.subtotal, invoice.vat_amount, invoice.total) == (
        Decimal("50.82"),
        Decimal("8.89"),
        Decimal("59.71"),
    )
    assert [m.subject for m in mail.outbox] == ["Invoice AE-000001 for Dales Rural Network: £59.71"]


def test_moving_to_a_dearer_plan_invoices_the_difference_pro_rata(mid_period, national, today):
    subscription, invoice = billing.subscription_change(subscription_id=mid_period.pk, plan=national, today=today)

    # 13 seats is below National's 20 included: the plan's 20. £2,400 - (£961 + 3 × £14) = £1,397 a year.
    assert (subscription.plan, subscription.seats) == (national, 20)
    assert invoice.subtotal == Decimal("1014.26")  # 1397 × 265 / 365 = 1014.2602…


def test_fewer_seats_cost_nothing_more_and_cannot_go_below_the_seats_in_use_or_included(
    mid_period, dales, regional, today
):
    subscription, invoice = billing.subscription_change(subscription_id=mid_period.pk, seats=11, today=today)
    assert (subscription.seats, invoice) == (11, None)
    assert not Invoice.objects.exists()

    for _ in range(8):
        MembershipFactory(network=dales)  # 10 members
    Invitation.objects.create(
        network=dales, email="new@dales.test", expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    )
    with pytest.raises(billing.BillingError, match=r"^11 seats are in use \(members and pending invitations\)"):
        billing.subscription_change(subscription_id=mid_period.pk, seats=10, today=today)
    with pytest.raises(billing.BillingError, match="The Regional plan includes 10 seats; choose at least that many."):
        billing.subscription_change(subscription_id=mid_period.pk, seats=9, today=today)
    with pytest.raises(billing.BillingError, match="already has the Regional plan with 11 seats"):
        billing.subscription_change(subscription_id=mid_period.pk, seats=11, today=today)
    mid_period.refresh_from_db()
    assert mid_period.seats == 11
    assert not Invoice.objects.exists()


def test_a_trial_changes_without_an_invoice_and_an_ended_subscription_cannot_change(dales, regional, today):
    trial = billing.subscription_start(network=dales, plan=regional, trial=True)
    subscription, invoice = billing.subscription_change(subscription_id=trial.pk, seats=30, today=today)
    assert (subscription.seats, invoice) == (30, None)

    billing.subscription_cancel(subscription_id=trial.pk, immediately=True)
    with pytest.raises(billing.BillingError, match="Only a current subscription can be changed."):
        billing.subscription_change(subscription_id=trial.pk, seats=40, today=today)


def test_a_change_reissues_an_unpaid_renewal_invoice_at_the_new_price(dales, regional, today):
    subscription = subscription_for(dales, regional, starts_on=today - days(345), ends_on=today + days(19), seats=10)
    billing.sweep(today=today)
    subscription.refresh_from_db()
    old_renewal = subscription.renewal_invoice
    assert old_renewal.subtotal == Decimal("961.00")

    subscription, adjustment = billing.subscription_change(subscription_id=subscription.pk, seats=12, today=today)

    old_renewal.refresh_from_db()
    assert old_renewal.status == Invoice.Status.VOID
    renewal = subscription.renewal_invoice
    assert (renewal.number, renewal.kind, renewal.status) == (2, Invoice.Kind.RENEWAL, Invoice.Status.ISSUED)
    assert (renewal.period_start, renewal.period_end) == (old_renewal.period_start, old_renewal.period_end)
    assert renewal.subtotal == Decimal("989.00")  # 961 + 2 × 14
    assert adjustment.number == 3
    assert adjustment.subtotal == Decimal("1.53")  # 28 × 20 / 365 = 1.534…


def test_a_change_after_the_renewal_is_paid_charges_the_next_period_too(dales, regional, today):
    subscription = subscription_for(dales, regional, starts_on=today - days(345), ends_on=today + days(19), seats=10)
    billing.sweep(today=today)
    subscription.refresh_from_db()
    pay(subscription.renewal_invoice, "1129.18", today)

    subscription, adjustment = billing.subscription_change(subscription_id=subscription.pk, seats=12, today=today)

    renewal = subscription.renewal_invoice
    assert renewal.status == Invoice.Status.PAID
    assert [(description, amount) for description, _, _, amount in lines_of(adjustment)] == [
        (
            f"Change to Regional with 12 seats, {today:%d %b %Y} to {subscription.ends_on:%d %b %Y} (20 days of 365)",
            Decimal("1.53"),
        ),
        (
            f"Change to Regional with 12 seats, {renewal.period_start:%d %b %Y} to {renewal.period_end:%d %b %Y} "
            "(the next period)",
            Decimal("28.00"),
        ),
    ]
    assert (adjustment.period_start, adjustment.period_end) == (today, renewal.period_end)


def test_a_change_while_past_due_issues_no_empty_invoice(dales, regional, today):
    subscription = subscription_for(dales, regional, starts_on=today - days(370), ends_on=today - days(6), seats=10)
    billing.sweep(today=today - days(20))  # the renewal invoice
    billing.sweep(today=today)  # period over, unpaid: past due
    subscription.refresh_from_db()
    assert subscription.status == Status.PAST_DUE
    old_renewal = subscription.renewal_invoice

    subscription, adjustment = billing.subscription_change(subscription_id=subscription.pk, seats=12, today=today)

    assert adjustment is None  # nothing of the period is left to charge for
    assert subscription.renewal_invoice.subtotal == Decimal("989.00")
    assert Invoice.objects.filter(subtotal=0).count() == 0
    old_renewal.refresh_from_db()
    assert old_renewal.status == Invoice.Status.VOID


# --- Cancelling -----------------------------------------------------------------------------------------------------


def renewal_due(dales, regional, today, **fields):
    """A subscription ending in 20 days with its renewal invoice issued."""
    subscription = subscription_for(dales, regional, starts_on=today - days(345), ends_on=today + days(19), **fields)
    billing.sweep(today=today)
    subscription.refresh_from_db()
    assert subscription.renewal_invoice is not None
    return subscription


def test_cancelling_at_the_period_end_voids_the_renewal_and_expires_when_the_period_ends(
    dales, regional, today, run_on_commit
):
    subscription = renewal_due(dales, regional, today)
    renewal = subscription.renewal_invoice

    subscription = billing.subscription_cancel(subscription_id=subscription.pk)

    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.VOID
    assert subscription.cancel_at_period_end is True
    assert subscription.cancelled_at is not None
    assert (subscription.status, subscription.access_until) == (Status.ACTIVE, today + days(19))
    assert member_has_access(dales)
    assert billing.sweep(today=today + days(1)) == {
        "renewal_invoices": 0,
        "reminders": 0,
        "renewed": 0,
        "past_due": 0,
        "expired": 0,
    }

    with run_on_commit():
        done = billing.sweep(today=subscription.ends_on + days(1))
    assert done["expired"] == 1
    subscription.refresh_from_db()
    assert subscription.status == Status.EXPIRED
    assert [m.subject for m in mail.outbox] == ["Dales Rural Network: your subscription has ended"]


def test_cancelling_now_ends_access_today(dales, regional, today):
    subscription = renewal_due(dales, regional, today)

    subscription = billing.subscription_cancel(subscription_id=subscription.pk, immediately=True)

    assert subscription.status == Status.CANCELLED
    assert (subscription.ends_on, subscription.access_until) == (today, today)
    assert subscription.renewal_invoice.status == Invoice.Status.VOID
    assert not member_has_access(dales)
    with pytest.raises(billing.BillingError, match="That subscription has already ended."):
        billing.subscription_cancel(subscription_id=subscription.pk)


def test_cancelling_keeps_a_partly_paid_renewal_and_paying_the_rest_revives_nothing(dales, regional, today):
    subscription = renewal_due(dales, regional, today)
    renewal = subscription.renewal_invoice
    pay(renewal, "100.00", today)

    billing.subscription_cancel(subscription_id=subscription.pk, immediately=True)
    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.ISSUED
    pay(renewal, "1029.18", today)

    refreshed(renewal, subscription)
    assert renewal.status == Invoice.Status.PAID
    assert (subscription.status, subscription.access_until) == (Status.CANCELLED, today)


# --- Payments -------------------------------------------------------------------------------------------------------


@pytest.fixture
def first_invoice(dales, regional, today):
    subscription = billing.subscription_start(network=dales, plan=regional, seats=13, starts_on=today)
    return subscription.invoices.get()  # £1,178.53


def test_paying_in_two_parts_marks_the_invoice_paid_and_sends_a_receipt(first_invoice, today, run_on_commit):
    with run_on_commit():
        first = pay(first_invoice, "500.00", today - days(0))
    first_invoice.refresh_from_db()
    assert (first_invoice.status, first_invoice.paid_on, first_invoice.balance) == (
        Invoice.Status.ISSUED,
        None,
        Decimal("678.53"),
    )
    assert mail.outbox == []

    with run_on_commit():
        second = billing.payment_record(
            invoice_id=first_invoice.pk,
            amount=Decimal("678.53"),
            method=Payment.Method.OTHER,
            received_on=today,
            reference="  cheque 0042  ",
        )
    first_invoice.refresh_from_db()
    assert (first_invoice.status, first_invoice.paid_on, first_invoice.balance) == (
        Invoice.Status.PAID,
        today,
        Decimal("0.00"),
    )
    assert [(p.amount, p.method, p.reference) for p in (first, second)] == [
        (Decimal("500.00"), "bank_transfer", ""),
        (Decimal("678.53"), "other", "cheque 0042"),
    ]
    (receipt,) = mail.outbox
    assert (receipt.to, receipt.subject) == (["accounts@dales.test"], "Paid: invoice AE-000001")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "A payment must be more than £0.00."),
        ("-5", "A payment must be more than £0.00."),
        ("abc", "A payment must be a sum in pounds and pence, such as 120.50."),
        ("NaN", "A payment must be a sum in pounds and pence, such as 120.50."),
        ("Infinity", "A payment must be a sum in pounds and pence, such as 120.50."),
        ("10.001", "A payment must be a sum in pounds and pence, such as 120.50."),
        ("1e999999", "A payment must be a sum in pounds and pence, such as 120.50."),
        ("1178.54", "That is more than the £1178.53 still owed on AE-000001."),
        ("1e9", "That is more than the £1178.53 still owed on AE-000001."),
    ],
)
def test_bad_payments_are_refused_and_nothing_is_recorded(first_invoice, today, amount, message):
    with pytest.raises(billing.BillingError) as refused:
        billing.payment_record(
            invoice_id=first_invoice.pk, amount=amount, method=Payment.Method.BANK_TRANSFER, received_on=today
        )
    assert str(refused.value) == message
    assert not Payment.objects.exists()


def test_payments_in_the_future_or_on_a_void_invoice_are_refused(first_invoice, today):
    with pytest.raises(billing.BillingError, match="^A payment cannot be received in the future.$"):
        pay(first_invoice, "10.00", today + days(1))
    billing.invoice_void(invoice_id=first_invoice.pk)
    with pytest.raises(billing.BillingError, match="^That invoice is void.$"):
        pay(first_invoice, "10.00", today)
    assert not Payment.objects.exists()


def test_an_invoice_with_a_payment_cannot_be_voided(first_invoice, today):
    pay(first_invoice, "10.00", today)
    with pytest.raises(billing.BillingError, match="Only an unpaid invoice with no payments can be voided."):
        billing.invoice_void(invoice_id=first_invoice.pk)
    first_invoice.refresh_from_db()
    assert first_invoice.status == Invoice.Status.ISSUED


def test_a_renewal_paid_before_the_period_ends_secures_access_and_the_next_period_starts_at_the_end(
    dales, regional, today, run_on_commit
):
    subscription = renewal_due(dales, regional, today, questions_used=17)
    renewal = subscription.renewal_invoice
    assert (renewal.period_start, renewal.period_end) == (today + days(20), billing._year_after(today + days(20)))

    with run_on_commit():
        pay(renewal, "1129.18", today)

    subscription.refresh_from_db()
    assert (subscription.status, subscription.starts_on, subscription.ends_on) == (
        Status.ACTIVE,
        today - days(345),
        today + days(19),
    )
    assert subscription.access_until == renewal.period_end  # secured already
    assert subscription.questions_used == 17  # the current period goes on
    assert [m.subject for m in mail.outbox] == ["Paid: invoice AE-000001"]
    assert "Your members' access continues to" in mail.outbox[0].body

    assert billing.sweep(today=today + days(19))["renewed"] == 0  # the last day of the period
    assert billing.sweep(today=today + days(20))["renewed"] == 1
    subscription.refresh_from_db()
    assert (subscription.status, subscription.starts_on, subscription.ends_on, subscription.access_until) == (
        Status.ACTIVE,
        renewal.period_start,
        renewal.period_end,
        renewal.period_end,
    )
    assert (subscription.questions_used, subscription.renewal_invoice) == (0, None)
    assert billing.sweep(today=today + days(20))["renewed"] == 0


def test_a_renewal_paid_in_the_grace_period_starts_the_new_period_at_once(dales, regional, today, run_on_commit):
    subscription = subscription_for(
        dales, regional, starts_on=today - days(370), ends_on=today - days(6), questions_used=60
    )
    billing.sweep(today=today - days(20))
    with run_on_commit():
        billing.sweep(today=today)
    subscription.refresh_from_db()
    assert (subscription.status, subscription.access_until) == (Status.PAST_DUE, today + days(24))
    renewal = subscription.renewal_invoice

    pay(renewal, "1129.18", today)

    subscription.refresh_from_db()
    assert (subscription.status, subscription.starts_on, subscription.ends_on, subscription.access_until) == (
        Status.ACTIVE,
        today - days(5),
        renewal.period_end,
        renewal.period_end,
    )
    assert (subscription.questions_used, subscription.renewal_invoice) == (0, None)
    assert member_has_access(dales)


def test_paying_another_invoice_does_not_take_a_subscription_out_of_its_grace_period(dales, regional, today):
    subscription = subscription_for(dales, regional, starts_on=today - days(370), ends_on=today - days(6))
    older = billing.invoice_issue(
        network=dales,
        subscription=subscription,
        kind=Invoice.Kind.NEW,
        period_start=subscription.starts_on,
        period_end=subscription.ends_on,
        lines=[("Year one", Decimal("1"), Decimal("100.00"))],
        issued_on=today - days(370),
    )
    billing.sweep(today=today - days(20))
    billing.sweep(today=today)

    pay(older, "117.50", today)

    subscription.refresh_from_db()
    assert (subscription.status, subscription.access_until) == (Status.PAST_DUE, today + days(24))
    assert billing.sweep(today=today)["past_due"] == 0  # no second "past due" e-mail


# --- The daily sweep ------------------------------------------------------------------------------------------------


def test_the_renewal_invoice_goes_out_n_days_before_the_end_exactly_once(dales, regional, today, run_on_commit):
    subscription = subscription_for(dales, regional, starts_on=today - days(330), ends_on=today + days(34), seats=13)
    other, another = SubscriptionFactory().network, SubscriptionFactory().network
    trial = subscription_for(other, regional, starts_on=today - days(3), ends_on=today + days(10), status=Status.TRIAL)
    cancelling = subscription_for(another, regional, starts_on=today - days(3), ends_on=today + days(10))
    cancelling.cancel_at_period_end = True
    cancelling.save()

    assert billing.sweep(today=today + days(3))["renewal_invoices"] == 0  # 31 days before the end
    with run_on_commit():
        assert billing.sweep(today=today + days(4))["renewal_invoices"] == 1  # 30 days before
        assert billing.sweep(today=today + days(4))["renewal_invoices"] == 0
        assert billing.sweep(today=today + days(5))["renewal_invoices"] == 0

    (renewal,) = Invoice.objects.all()
    subscription.refresh_from_db()
    assert subscription.renewal_invoice == renewal
    start, end = today + days(35), billing._year_after(today + days(35))
    assert (renewal.kind, renewal.issued_on, renewal.due_on, renewal.period_start, renewal.period_end) == (
        Invoice.Kind.RENEWAL,
        today + days(4),
        today + days(34),
        start,
        end,
    )
    assert lines_of(renewal) == [
        (
            f"Regional plan, {start:%d %b %Y} to {end:%d %b %Y}: 10 seats, answers within 48 working hours",
            Decimal("1"),
            Decimal("961.00"),
            Decimal("961.00"),
        ),
        (f"Extra seats, {start:%d %b %Y} to {end:%d %b %Y}", Decimal("3"), Decimal("14.00"), Decimal("42.00")),
    ]
    assert renewal.total == Decimal("1178.53")
    assert [m.subject for m in mail.outbox] == ["Invoice AE-000001 for Dales Rural Network: £1178.53"]
    assert trial.invoices.count() == cancelling.invoices.count() == 0


def test_overdue_invoices_are_reminded_once_every_interval(first_invoice, today, run_on_commit):
    due = first_invoice.due_on
    assert billing.sweep(today=due)["reminders"] == 0  # due today: not overdue yet
    with run_on_commit():
        assert billing.sweep(today=due + days(1))["reminders"] == 1
        assert billing.sweep(today=due + days(1))["reminders"] == 0  # run twice: once
        assert billing.sweep(today=due + days(7))["reminders"] == 0
        assert billing.sweep(today=due + days(8))["reminders"] == 1
        assert billing.sweep(today=due + days(14))["reminders"] == 0
        assert billing.sweep(today=due + days(15))["reminders"] == 1
    first_invoice.refresh_from_db()
    assert (first_invoice.reminders_sent, first_invoice.last_reminder_on) == (3, due + days(15))
    subject = f"Reminder: invoice AE-000001 was due on {due.day} {due:%B %Y}"
    assert [m.subject for m in mail.outbox] == [subject] * 3

    pay(first_invoice, "1178.53", today)
    assert billing.sweep(today=due + days(22))["reminders"] == 0  # paid: no more


def test_unpaid_at_the_end_goes_past_due_with_grace_then_expires(dales, regional, today, run_on_commit):
    subscription = subscription_for(dales, regional, starts_on=today - days(355), ends_on=today + days(9))
    billing.sweep(today=today)  # renewal invoice issued
    end = subscription.ends_on

    with run_on_commit():
        done = billing.sweep(today=end + days(1))
    assert done["past_due"] == 1
    subscription.refresh_from_db()
    assert (subscription.status, subscription.ends_on, subscription.access_until) == (
        Status.PAST_DUE,
        end,
        end + days(30),
    )
    assert member_has_access(dales)  # today is within grace
    assert [m.subject for m in mail.outbox] == ["Dales Rural Network: your subscription period has ended unpaid"]
    assert f"keep access until {end + days(30):%-d %B %Y}" in mail.outbox[0].body
    assert billing.sweep(today=end + days(1))["past_due"] == 0

    assert billing.sweep(today=end + days(30))["expired"] == 0  # the last day of grace
    mail.outbox.clear()
    with run_on_commit():
        assert billing.sweep(today=end + days(31))["expired"] == 1
    subscription.refresh_from_db()
    assert subscription.status == Status.EXPIRED
    assert not member_has_access(dales)
    assert [m.subject for m in mail.outbox] == ["Dales Rural Network: your subscription has ended"]
    assert billing.sweep(today=end + days(31))["expired"] == 0


def test_a_trial_expires_at_its_end(dales, regional, today, run_on_commit):
    trial = billing.subscription_start(network=dales, plan=regional, starts_on=today - days(13), trial=True)
    assert trial.ends_on == today
    assert billing.sweep(today=today)["expired"] == 0
    with run_on_commit():
        assert billing.sweep(today=today + days(1))["expired"] == 1
    trial.refresh_from_db()
    assert trial.status == Status.EXPIRED
    assert not Invoice.objects.exists()
    assert [m.subject for m in mail.outbox] == ["Dales Rural Network: your subscription has ended"]


def test_a_void_renewal_invoice_is_issued_afresh_by_the_next_sweep(dales, regional, today):
    subscription = renewal_due(dales, regional, today)
    old = subscription.renewal_invoice

    billing.invoice_void(invoice_id=old.pk)

    subscription.refresh_from_db()
    assert subscription.renewal_invoice is None
    assert billing.sweep(today=today)["renewal_invoices"] == 1
    subscription.refresh_from_db()
    assert subscription.renewal_invoice.number == old.number + 1
    assert subscription.renewal_invoice.total == old.total


def test_nobody_at_the_billing_address_means_the_admins_get_the_mail(regional, policy, today, run_on_commit):
    network = SubscriptionFactory().network
    admin = UserFactory(email="admin@nowhere.test")
    MembershipFactory(network=network, user=admin, role="admin")
    MembershipFactory(network=network)
    network.subscriptions.all().delete()
    with run_on_commit():
        billing.subscription_start(network=network, plan=regional)
    assert [m.to for m in mail.outbox] == [["admin@nowhere.test"]]
