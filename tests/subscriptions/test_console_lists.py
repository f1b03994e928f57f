"""The billing console's lists as Wagtail viewsets: invoices (filters, search, ordering, CSV and XLSX downloads with
formula guarding) and the networks, subscriptions and members snippets' downloads."""

import csv
import io
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.urls import reverse
from openpyxl import load_workbook

from subscriptions import billing
from subscriptions.models import Invoice, Network
from tests.factories import MembershipFactory, SubscriptionFactory, UserFactory

from .conftest import days

INVOICES = "/admin/billing/invoices/"
EVIL = '=HYPERLINK("http://evil.test","Pay here")'


@pytest.fixture
def coordinator(client, colin):
    client.force_login(colin)
    return client


@pytest.fixture
def evil(db, policy):
    return Network.objects.create(name=EVIL, slug="evil", billing_address="@SUM(1+1)")


@pytest.fixture
def invoices(northshire, evil, today, policy):
    def issue(network, amount, issued_on):
        return billing.invoice_issue(
            network=network,
            subscription=None,
            kind=Invoice.Kind.NEW,
            period_start=issued_on,
            period_end=issued_on + days(364),
            lines=[("Standard plan", Decimal("1"), Decimal(amount))],
            issued_on=issued_on,
        )

    first = issue(northshire, "1000.00", today - days(45))  # £1,175.00 with VAT at 17.5 %, overdue
    billing.payment_record(invoice_id=first.pk, amount=Decimal("175.00"), method="bank_transfer", received_on=today)
    second = issue(evil, "100.00", today)  # £117.50
    return [first, second]


def numbers(response):
    page = BeautifulSoup(response.content, "html.parser")
    return [row.td.get_text(" ", strip=True) for row in page.select("table.listing tbody tr")]


def download(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response):
    return list(csv.reader(io.StringIO(download(response).decode("utf-8"))))


def xlsx_rows(response):
    sheet = load_workbook(io.BytesIO(download(response))).active
    return list(sheet.iter_rows())


def test_invoice_list_searches_network_names(coordinator, invoices):
    assert numbers(coordinator.get(INVOICES + "?q=northshire")) == ["AE-000001"]


def test_invoice_list_orders_by_total(coordinator, invoices):
    assert numbers(coordinator.get(INVOICES + "?ordering=total")) == ["AE-000002", "AE-000001"]
    assert numbers(coordinator.get(INVOICES + "?ordering=-total")) == ["AE-000001", "AE-000002"]


def test_invoice_list_links_each_invoice_to_its_page(coordinator, invoices):
    page = BeautifulSoup(coordinator.get(INVOICES).content, "html.parser")
    assert [row.td.a["href"] for row in page.select("table.listing tbody tr")] == [
        reverse("billing_admin:invoice", args=[invoice.pk]) for invoice in reversed(invoices)
    ]


def test_invoice_list_downloads_as_csv_with_formulas_quoted(coordinator, invoices, today):
    response = coordinator.get(INVOICES + "?export=csv")
    assert response["Content-Disposition"] == 'attachment; filename="invoices.csv"'
    rows = csv_rows(response)
    assert rows[0] == [
        "Number", "Network", "Kind", "Status", "Issued", "Due", "Period from", "Period to", "Subtotal (GBP)",
        "VAT (GBP)", "Total (GBP)", "Paid (GBP)", "Balance (GBP)",
    ]  # fmt: skip
    assert rows[1][:2] == ["AE-000002", "'" + EVIL]
    assert rows[2] == [
        "AE-000001", "Northshire RCC", "New subscription", "Issued", str(today - days(45)), str(today - days(15)),
        str(today - days(45)), str(today + days(319)), "1000.00", "175.00", "1175.00", "175.00", "1000.00",
    ]  # fmt: skip


def test_invoice_list_downloads_what_the_filters_show(coordinator, invoices):
    rows = csv_rows(coordinator.get(INVOICES + "?overdue=on&export=csv"))
    assert [row[0] for row in rows[1:]] == ["AE-000001"]


def test_invoice_list_downloads_as_xlsx_with_text_kept_as_text(coordinator, invoices, today):
    response = coordinator.get(INVOICES + "?export=xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="invoices.xlsx"'
    rows = xlsx_rows(response)
    assert [cell.value for cell in rows[1][:2]] == ["AE-000002", EVIL]
    assert rows[1][1].data_type == "s"
    assert [cell.value for cell in rows[2][10:]] == [1175, 175, 1000]


@pytest.mark.parametrize("role", ["anonymous", "editor", "alice"])
def test_invoice_list_and_its_downloads_are_for_coordinators_only(client, invoices, alice, role):
    editor = UserFactory(email="editor@example.test")  # may use the admin, but is not a coordinator
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    if role != "anonymous":
        client.force_login({"editor": editor, "alice": alice}[role])
    for query in ("", "?export=csv", "?export=xlsx", "results/"):
        response = client.get(INVOICES + query)
        assert response.status_code == 302, query
        assert "AE-000001" not in download(response).decode("utf-8", "replace")


def test_invoice_list_keeps_its_old_address_and_name(coordinator, invoices):
    assert reverse("billing_admin:invoices") == INVOICES
    assert numbers(coordinator.get(reverse("billing_admin:invoices") + "?network=" + str(invoices[1].network_id))) == [
        "AE-000002"
    ]


def test_billing_menu_lists_invoices_and_the_console(coordinator, invoices):
    body = coordinator.get("/admin/").content.decode()
    for label in ("Billing", "Networks joining", "Networks and subscriptions", "Invoices", "Webhook deliveries"):
        assert f'"{label}"' in body


# --- Networks, subscriptions and members (snippets) ------------------------------------------------------------------


def snippet_list(model_name):
    return reverse(f"wagtailsnippets_subscriptions_{model_name}:list")


def test_networks_download_as_csv_with_formulas_quoted(coordinator, evil, northshire):
    response = coordinator.get(snippet_list("network") + "?export=csv")
    assert response["Content-Disposition"] == 'attachment; filename="networks.csv"'
    rows = csv_rows(response)
    assert rows[0] == ["Name", "Slug", "Website", "Billing e-mail", "Billing address", "VAT number", "Created"]
    assert [row[:2] for row in rows[1:]] == [["'" + EVIL, "evil"], ["Northshire RCC", "northshire"]]
    assert rows[1][4] == "'@SUM(1+1)"


def test_networks_download_as_xlsx(coordinator, evil, northshire):
    rows = xlsx_rows(coordinator.get(snippet_list("network") + "?export=xlsx"))
    assert [row[0].value for row in rows] == ["Name", EVIL, "Northshire RCC"]
    assert rows[1][0].data_type == "s"


def test_members_download_with_their_network_and_role(coordinator, northshire):
    MembershipFactory(
        network=northshire, user=UserFactory(email="alice@example.test", first_name="Alice", last_name="Adams")
    )
    rows = csv_rows(coordinator.get(snippet_list("membership") + "?export=csv"))
    assert rows[0] == ["Name", "E-mail", "Network", "Role", "Organisation", "Joined"]
    assert rows[1][:4] == ["Alice Adams", "alice@example.test", "Northshire RCC", "Adviser"]


def test_subscriptions_download_filtered(coordinator, northshire, evil, standard_plan):
    SubscriptionFactory(network=evil, plan=standard_plan, status="cancelled")
    rows = csv_rows(coordinator.get(snippet_list("subscription") + "?status=cancelled&export=csv"))
    assert rows[0] == ["Network", "Plan", "Status", "Seats", "Starts on", "Ends on", "Access until"]
    assert [row[:3] for row in rows[1:]] == [["'" + EVIL, standard_plan.name, "Cancelled"]]
