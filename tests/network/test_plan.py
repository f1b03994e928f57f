"""A network admin changes plan or seats (price stated before confirming), keeps a subscription renewing, and
subscribes after a free trial or once access has ended."""

import datetime as dt
from decimal import Decimal

from django.core import mail
from django.utils import timezone

from subscriptions import billing
from subscriptions.models import Invoice, Membership, Subscription
from tests.factories import MembershipFactory, NetworkFactory, SubscriptionFactory, UserFactory


def _plan_page(client, network):
    return client.get(f"/network/{network.slug}/plan/").content.decode()


def _post(client, network, **data):
    return client.post(f"/network/{network.slug}/plan/", data)


def test_the_plan_page_states_the_pro_rata_rules_and_the_current_plan(as_nadia, northshire, premium_plan):
    html = _plan_page(as_nadia, northshire)
    assert "You pay the difference in the annual price for the rest of the current period" in html
    assert "with no refund or credit for the current period" in html
    assert "<strong>Standard</strong> plan with <strong>25 seats</strong>" in html
    assert "Premium: £2,400 a year + VAT" in html


def test_a_dearer_plan_is_priced_before_it_is_confirmed_then_invoiced_pro_rata(
    as_nadia, northshire, premium_plan, run_on_commit
):
    subscription = northshire.current_subscription
    quote = _post(as_nadia, northshire, action="quote", plan=premium_plan.pk, seats=25).content.decode()
    # £1,200 more a year, for the 336 days left of a 366-day period: £1,101.64
    assert "To pay now: <strong>£1,101.64</strong> + VAT, for the 336 days left of this 366-day period." in quote
    subscription.refresh_from_db()
    assert subscription.plan.slug == "standard"
    assert not Invoice.objects.exists()
    with run_on_commit():
        response = _post(as_nadia, northshire, action="confirm", plan=premium_plan.pk, seats=25)
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.plan, subscription.seats) == (premium_plan, 25)
    invoice = Invoice.objects.get()
    assert (invoice.kind, invoice.subtotal) == ("adjustment", Decimal("1101.64"))
    followed = as_nadia.get(response["Location"]).content.decode()
    assert f"Invoice {invoice.display_number}" in followed


def test_seats_below_those_in_use_or_junk_are_refused_and_change_nothing(as_nadia, northshire, standard_plan):
    for _ in range(3):
        MembershipFactory(network=northshire, user=UserFactory())
    standard_plan.included_seats = 1
    standard_plan.save()
    response = _post(as_nadia, northshire, action="confirm", plan=standard_plan.pk, seats=2)
    assert response.status_code == 400
    assert "4 seats are in use" in response.content.decode()
    assert (
        "whole number" in _post(as_nadia, northshire, action="quote", plan=standard_plan.pk, seats="x").content.decode()
    )
    assert (
        "Choose one of the plans" in _post(as_nadia, northshire, action="quote", plan="99999", seats=5).content.decode()
    )
    assert (
        "Choose what to do"
        in _post(as_nadia, northshire, action="drop", plan=standard_plan.pk, seats=30).content.decode()
    )
    assert northshire.current_subscription.seats == 25
    assert not Invoice.objects.exists()


def test_an_expired_networks_admin_sees_how_to_renew_and_renews_from_today(
    client, eastmoor, standard_plan, run_on_commit
):
    admin = UserFactory(email="ed@eastmoor.test")
    MembershipFactory(network=eastmoor, user=admin, role=Membership.Role.ADMIN)
    client.force_login(admin)
    dashboard = client.get(f"/network/{eastmoor.slug}/").content.decode()
    assert "Renew from “Plan and seats”" in dashboard
    assert f'href="/network/{eastmoor.slug}/plan/">Go to Plan and seats</a>' in dashboard
    assert "members lost access after" in _plan_page(client, eastmoor)
    with run_on_commit():
        _post(client, eastmoor, action="subscribe", plan=standard_plan.pk, seats=25)
    renewed = eastmoor.current_subscription
    assert (renewed.status, renewed.starts_on) == ("active", timezone.localdate())
    assert Invoice.objects.get(subscription=renewed).kind == "new"


def test_a_trial_is_followed_by_the_paid_year_without_a_gap_or_an_expiry_email(client, standard_plan, run_on_commit):
    today = timezone.localdate()
    network = NetworkFactory(name="Fenland", slug="fenland", billing_email="accounts@fenland.test")
    trial = SubscriptionFactory(
        network=network, plan=standard_plan, status="trial", starts_on=today - dt.timedelta(days=20), ends_on=today
    )
    admin = UserFactory()
    MembershipFactory(network=network, user=admin, role=Membership.Role.ADMIN)
    client.force_login(admin)
    with run_on_commit():
        _post(client, network, action="subscribe", plan=standard_plan.pk, seats=30)
    paid = network.subscriptions.exclude(pk=trial.pk).get()
    assert (paid.status, paid.starts_on, paid.seats) == ("active", today + dt.timedelta(days=1), 30)
    assert "Then the <strong>Standard</strong> plan with 30 seats" in _plan_page(client, network)
    mail.outbox.clear()
    with run_on_commit():
        billing.sweep(today=today + dt.timedelta(days=1))
    trial.refresh_from_db()
    assert trial.status == "expired"
    assert list(network.subscriptions.live(on=today + dt.timedelta(days=1))) == [paid]
    assert [m.subject for m in mail.outbox if "ended" in m.subject] == []


def test_a_subscription_set_to_stop_can_keep_renewing(as_nadia, northshire):
    subscription = northshire.current_subscription
    billing.subscription_cancel(subscription_id=subscription.pk)
    assert "Keep renewing" in _plan_page(as_nadia, northshire)
    _post(as_nadia, northshire, action="resume")
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is False


def test_another_networks_admin_cannot_change_the_plan(client, walter, northshire, premium_plan):
    client.force_login(walter)
    response = _post(client, northshire, action="confirm", plan=premium_plan.pk, seats=25)
    assert response.status_code == 403
    assert Subscription.objects.get(network=northshire).plan.slug == "standard"
