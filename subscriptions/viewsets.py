"""The billing console's list of invoices, as a Wagtail viewset: filters, ordering, search, CSV and XLSX.

Recording a payment, voiding, printing stay on each invoice's own page (``billing_admin:invoice``), which each row
links to. The list keeps the old address and its filters (``?status=…&network=…&overdue=on``).
"""

import django_filters
from django import forms
from django.urls import reverse
from django.utils import dateformat, timezone
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn

from .admin_views import invoices_with_payments
from .console import ConsoleListViewSet
from .models import Invoice


def pounds(amount):
    return f"£{amount:,.2f}"


def day(field):
    return lambda invoice: dateformat.format(getattr(invoice, field), "j M Y")


class InvoiceFilterSet(WagtailFilterSet):
    overdue = django_filters.BooleanFilter(
        label="Overdue only", method="filter_overdue", widget=forms.CheckboxInput, required=False
    )

    class Meta:
        model = Invoice
        fields = ["status", "kind", "network"]

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(status=Invoice.Status.ISSUED, due_on__lt=timezone.localdate())


def status_text(invoice):
    return f"{invoice.get_status_display()}, overdue" if invoice.is_overdue else invoice.get_status_display()


class InvoiceListViewSet(ConsoleListViewSet):
    model = Invoice
    name = "invoice_list"
    url_prefix = "billing/invoices"
    icon = "doc-full"
    menu_label = "Invoices"
    menu_order = 20
    list_display = [
        TitleColumn(
            "display_number",
            label="Number",
            sort_key="number",
            get_url=lambda invoice: reverse("billing_admin:invoice", args=[invoice.pk]),
        ),
        Column("network", label="Network", accessor="network.name", sort_key="network__name"),
        Column("kind", label="Kind", accessor="get_kind_display"),
        Column("status", label="Status", accessor=status_text, sort_key="status"),
        Column("issued_on", label="Issued", accessor=day("issued_on"), sort_key="issued_on"),
        Column("due_on", label="Due", accessor=day("due_on"), sort_key="due_on"),
        Column("total", label="Total", accessor=lambda invoice: pounds(invoice.total), sort_key="total"),
        Column("paid", label="Paid", accessor=lambda invoice: pounds(invoice.amount_paid)),
        Column(
            "balance",
            label="Balance",
            accessor=lambda invoice: "—" if invoice.status == Invoice.Status.VOID else pounds(invoice.balance),
        ),
    ]
    filterset_class = InvoiceFilterSet
    search_fields = ["network__name", "billed_to"]
    search_backend_name = None  # the database's own matching: invoices are not in Wagtail's search index
    ordering = "-number"
    list_export = [
        "display_number",
        "network.name",
        "get_kind_display",
        "get_status_display",
        "issued_on",
        "due_on",
        "period_start",
        "period_end",
        "subtotal",
        "vat_amount",
        "total",
        "amount_paid",
        "balance",
    ]
    export_headings = {
        "display_number": "Number",
        "network.name": "Network",
        "get_kind_display": "Kind",
        "get_status_display": "Status",
        "issued_on": "Issued",
        "due_on": "Due",
        "period_start": "Period from",
        "period_end": "Period to",
        "subtotal": "Subtotal (GBP)",
        "vat_amount": "VAT (GBP)",
        "total": "Total (GBP)",
        "amount_paid": "Paid (GBP)",
        "balance": "Balance (GBP)",
    }
    export_filename = "invoices"
    MONEY = ("subtotal", "vat_amount", "total", "amount_paid", "balance")

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            page_title="Invoices",
            queryset=invoices_with_payments(),
            # pounds and pence in CSV (the sums are numbers in XLSX)
            custom_field_preprocess={field: {"csv": lambda amount: f"{amount:.2f}"} for field in self.MONEY},
            **kwargs,
        )

    def detail_url(self, invoice):
        return reverse("billing_admin:invoice", args=[invoice.pk])


invoice_list_viewset = InvoiceListViewSet()
