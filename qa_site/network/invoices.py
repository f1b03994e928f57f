"""A network's invoices as its admins see them: the list, one invoice, and the same as CSV."""

from decimal import Decimal

from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from qa_site.exports import csv_response
from subscriptions.models import Invoice

STATE_LABELS = {"paid": "Paid", "outstanding": "Outstanding", "overdue": "Overdue", "void": "Void"}


def state(invoice, today=None):
    """paid, outstanding, overdue or void."""
    if invoice.status == Invoice.Status.VOID:
        return "void"
    if invoice.status == Invoice.Status.PAID:
        return "paid"
    if invoice.due_on < (today or timezone.localdate()):
        return "overdue"
    return "outstanding"


def _label(invoice, today):
    invoice.state = state(invoice, today)
    invoice.state_label = STATE_LABELS[invoice.state]
    invoice.balance_due = Decimal("0.00") if invoice.state == "void" else invoice.balance
    return invoice


def with_amount_paid(queryset):
    """Invoices with what has been paid on each, summed in the same query (``amount_paid`` reads it)."""
    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=10, decimal_places=2))
    return queryset.annotate(paid_so_far=Coalesce(Sum("payments__amount"), zero))


def for_network(network, today=None):
    today = today or timezone.localdate()
    invoices = list(with_amount_paid(Invoice.objects.filter(network=network)).order_by("-issued_on", "-number"))
    for invoice in invoices:
        invoice._amount_paid = invoice.paid_so_far
        _label(invoice, today)
    return invoices


def detail(invoice, today=None):
    """The invoice with its lines and payments read, labelled with its state."""
    invoice.line_list = list(invoice.lines.all())
    invoice.payment_list = list(invoice.payments.all())
    invoice._amount_paid = sum((payment.amount for payment in invoice.payment_list), Decimal("0.00"))
    return _label(invoice, today or timezone.localdate())


def _quantity(value):
    return format(value.normalize(), "f")


def _money(value):
    return f"{value:.2f}"


def invoice_csv(invoice):
    """Lines, then subtotal, VAT, total, paid and balance: four columns, amounts in pounds."""
    rows = [
        [line.description, _quantity(line.quantity), _money(line.unit_price), _money(line.amount)]
        for line in invoice.line_list
    ]
    rows += [
        ["Subtotal", "", "", _money(invoice.subtotal)],
        [f"VAT at {invoice.vat_rate.normalize():f}%", "", "", _money(invoice.vat_amount)],
        ["Total", "", "", _money(invoice.total)],
        ["Paid", "", "", _money(invoice.amount_paid)],
        ["Balance due", "", "", _money(invoice.balance_due)],
    ]
    header = ["Description", "Quantity", "Unit price (GBP)", "Amount (GBP)"]
    return csv_response(f"invoice-{invoice.display_number}.csv", header, rows)
