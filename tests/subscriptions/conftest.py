"""Billing fixtures: a plan with extra seats, a network that gets the invoices, and the billing policy."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from subscriptions.models import BillingSettings, Membership, Network, Plan
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def policy(db):
    """VAT at 17.5 % (so half-pennies happen), 30 days to pay, renewal 30 days ahead, 30 days' grace, reminders
    every 7 days; every detail an invoice prints is set."""
    settings = BillingSettings.load()
    settings.vat_rate = Decimal("17.50")
    settings.payment_terms_days = 30
    settings.renewal_notice_days = 30
    settings.grace_days = 30
    settings.reminder_interval_days = 7
    settings.seller_address = "1 Market Square\nYork"
    settings.seller_vat_number = "GB 999 9999 73"
    settings.billing_email = "billing@ask-an-expert.test"
    settings.bank_details = "Account name: Ask an Expert\nSort code: 12-34-56\nAccount number: 12345678"
    settings.save()
    return settings


@pytest.fixture
def regional(db):
    """£961 a year for 10 seats, £14 a year per extra seat, 14 days' trial, 60 questions a year."""
    return Plan.objects.create(
        name="Regional",
        slug="regional",
        annual_price=Decimal("961.00"),
        included_seats=10,
        extra_seat_price=Decimal("14.00"),
        trial_days=14,
        question_allowance=60,
    )


@pytest.fixture
def national(db):
    """£2,400 a year for 20 seats, £20 per extra seat, no trial."""
    return Plan.objects.create(
        name="National",
        slug="national",
        annual_price=Decimal("2400.00"),
        included_seats=20,
        extra_seat_price=Decimal("20.00"),
        trial_days=0,
    )


@pytest.fixture
def dales(db, policy):
    """A network with a billing address and two members (an admin and an adviser)."""
    network = Network.objects.create(
        name="Dales Rural Network",
        slug="dales",
        billing_email="accounts@dales.test",
        billing_address="The Old School\nHawes",
        vat_number="GB123456789",
    )
    MembershipFactory(
        network=network, user=UserFactory(email="dana@dales.test", first_name="Dana"), role=Membership.Role.ADMIN
    )
    MembershipFactory(network=network, user=UserFactory(email="adam@dales.test", first_name="Adam"))
    return network


def days(n):
    return dt.timedelta(days=n)
