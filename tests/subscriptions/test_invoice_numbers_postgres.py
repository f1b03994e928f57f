"""Races on invoice numbers and payments, with real threads and real connections.

PostgreSQL only (row locks are the point): run with DATABASE_URL pointing at PostgreSQL.
"""

import json
import time
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from subscriptions import billing, payments
from subscriptions.models import Invoice, InvoiceSequence, Network, Payment, PaymentEvent
from tests.factories import PlanFactory
from tests.racing import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")


def issue(network, amount="100.00"):
    today = timezone.localdate()
    return billing.invoice_issue(
        network=network,
        subscription=None,
        kind=Invoice.Kind.NEW,
        period_start=today,
        period_end=today,
        lines=[("Plan", Decimal("1"), Decimal(amount))],
    )


@pytest.fixture
def networks():
    return [Network.objects.create(name=f"Network {n}", slug=f"network-{n}") for n in range(8)]


def test_eight_invoices_issued_at_once_are_numbered_1_to_8(networks):
    results = race(*[lambda network=network: issue(network).number for network in networks])

    assert sorted(results) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert InvoiceSequence.objects.get().next_number == 9
    assert len(mail.outbox) == 0  # nobody to send them to: no billing address, no admins


def test_an_invoice_rolled_back_leaves_no_gap(networks):
    assert issue(networks[0]).number == 1

    def issue_then_fail():
        with transaction.atomic():
            assert issue(networks[1]).number == 2
            raise RuntimeError("something after the invoice failed")

    with pytest.raises(RuntimeError, match="something after the invoice failed"):
        issue_then_fail()
    assert not Invoice.objects.filter(network=networks[1]).exists()

    assert issue(networks[2]).number == 2
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [1, 2]


def test_two_payments_that_together_would_overpay_are_one_success_and_one_refusal(networks):
    invoice = issue(networks[0], "100.00")  # £120.00 with the default VAT of 20 %
    today = timezone.localdate()

    def pay():
        return billing.payment_record(
            invoice_id=invoice.pk, amount=Decimal("70.00"), method="bank_transfer", received_on=today
        )

    results = race(pay, pay)

    assert sorted(type(result).__name__ for result in results) == ["BillingError", "Payment"]
    (refusal,) = [result for result in results if isinstance(result, billing.BillingError)]
    assert str(refusal) == "That is more than the £50.00 still owed on AE-000001."
    assert list(Payment.objects.values_list("amount", flat=True)) == [Decimal("70.00")]


def test_two_payments_that_together_pay_in_full_both_count(networks):
    invoice = issue(networks[0], "100.00")  # £120.00
    today = timezone.localdate()

    def pay():
        return billing.payment_record(invoice_id=invoice.pk, amount=Decimal("60.00"), method="other", received_on=today)

    results = race(pay, pay)

    assert all(isinstance(result, Payment) for result in results)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance) == (Invoice.Status.PAID, Decimal("0.00"))


def test_the_same_webhook_delivered_twice_at_once_pays_once(networks, settings):
    invoice = issue(networks[0], "100.00")  # £120.00
    body = json.dumps(
        {
            "id": "evt_race",
            "type": "payment.succeeded",
            "data": {"invoice": invoice.display_number, "amount": "50.00", "paid_on": timezone.localdate().isoformat()},
        }
    ).encode()
    timestamp = str(int(time.time()))
    digest = payments.SignedJSONProvider.sign(settings.PAYMENT_WEBHOOK_SECRET, body, timestamp)
    headers = {"Payment-Signature": f"t={timestamp},v1={digest}"}

    results = race(*[lambda: payments.handle_webhook("signed-json", body, headers)] * 2)

    assert sorted(results) == [(200, "Already processed."), (200, "recorded £50.00 against AE-000001")]
    assert list(Payment.objects.values_list("amount", "provider_event_id")) == [(Decimal("50.00"), "evt_race")]
    assert PaymentEvent.objects.count() == 1


def test_two_subscriptions_started_at_once_are_one(networks):
    plan = PlanFactory(slug="standard")
    network = networks[0]

    def start():
        return billing.subscription_start(network=network, plan=plan)

    results = race(start, start)

    assert sorted(type(result).__name__ for result in results) == ["BillingError", "Subscription"]
    assert network.subscriptions.count() == 1
    assert Invoice.objects.count() == 1
