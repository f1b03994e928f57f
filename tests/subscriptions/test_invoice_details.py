"""Invoices carry the seller's details and say how to pay; coordinators are warned while details are missing."""

import datetime as dt
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.urls import reverse

from subscriptions import billing
from subscriptions.models import BillingSettings, Invoice, Payment

SETTINGS_URL = "/admin/settings/subscriptions/billingsettings/"
COMPLETE = {
    "seller_name": "Ask an Expert CIC",
    "seller_address": "Unit 4, The Maltings\nYork YO1 7HB",
    "seller_vat_number": "GB 318 4527 06",
    "billing_email": "billing@ask-an-expert.test",
    "bank_details": "Account name: Ask an Expert CIC\nSort code: 60-83-71\nAccount number: 21436587",
}


def text(response):
    return " ".join(BeautifulSoup(response.content, "html.parser").stripped_strings)


def warnings(response):
    page = BeautifulSoup(response.content, "html.parser")
    return [" ".join(m.stripped_strings) for m in page.select(".help-warning #missing-invoice-details")]


@pytest.fixture
def seller(policy):
    for name, value in COMPLETE.items():
        setattr(policy, name, value)
    policy.save()
    return policy


@pytest.fixture
def incomplete(policy):
    """Only a name and an address, as a new installation might have."""
    policy.seller_vat_number = policy.billing_email = policy.bank_details = ""
    policy.save()
    return policy


@pytest.fixture
def coordinator(client, colin):
    client.force_login(colin)
    return client


@pytest.fixture
def invoice(dales, today, run_on_commit):
    with run_on_commit():
        return billing.invoice_issue(
            network=dales,
            subscription=None,
            kind=Invoice.Kind.NEW,
            period_start=today,
            period_end=today + dt.timedelta(days=364),
            lines=[("Regional plan", Decimal("1"), Decimal("961.00"))],
        )


def test_a_new_installation_has_no_placeholder_bank_details(db):
    assert BillingSettings.load().bank_details == ""


def test_missing_invoice_details_are_named(incomplete):
    incomplete.seller_address = ""
    assert incomplete.missing_invoice_details() == [
        "our address",
        "our VAT registration number (invoices charge VAT at 17.5%)",
        "bank details for transfers",
        "a billing contact e-mail",
    ]


def test_no_vat_number_is_needed_while_no_vat_is_charged(seller):
    seller.seller_vat_number = ""
    seller.vat_rate = Decimal("0")
    assert seller.missing_invoice_details() == []


@pytest.mark.parametrize("screen", ["networks", "invoice"])
def test_coordinators_are_warned_on_the_billing_screens_while_invoice_details_are_missing(
    coordinator, incomplete, invoice, screen
):
    url = reverse(f"billing_admin:{screen}", args=[invoice.pk] if screen == "invoice" else [])
    response = coordinator.get(url)
    assert warnings(response) == [
        "Invoices are going out without our VAT registration number (invoices charge VAT at 17.5%); "
        "bank details for transfers; a billing contact e-mail. Set them in Billing settings ."
    ]
    link = BeautifulSoup(response.content, "html.parser").find("a", string="Set them in Billing settings")
    assert link["href"] == SETTINGS_URL


def test_the_warning_goes_once_invoice_details_are_complete(coordinator, incomplete, invoice):
    pages = [reverse("billing_admin:networks"), reverse("billing_admin:invoice", args=[invoice.pk])]
    before = [len(warnings(coordinator.get(url))) for url in pages]
    for name, value in COMPLETE.items():
        setattr(incomplete, name, value)
    incomplete.save()
    assert (before, [warnings(coordinator.get(url)) for url in pages]) == ([1, 1], [[], []])


def test_the_printable_invoice_shows_the_seller_and_bank_details(coordinator, seller, invoice):
    response = coordinator.get(reverse("billing_admin:invoice_print", args=[invoice.pk]))
    page = BeautifulSoup(response.content, "html.parser")
    assert " ".join(page.select_one("#seller").stripped_strings) == (
        "From Ask an Expert CIC Unit 4, The Maltings York YO1 7HB VAT registration number: GB 318 4527 06 "
        "billing@ask-an-expert.test"
    )
    assert " ".join(page.select_one("#how-to-pay").stripped_strings).endswith(
        f"How to pay By bank transfer, quoting {invoice.display_number} as the reference: "
        "Account name: Ask an Expert CIC Sort code: 60-83-71 Account number: 21436587 "
        "Questions about this invoice: billing@ask-an-expert.test ."
    )
    assert page.select_one("#missing-details") is None


def test_the_printable_invoice_tells_the_coordinator_what_is_missing_but_prints_no_gaps(
    coordinator, incomplete, invoice
):
    incomplete.seller_address = ""
    incomplete.save()
    response = coordinator.get(reverse("billing_admin:invoice_print", args=[invoice.pk]))
    page = BeautifulSoup(response.content, "html.parser")
    assert " ".join(page.select_one("#seller").stripped_strings) == "From Ask an Expert"
    assert " ".join(page.select_one("#missing-details").stripped_strings) == (
        "Not yet on this invoice: our address; our VAT registration number (invoices charge VAT at 17.5%); "
        "bank details for transfers; a billing contact e-mail. Set them in Billing settings before sending it."
    )
    assert page.select_one("#missing-details")["class"] == ["actions", "warning"]  # not printed


def test_the_printable_paid_invoice_says_when_it_was_paid_and_not_how_to_pay(coordinator, seller, invoice, today):
    billing.payment_record(
        invoice_id=invoice.pk, amount=invoice.total, method=Payment.Method.BANK_TRANSFER, received_on=today
    )
    response = coordinator.get(reverse("billing_admin:invoice_print", args=[invoice.pk]))
    page = BeautifulSoup(response.content, "html.parser")
    assert " ".join(page.select_one("#how-to-pay").stripped_strings) == (
        f"Paid on {today.day} {today:%B %Y}. Thank you: nothing more is owed on this invoice."
    )
    assert "Sort code" not in text(response)


def test_the_invoice_email_has_the_seller_and_how_to_pay(seller, invoice):
    (sent,) = mail.outbox
    html = sent.alternatives[0][0]
    assert (
        f"How to pay: by bank transfer, quoting {invoice.display_number} as the reference:\n"
        "Account name: Ask an Expert CIC\nSort code: 60-83-71\nAccount number: 21436587\n"
    ) in sent.body
    assert sent.body.rstrip().endswith(
        "Ask an Expert CIC\nUnit 4, The Maltings\nYork YO1 7HB\nVAT registration number: GB 318 4527 06\n"
        "billing@ask-an-expert.test"
    )
    assert "Sort code: 60-83-71<br>Account number: 21436587" in html
    assert "VAT registration number: GB 318 4527 06" in html


def test_the_invoice_email_without_bank_details_says_whom_to_contact(seller, dales, today, run_on_commit):
    seller.bank_details = ""
    seller.save()
    with run_on_commit():
        invoice = billing.invoice_issue(
            network=dales,
            subscription=None,
            kind=Invoice.Kind.NEW,
            period_start=today,
            period_end=today,
            lines=[("Regional plan", Decimal("1"), Decimal("961.00"))],
        )
    (sent,) = mail.outbox
    assert f"How to pay: contact billing@ask-an-expert.test, quoting {invoice.display_number}.\n" in sent.body
    assert "Sort code" not in sent.body
    assert "00-00-00" not in sent.alternatives[0][0]
