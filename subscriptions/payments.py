"""Card payments arrive as signed webhooks from a payment provider, behind one small interface.

A provider turns a request's body and headers into a verified event, or refuses it. ``handle_webhook``
applies each event at most once: the event's id is recorded (unique per provider) in the same transaction
as the payment, so a repeated delivery, or two at once, changes nothing the second time and still succeeds.

The built-in provider, ``signed-json``, verifies an HMAC-SHA256 signature over ``"{timestamp}.{body}"`` with
a shared secret (``PAYMENT_WEBHOOK_SECRET``), sent as ``Payment-Signature: t=<unix time>,v1=<hex digest>``,
and refuses signatures older than five minutes. A real provider's adapter implements the same two methods.
"""

import datetime as dt
import hashlib
import hmac
import json
import time
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction

from . import billing
from .models import Invoice, Payment, PaymentEvent

TOLERANCE_SECONDS = 300


class WebhookRejected(Exception):
    """The request is not a genuine, well-formed event: answer 400 and change nothing."""


class PaymentProvider:
    name = ""

    def verify(self, body, headers):
        """Return the event {"id", "type", "data"} if the request is genuine, else raise WebhookRejected."""
        raise NotImplementedError


class SignedJSONProvider(PaymentProvider):
    name = "signed-json"

    def __init__(self, secret, now=time.time):
        self.secret = secret
        self.now = now

    @staticmethod
    def sign(secret, body, timestamp):
        message = f"{timestamp}.".encode() + body
        return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()

    def verify(self, body, headers):
        header = headers.get("Payment-Signature", "")
        parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
        timestamp, signature = parts.get("t", ""), parts.get("v1", "")
        if not timestamp.isdigit() or not signature:
            raise WebhookRejected("Missing or malformed Payment-Signature header.")
        if abs(self.now() - int(timestamp)) > TOLERANCE_SECONDS:
            raise WebhookRejected("The signature is too old (or from the future).")
        expected = self.sign(self.secret, body, timestamp)
        if not hmac.compare_digest(expected, signature):
            raise WebhookRejected("The signature does not match.")
        try:
            event = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise WebhookRejected("The body is not JSON.") from None
        if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not event["id"].strip():
            raise WebhookRejected("The event has no id.")
        if not isinstance(event.get("type"), str) or not isinstance(event.get("data", {}), dict):
            raise WebhookRejected("The event has no type or its data is not an object.")
        return event


def providers():
    secret = getattr(settings, "PAYMENT_WEBHOOK_SECRET", "")
    return {SignedJSONProvider.name: SignedJSONProvider(secret)} if secret else {}


def _payment_details(data):
    """(invoice, amount, paid_on, reference) from a payment event's data, or raise ValueError saying what is wrong."""
    number = str(data.get("invoice", "")).strip().upper().removeprefix("AE-")
    if not number.isdigit():
        raise ValueError("no invoice number")
    invoice = Invoice.objects.filter(number=int(number)).first()
    if invoice is None:
        raise ValueError(f"no invoice AE-{int(number):06d}")
    try:
        amount = Decimal(str(data.get("amount", "")))
    except InvalidOperation:
        raise ValueError("amount is not a number") from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValueError("amount must be a positive sum in pounds and pence")
    try:
        paid_on = dt.date.fromisoformat(str(data.get("paid_on", "")))
    except ValueError:
        raise ValueError("paid_on must be a date (YYYY-MM-DD)") from None
    return invoice, amount, paid_on, str(data.get("reference", ""))[:200]


def handle_webhook(provider_name, body, headers):
    """Verify and apply one delivery. Returns (HTTP status, message); never raises for anything sent to it."""
    provider = providers().get(provider_name)
    if provider is None:
        return 404, "Unknown payment provider."
    try:
        event = provider.verify(body, headers)
    except WebhookRejected as exc:
        return 400, str(exc)
    event_id = event["id"].strip()[:200]
    if PaymentEvent.objects.filter(provider=provider_name, event_id=event_id).exists():
        return 200, "Already processed."
    outcome = "ignored: not a payment"
    try:
        with transaction.atomic():
            if event["type"] == "payment.succeeded":
                try:
                    invoice, amount, paid_on, reference = _payment_details(event.get("data") or {})
                    billing.payment_record(
                        invoice_id=invoice.pk,
                        amount=amount,
                        method=Payment.Method.CARD,
                        received_on=paid_on,
                        reference=reference,
                        provider_event_id=event_id,
                    )
                    outcome = f"recorded £{amount} against {invoice.display_number}"
                except (ValueError, billing.BillingError) as exc:
                    outcome = f"not applied: {exc}"
            PaymentEvent.objects.create(
                provider=provider_name, event_id=event_id, kind=event["type"][:100], payload=event, outcome=outcome
            )
    except IntegrityError:  # the same event, delivered twice at once: the other delivery applied it
        return 200, "Already processed."
    return 200, outcome
