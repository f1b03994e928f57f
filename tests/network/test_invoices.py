"""The network's invoices: the list, one invoice ready to print, and the same as CSV; only for its admins."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from subscriptions import billing
from subscriptions.models import BillingSettings, Invoice, Payment

from .pages import csv_rows, soup, table_rows, text_of


def short(day):
    return f"{day.day} {day:%b %Y}"


def long(day):
    return f"{day.day} {day:%B %Y}"


@pytest.fixture
def seller(db):
    policy = BillingSettings.load()
    policy.seller_name = "Ask an Expert CIC"
    policy.seller_address = "1 Market Street\nYork YO1 1AA"
    policy.seller_vat_number = "GB123456789"
    policy.bank_details = "Account name: Ask an Expert CIC\nSort code: 12-34-56\nAccount number: 87654321"
    policy.vat_rate = Decimal("20.00")
    policy.payment_terms_days = 30
    policy.save()
    return policy


def issue(network, *, issued_on, lines=None, kind=Invoice.Kind.NEW):
    return billing.invoice_issue(
        network=network,
        subscription=network.subscriptions.first(),
        kind=kind,
        period_start=issued_on,
        period_end=issued_on + dt.timedelta(days=364),
        lines=lines or [("Standard plan: 25 seats, answers within 48 working hours", Decimal("1"), Decimal("1200"))],
        issued_on=issued_on,
    )


@pytest.fixture
def invoice(northshire, seller):
    """Issued ten days ago; £1,440.00 with VAT; £500.00 paid so far."""
    northshire.billing_address = "The Old School House\nHigh Street\nNorthby NB1 2CD"
    northshire.vat_number = "GB999999973"
    northshire.save()
    today = timezone.localdate()
    invoice = issue(
        northshire,
        issued_on=today - dt.timedelta(days=10),
        lines=[
            ("Standard plan: 25 seats, answers within 48 working hours", Decimal("1"), Decimal("1000.00")),
            ("Extra seats", Decimal("4"), Decimal("50.00")),
        ],
    )
    billing.payment_record(
        invoice_id=invoice.pk,
        amount=Decimal("500.00"),
        method=Payment.Method.BANK_TRANSFER,
        received_on=today - dt.timedelta(days=2),
        reference="NRCC part payment",
    )
    return invoice


def test_the_list_shows_every_invoice_and_its_state(as_nadia, northshire, seller):
    today = timezone.localdate()
    paid = issue(northshire, issued_on=today - dt.timedelta(days=400))
    billing.payment_record(
        invoice_id=paid.pk, amount=paid.total, method=Payment.Method.CARD, received_on=today - dt.timedelta(days=390)
    )
    void = issue(northshire, issued_on=today - dt.timedelta(days=200), kind=Invoice.Kind.ADJUSTMENT)
    billing.invoice_void(invoice_id=void.pk)
    overdue = issue(northshire, issued_on=today - dt.timedelta(days=31), kind=Invoice.Kind.RENEWAL)
    outstanding = issue(northshire, issued_on=today, kind=Invoice.Kind.ADJUSTMENT, lines=[("More seats", 2, 40)])

    response = as_nadia.get("/network/northshire/invoices/")

    assert response.status_code == 200

    def row(invoice, state, balance, kind):
        return [
            f"{invoice.display_number} {kind}",
            short(invoice.issued_on),
            short(invoice.due_on),
            f"{short(invoice.period_start)} to {short(invoice.period_end)}",
            f"£{invoice.total:,}",
            balance,
            state,
        ]

    assert table_rows(response, "invoices") == [
        row(outstanding, "Outstanding", "£96.00", "Change of plan or seats"),
        row(overdue, "Overdue", "£1,440.00", "Renewal"),
        row(void, "Void", "£0.00", "Change of plan or seats"),
        row(paid, "Paid", "£0.00", "New subscription"),
    ]
    assert text_of(response, "owed") == "£1,536.00 is still to pay."
    links = [a["href"] for a in soup(response).select('[data-testid="invoices"] a')]
    assert links == [f"/network/invoices/{i.pk}/" for i in (outstanding, overdue, void, paid)]


def test_an_invoice_page_has_everything_to_print_and_pay(as_nadia, invoice):
    response = as_nadia.get(f"/network/invoices/{invoice.pk}/")
    assert response.status_code == 200
    assert text_of(response, "seller") == (
        "Ask an Expert CIC 1 Market Street York YO1 1AA VAT registration number: GB123456789"
    )
    assert text_of(response, "billed-to") == (
        "Billed to Northshire RCC The Old School House High Street Northby NB1 2CD VAT number: GB999999973"
    )
    assert table_rows(response, "lines") == [
        ["Standard plan: 25 seats, answers within 48 working hours", "1", "£1,000.00", "£1,000.00"],
        ["Extra seats", "4", "£50.00", "£200.00"],
    ]
    assert table_rows(response, "lines", part="tfoot") == [
        ["Subtotal", "£1,200.00"],
        ["VAT at 20%", "£240.00"],
        ["Total", "£1,440.00"],
    ]
    today = timezone.localdate()
    payments = soup(response).select('[data-testid="payments"] tbody tr')
    assert [" ".join(row.get_text(" ", strip=True).split()) for row in payments] == [
        f"{short(today - dt.timedelta(days=2))} Bank transfer NRCC part payment £500.00"
    ]
    assert text_of(response, "balance") == "Balance due: £940.00"
    assert text_of(response, "bank-details") == (
        f"How to pay By bank transfer, quoting {invoice.display_number} as the reference: "
        "Account name: Ask an Expert CIC Sort code: 12-34-56 Account number: 87654321"
    )
    title = soup(response).select_one(".invoice-title").get_text(" ", strip=True)
    assert title == f"Invoice {invoice.display_number} Outstanding"
    # Printing leaves out the site's header, footer and navigation.
    assert '<link rel="stylesheet" href="/static/network/network.css">' in response.content.decode()
    assert soup(response).select_one("nav.tabs")["class"] == ["tabs", "no-print"]


def test_print_styles_hide_the_site_around_the_invoice():
    from pathlib import Path

    import qa_site.network

    css = (Path(qa_site.network.__file__).parent / "static/network/network.css").read_text()
    print_rules = css[css.index("@media print") :]
    assert ".site-header, .site-footer, .skip-link, .messages, .tabs, .no-print" in print_rules
    assert "display: none !important" in print_rules


def test_the_invoice_as_csv_has_its_lines_and_totals(as_nadia, invoice):
    response = as_nadia.get(f"/network/invoices/{invoice.pk}/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="invoice-{invoice.display_number}.csv"'
    rows = csv_rows(response)
    assert rows == [
        ["Description", "Quantity", "Unit price (GBP)", "Amount (GBP)"],
        ["Standard plan: 25 seats, answers within 48 working hours", "1", "1000.00", "1000.00"],
        ["Extra seats", "4", "50.00", "200.00"],
        ["Subtotal", "", "", "1200.00"],
        ["VAT at 20%", "", "", "240.00"],
        ["Total", "", "", "1440.00"],
        ["Paid", "", "", "500.00"],
        ["Balance due", "", "", "940.00"],
    ]
    lines = rows[1:3]
    subtotal = sum(Decimal(row[3]) for row in lines)
    assert subtotal == Decimal(rows[3][3]) == invoice.subtotal
    assert Decimal(rows[3][3]) + Decimal(rows[4][3]) == Decimal(rows[5][3]) == invoice.total
    assert Decimal(rows[5][3]) - Decimal(rows[6][3]) == Decimal(rows[7][3])


def test_a_void_invoice_owes_nothing(as_nadia, northshire, seller):
    invoice = issue(northshire, issued_on=timezone.localdate())
    billing.invoice_void(invoice_id=invoice.pk)
    response = as_nadia.get(f"/network/invoices/{invoice.pk}/")
    assert text_of(response, "balance") == "This invoice is void: nothing is owed on it."
    assert csv_rows(as_nadia.get(f"/network/invoices/{invoice.pk}/?format=csv"))[-1] == ["Balance due", "", "", "0.00"]


def test_an_overdue_invoice_says_since_when(as_nadia, northshire, seller):
    invoice = issue(northshire, issued_on=timezone.localdate() - dt.timedelta(days=45))
    response = as_nadia.get(f"/network/invoices/{invoice.pk}/")
    assert text_of(response, "balance") == (f"Balance due: £1,440.00 Overdue since {short(invoice.due_on)}")


@pytest.mark.parametrize("suffix", ["", "?format=csv"])
def test_only_the_networks_admins_and_coordinators_see_its_invoices(client, invoice, alice, bob, walter, colin, suffix):
    path = f"/network/invoices/{invoice.pk}/{suffix}"
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    for outsider in (walter, alice, bob):
        client.force_login(outsider)
        response = client.get(path)
        assert response.status_code == 404
        assert invoice.display_number not in response.content.decode()
        assert "1,440" not in response.content.decode()
    client.force_login(colin)
    assert client.get(path).status_code == 200


def test_a_missing_invoice_is_not_found(as_nadia, northshire):
    assert as_nadia.get("/network/invoices/999999/").status_code == 404


def test_the_invoices_list_is_for_admins_only(client, invoice, walter):
    client.force_login(walter)
    assert client.get("/network/northshire/invoices/").status_code == 403
    assert client.get("/network/westvale/invoices/").status_code == 200
    assert invoice.display_number not in client.get("/network/westvale/invoices/").content.decode()


# --- Seller details and how to pay ----------------------------------------------------------------------------------


def test_a_paid_invoice_says_when_it_was_paid_and_not_how_to_pay(as_nadia, invoice):
    today = timezone.localdate()
    billing.payment_record(
        invoice_id=invoice.pk, amount=Decimal("940.00"), method=Payment.Method.BANK_TRANSFER, received_on=today
    )
    response = as_nadia.get(f"/network/invoices/{invoice.pk}/")
    body = response.content.decode()
    paid = text_of(response, "bank-details")
    assert paid == f"Paid on {long(today)}. Thank you: nothing more is owed on this invoice."
    assert "How to pay" not in body
    assert "Sort code" not in body


def test_a_void_invoice_says_nothing_about_paying(as_nadia, invoice, northshire):
    void = issue(northshire, issued_on=timezone.localdate(), kind=Invoice.Kind.ADJUSTMENT)
    billing.invoice_void(invoice_id=void.pk)
    body = as_nadia.get(f"/network/invoices/{void.pk}/").content.decode()
    assert 'data-testid="bank-details"' not in body
    assert "How to pay" not in body


def test_without_bank_details_the_invoice_says_whom_to_contact_to_pay(as_nadia, invoice, seller):
    seller.bank_details = "  \n"
    seller.billing_email = "accounts@ask-an-expert.test"
    seller.save()
    response = as_nadia.get(f"/network/invoices/{invoice.pk}/")
    assert text_of(response, "bank-details") == (
        f"How to pay Contact accounts@ask-an-expert.test to pay, quoting {invoice.display_number} ."
    )
    link = soup(response).select_one('[data-testid="bank-details"] a')
    assert link["href"] == "mailto:accounts@ask-an-expert.test"


def test_without_bank_details_or_billing_email_the_invoice_names_the_seller_to_contact(as_nadia, invoice, seller):
    seller.bank_details = ""
    seller.save()
    response = as_nadia.get(f"/network/invoices/{invoice.pk}/")
    assert text_of(response, "bank-details") == (
        f"How to pay Contact Ask an Expert CIC to pay, quoting {invoice.display_number} ."
    )


def test_bank_details_come_with_the_billing_email_for_questions(as_nadia, invoice, seller):
    seller.billing_email = "accounts@ask-an-expert.test"
    seller.save()
    response = as_nadia.get(f"/network/invoices/{invoice.pk}/")
    assert text_of(response, "bank-details") == (
        f"How to pay By bank transfer, quoting {invoice.display_number} as the reference: "
        "Account name: Ask an Expert CIC Sort code: 12-34-56 Account number: 87654321 "
        "Questions about this invoice: accounts@ask-an-expert.test ."  # text_of puts a space between elements
    )
    assert text_of(response, "seller") == (
        "Ask an Expert CIC 1 Market Street York YO1 1AA VAT registration number: GB123456789 "
        "accounts@ask-an-expert.test"
    )


def test_blank_seller_details_print_no_empty_placeholders(as_nadia, invoice, seller):
    seller.seller_address = ""
    seller.seller_vat_number = ""
    seller.save()
    response = as_nadia.get(f"/network/invoices/{invoice.pk}/")
    block = soup(response).select_one('[data-testid="seller"]')
    assert text_of(response, "seller") == "Ask an Expert CIC"
    assert block.find_all("br") == []  # no empty lines where the address and VAT number would be
    assert "VAT registration number" not in response.content.decode()


def test_coordinators_are_told_on_the_invoice_that_the_vat_number_is_not_set(client, colin, invoice, seller):
    seller.seller_vat_number = ""
    seller.save()
    client.force_login(colin)
    response = client.get(f"/network/invoices/{invoice.pk}/")
    note = soup(response).select_one('[data-testid="vat-number-missing"]')
    assert text_of(response, "seller") == (
        "Ask an Expert CIC 1 Market Street York YO1 1AA VAT registration number not yet set"
    )
    assert note["class"] == ["staff-note", "no-print"]
