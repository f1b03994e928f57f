"""Card payments by signed webhook: genuine events are applied once; anything else changes nothing."""

import json
import re
import time
from decimal import Decimal, InvalidOperation

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note
from hypothesis import strategies as st

from subscriptions import billing, payments
from subscriptions.models import Invoice, Payment, PaymentEvent

from .conftest import days

pytestmark = pytest.mark.django_db

URL = "/payments/webhook/signed-json/"
SECRET = "test-webhook-secret"


def signature(body, *, secret=SECRET, timestamp=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={payments.SignedJSONProvider.sign(secret, body, str(timestamp))}"


def deliver(client, event, *, url=URL, header=None, **sign):
    """POST ``event`` (a dict, or bytes as they are), signed unless ``header`` says otherwise."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = {"HTTP_PAYMENT_SIGNATURE": signature(body, **sign) if header is None else header}
    if header == "":
        headers = {}
    return client.post(url, body, content_type="application/json", **headers)


def payment_event(invoice_number="AE-000001", amount="1178.53", *, event_id="evt_1", paid_on=None, **data):
    return {
        "id": event_id,
        "type": "payment.succeeded",
        "data": {
            "invoice": invoice_number,
            "amount": amount,
            "paid_on": (paid_on or timezone.localdate()).isoformat(),
            "reference": "ch_3Nx",
            **data,
        },
    }


def text(response):
    return response.content.decode()


@pytest.fixture
def invoice(dales, regional, today):
    """AE-000001, £1,178.53."""
    return billing.subscription_start(network=dales, plan=regional, seats=13, starts_on=today).invoices.get()


def nothing_recorded(*, events=0):
    assert Payment.objects.count() == 0
    assert PaymentEvent.objects.count() == events


def test_a_genuine_payment_is_recorded_as_a_card_payment_and_pays_the_invoice(client, invoice, today):
    response = deliver(client, payment_event())

    assert (response.status_code, text(response)) == (200, "recorded £1178.53 against AE-000001")
    (payment,) = Payment.objects.all()
    assert (payment.invoice, payment.amount, payment.method, payment.reference, payment.provider_event_id) == (
        invoice,
        Decimal("1178.53"),
        Payment.Method.CARD,
        "ch_3Nx",
        "evt_1",
    )
    assert (payment.received_on, payment.recorded_by) == (today, None)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_on) == (Invoice.Status.PAID, today)
    (event,) = PaymentEvent.objects.all()
    assert (event.provider, event.event_id, event.kind, event.outcome) == (
        "signed-json",
        "evt_1",
        "payment.succeeded",
        "recorded £1178.53 against AE-000001",
    )
    assert event.payload == payment_event()


def test_the_same_event_again_is_already_processed_and_pays_nothing_more(client, invoice):
    deliver(client, payment_event(amount="100.00"))
    again = deliver(client, payment_event(amount="100.00"))

    assert (again.status_code, text(again)) == (200, "Already processed.")
    assert Payment.objects.count() == 1
    assert PaymentEvent.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("1078.53")


def test_a_part_payment_leaves_the_invoice_open_and_other_events_are_stored_but_ignored(client, invoice):
    assert text(deliver(client, payment_event(amount="78.53"))) == "recorded £78.53 against AE-000001"
    response = deliver(client, {"id": "evt_2", "type": "charge.refunded", "data": {"invoice": "AE-000001"}})

    assert (response.status_code, text(response)) == (200, "ignored: not a payment")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance) == (Invoice.Status.ISSUED, Decimal("1100.00"))
    assert list(PaymentEvent.objects.order_by("pk").values_list("event_id", "outcome")) == [
        ("evt_1", "recorded £78.53 against AE-000001"),
        ("evt_2", "ignored: not a payment"),
    ]


MALFORMED = "Missing or malformed Payment-Signature header."
STALE = "The signature is too old (or from the future)."
NO_DATA = "The event has no type or its data is not an object."


@pytest.mark.parametrize(
    ("name", "header", "sign", "message"),
    [
        ("wrong secret", None, {"secret": "not-the-secret"}, "The signature does not match."),
        ("missing header", "", {}, MALFORMED),
        ("no v1", "t=1700000000", {}, MALFORMED),
        ("junk", "garbage", {}, MALFORMED),
        ("superscript timestamp", "t=\u00b2,v1=" + "a" * 64, {}, MALFORMED),
        ("non-ascii signature", "t=1700000000,v1=" + "\u00e9" * 64, {}, MALFORMED),
        ("huge timestamp", "t=" + "9" * 5000 + ",v1=" + "a" * 64, {}, MALFORMED),
        ("old", None, {"timestamp": int(time.time()) - 301}, STALE),
        ("future", None, {"timestamp": int(time.time()) + 3600}, STALE),
    ],
)
def test_badly_signed_deliveries_are_refused_and_change_nothing(client, invoice, name, header, sign, message):
    response = deliver(client, payment_event(), header=header, **sign)

    assert (response.status_code, text(response)) == (400, message)
    nothing_recorded()


def test_a_signature_goes_stale_after_five_minutes(client, invoice, monkeypatch):
    body = json.dumps(payment_event()).encode()
    header = signature(body)
    signed_at = time.time()
    monkeypatch.setattr(time, "time", lambda: signed_at + 301)

    response = client.post(URL, body, content_type="application/json", HTTP_PAYMENT_SIGNATURE=header)

    assert (response.status_code, text(response)) == (400, "The signature is too old (or from the future).")
    nothing_recorded()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json at all", "The body is not JSON."),
        (b"\xff\xfe\x00", "The body is not JSON."),
        (b'{"id": "evt_1", "type": "payment.succeeded", "data": {"amount": NaN}}', "The body is not JSON."),
        (b'{"id": "evt_1", "type": "x", "data": {"amount": Infinity}}', "The body is not JSON."),
        (b"[" * 5000 + b"]" * 5000, "The body is not JSON."),
        (b'[{"id": "evt_1", "type": "payment.succeeded"}]', "The event has no id."),
        (b'"evt_1"', "The event has no id."),
        (b'{"type": "payment.succeeded", "data": {}}', "The event has no id."),
        (b'{"id": "   ", "type": "payment.succeeded", "data": {}}', "The event has no id."),
        (b'{"id": 17, "type": "payment.succeeded", "data": {}}', "The event has no id."),
        (b'{"id": "evt_1", "data": {}}', NO_DATA),
        (b'{"id": "evt_1", "type": "payment.succeeded", "data": []}', NO_DATA),
        (b'{"id": "evt_1", "type": "payment.succeeded", "data": null}', NO_DATA),
        (
            b'{"id": "evt_1", "type": "payment.succeeded", "data": {"reference": "a\\u0000b"}}',
            "The event contains text or numbers that cannot be stored (NUL, lone surrogates, infinity).",
        ),
        (
            b'{"id": "evt_\\ud800", "type": "payment.succeeded", "data": {}}',
            "The event contains text or numbers that cannot be stored (NUL, lone surrogates, infinity).",
        ),
        (
            b'{"id": "evt_1", "type": "payment.succeeded", "data": {"amount": 1e400}}',
            "The event contains text or numbers that cannot be stored (NUL, lone surrogates, infinity).",
        ),
    ],
)
def test_malformed_events_are_refused_and_nothing_is_stored(client, invoice, body, message):
    response = deliver(client, body)

    assert (response.status_code, text(response)) == (400, message)
    nothing_recorded()


@pytest.mark.parametrize(
    ("change", "outcome"),
    [
        ({"invoice": "AE-000099"}, "not applied: no invoice AE-000099"),
        ({"invoice": ""}, "not applied: no invoice number"),
        ({"invoice": "AE-\u00b2"}, "not applied: no invoice number"),
        ({"invoice": "9" * 40}, "not applied: no invoice number"),
        ({"amount": "abc"}, "not applied: amount is not a number"),
        ({"amount": "-1"}, "not applied: amount must be a positive sum in pounds and pence"),
        ({"amount": "0"}, "not applied: amount must be a positive sum in pounds and pence"),
        ({"amount": "1.001"}, "not applied: amount must be a positive sum in pounds and pence"),
        ({"amount": "NaN"}, "not applied: amount must be a positive sum in pounds and pence"),
        ({"amount": "Infinity"}, "not applied: amount must be a positive sum in pounds and pence"),
        ({"amount": "1e999999"}, "not applied: amount is not a number"),
        ({"amount": None}, "not applied: amount is not a number"),
        ({"amount": "1178.54"}, "not applied: That is more than the £1178.53 still owed on AE-000001."),
        ({"paid_on": "yesterday"}, "not applied: paid_on must be a date (YYYY-MM-DD)"),
        ({"paid_on": "2999-01-01"}, "not applied: A payment cannot be received in the future."),
    ],
)
def test_payments_that_cannot_be_applied_are_stored_as_not_applied_and_pay_nothing(client, invoice, change, outcome):
    event = payment_event()
    event["data"].update(change)

    response = deliver(client, event)

    assert (response.status_code, text(response)) == (200, outcome)
    assert Payment.objects.count() == 0
    (stored,) = PaymentEvent.objects.all()
    assert stored.outcome == outcome
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED


def test_a_payment_on_a_void_invoice_is_not_applied(client, invoice):
    billing.invoice_void(invoice_id=invoice.pk)
    response = deliver(client, payment_event())
    assert (response.status_code, text(response)) == (200, "not applied: That invoice is void.")
    assert Payment.objects.count() == 0


def test_an_unknown_provider_is_not_found_and_only_post_is_allowed(client, invoice):
    response = deliver(client, payment_event(), url="/payments/webhook/stripe/")
    assert (response.status_code, text(response)) == (404, "Unknown payment provider.")
    assert client.get(URL).status_code == 405
    nothing_recorded()


def test_no_secret_configured_means_no_provider(client, invoice, settings):
    settings.PAYMENT_WEBHOOK_SECRET = ""
    response = deliver(client, payment_event())
    assert (response.status_code, text(response)) == (404, "Unknown payment provider.")
    nothing_recorded()


def test_a_body_over_64_kb_is_refused_unread(client, invoice):
    event = payment_event(padding="x" * (64 * 1024))
    response = deliver(client, event)
    assert (response.status_code, text(response)) == (413, "Body too large.")
    nothing_recorded()


# --- Properties: whatever arrives, never a 500, never a payment that should not be -------------------------------


def valid_payment(event, invoice, today):
    """Is ``event`` a payment the invoice should take? (What the webhook promises, stated independently.)"""
    if not isinstance(event, dict) or event.get("type") != "payment.succeeded":
        return False
    if not isinstance(event.get("id"), str) or not event["id"].strip():
        return False
    data = event.get("data", {})
    if not isinstance(data, dict):
        return False
    number = str(data.get("invoice", "")).strip().upper().removeprefix("AE-")
    if not re.fullmatch(r"[0-9]{1,9}", number) or int(number) != invoice.number:
        return False
    try:
        amount = Decimal(str(data.get("amount", "")))
        if not (amount.is_finite() and Decimal("0") < amount <= invoice.balance):
            return False
        if amount != amount.quantize(Decimal("0.01")):
            return False
    except InvalidOperation:
        return False
    try:
        paid_on = timezone.datetime.fromisoformat(str(data.get("paid_on", ""))).date()
    except ValueError:
        return False
    return paid_on <= today and str(data.get("paid_on", "")) == paid_on.isoformat()


json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
invoice_numbers = st.sampled_from(["AE-000001", "ae-000001", "1", " AE-000001 ", "AE-000002", "AE-1x"]) | json_values
amounts = (
    st.sampled_from(["1178.53", "0.01", "100", "1178.54", "-1", "1e2", "0.001", "NaN", "sNaN", "1e999999"])
    | st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str)
    | json_values
)
paid_dates = (
    st.dates(min_value=timezone.localdate() - days(400), max_value=timezone.localdate() + days(5)).map(
        lambda d: d.isoformat()
    )
    | json_values
)
payment_data = st.fixed_dictionaries(
    {"invoice": invoice_numbers, "amount": amounts, "paid_on": paid_dates},
    optional={"reference": json_values, "extra": json_values},
)
events = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=30), "type": st.sampled_from(["payment.succeeded", "other"]) | st.text()},
    optional={"data": payment_data | json_values},
)

# Mostly genuine payments, a field at a time gone wrong: so that the valid ones are common too.
likely_payments = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["evt_1", "evt_2", " evt_3 "]),
        "type": st.just("payment.succeeded"),
        "data": st.fixed_dictionaries(
            {
                "invoice": st.sampled_from(["AE-000001", "1", 1, "ae-000001"]) | invoice_numbers,
                "amount": st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1178.53"), places=2).map(str)
                | amounts,
                "paid_on": st.dates(min_value=timezone.localdate() - days(30), max_value=timezone.localdate()).map(
                    lambda d: d.isoformat()
                )
                | paid_dates,
            },
            optional={"reference": st.text(max_size=30)},
        ),
    }
)

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def deliver_and_undo(client, body):
    """Deliver ``body`` (validly signed) and roll back whatever it did; return (status, payments made)."""
    with transaction.atomic():
        before = Payment.objects.count()
        response = client.post(URL, body, content_type="application/json", HTTP_PAYMENT_SIGNATURE=signature(body))
        made = Payment.objects.count() - before
        transaction.set_rollback(True)
    return response.status_code, made


@PROPERTY_SETTINGS
@given(body=st.binary(max_size=2048))
def test_any_bytes_under_a_valid_signature_never_fail_and_pay_nothing(client, invoice, body):
    status, made = deliver_and_undo(client, body)
    assert status in (200, 400)
    assert made == 0


@PROPERTY_SETTINGS
@given(event=likely_payments | events | json_values)
def test_any_json_under_a_valid_signature_never_fails_and_pays_only_a_valid_payment(client, invoice, today, event):
    body = json.dumps(event).encode()
    expected = valid_payment(event, invoice, today)
    storable = payments._storable(event)

    status, made = deliver_and_undo(client, body)

    note(f"{status}, {'paid' if made else 'not paid'}")
    assert status in (200, 400)
    assert made == (1 if expected and storable else 0)
