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
import math
import re
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

    def __init__(self, secret, now=None):
        self.secret = secret
        self.now = now or time.time  # looked up per provider (one per request), so tests can move the clock

    @staticmethod
    def sign(secret, body, timestamp):
        message = f"{timestamp}.".encode() + body
        return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()

    def verify(self, body, headers):
        header = headers.get("Payment-Signature", "")
        parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
        timestamp, signature = parts.get("t", "").strip(), parts.get("v1", "").strip()
        # ASCII only: str.isdigit() accepts "²", which int() refuses, and compare_digest refuses non-ASCII text.
        if not _TIMESTAMP.fullmatch(timestamp) or not _HEX.fullmatch(signature):
            raise WebhookRejected("Missing or malformed Payment-Signature header.")
        if abs(self.now() - int(timestamp)) > TOLERANCE_SECONDS:
            raise WebhookRejected("The signature is too old (or from the future).")
        expected = self.sign(self.secret, body, timestamp)
        if not hmac.compare_digest(expected, signature.lower()):
            raise WebhookRejected("The signature does not match.")
        try:
            event = json.loads(body, parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise WebhookRejected("The body is not JSON.") from None
        if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not event["id"].strip():
            raise WebhookRejected("The event has no id.")
        if not isinstance(event.get("type"), str) or not isinstance(event.get("data", {}), dict):
            raise WebhookRejected("The event has no type or its data is not an object.")
        return event


_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX = re.compile(r"[0-9a-fA-F]{64}")


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _storable(value):
    """Can ``value`` (parsed JSON) be stored as it is? No NUL characters or lone surrogates (PostgreSQL text and
    jsonb refuse both), no infinite numbers (1e400 parses as a float infinity, which jsonb refuses)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return False
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, float):
            if not math.isfinite(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def providers():
    secret = getattr(settings, "PAYMENT_WEBHOOK_SECRET", "")
    return {SignedJSONProvider.name: SignedJSONProvider(secret)} if secret else {}


def _payment_details(data):
    """(invoice, amount, paid_on, reference) from a payment event's data, or raise ValueError saying what is wrong."""
    number = str(data.get("invoice", "")).strip().upper().removeprefix("AE-")
    if not _INVOICE_NUMBER.fullmatch(number):
        raise ValueError("no invoice number")
    invoice = Invoice.objects.filter(number=int(number)).first()
    if invoice is None:
        raise ValueError(f"no invoice AE-{int(number):06d}")
    try:
        amount = Decimal(str(data.get("amount", "")))
        exact = amount.is_finite() and amount > 0 and amount == amount.quantize(Decimal("0.01"))
    except InvalidOperation:  # not a number, or too many digits to be pence ("1e999999")
        raise ValueError("amount is not a number") from None
    if not exact:
        raise ValueError("amount must be a positive sum in pounds and pence")
    try:
        paid_on = dt.date.fromisoformat(str(data.get("paid_on", "")))
    except ValueError:
        raise ValueError("paid_on must be a date (YYYY-MM-DD)") from None
    return invoice, amount, paid_on, str(data.get("reference", ""))[:200]


_INVOICE_NUMBER = re.compile(r"[0-9]{1,9}")


def handle_webhook(provider_name, body, headers):
    """Verify and apply one delivery. Returns (HTTP status, message); never raises for anything sent to it."""
    provider = providers().get(provider_name)
    if provider is None:
        return 404, "Unknown payment provider."
    try:
        event = provider.verify(body, headers)
    except WebhookRejected as exc:
        return 400, str(exc)
    if not _storable(event):
        return 400, "The event contains text or numbers that cannot be stored (NUL, lone surrogates, infinity)."
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
                    outcome = f"not applied: {exc}"[:300]
            PaymentEvent.objects.create(
                provider=provider_name, event_id=event_id, kind=event["type"][:100], payload=event, outcome=outcome
            )
    except IntegrityError:  # the same event, delivered twice at once: the other delivery applied it
        return 200, "Already processed."
    return 200, outcome
