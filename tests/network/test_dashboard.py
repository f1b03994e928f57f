"""The network admin's dashboard: who may see it, and what it says about the plan, subscription and seats."""

import datetime as dt

import pytest
from django.utils import timezone

from subscriptions import billing
from subscriptions.models import Invitation, Membership, Subscription
from tests.factories import MembershipFactory, NetworkFactory, SubscriptionFactory, UserFactory

from .pages import messages_of, soup, table_rows, text_of


def short(day):
    return f"{day.day} {day:%b %Y}"


def long(day):
    return f"{day.day} {day:%B %Y}"


# --- who may see it ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/network/", "/network/northshire/", "/network/northshire/members/"])
def test_anonymous_visitors_are_sent_to_sign_in(client, northshire, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("who", ["alice", "erin", "nobody", "bob"])
@pytest.mark.parametrize(
    "path",
    [
        "/network/northshire/",
        "/network/northshire/members/",
        "/network/northshire/invoices/",
        "/network/northshire/keys/",
        "/network/northshire/report/",
        "/network/northshire/report/?export=csv",
    ],
)
def test_people_who_do_not_administer_the_network_are_refused(client, request, northshire, who, path):
    client.force_login(request.getfixturevalue(who))
    response = client.get(path)
    assert response.status_code == 403
    assert "This page is for the network admins of Northshire RCC." in response.content.decode()


@pytest.mark.parametrize("who", ["alice", "erin", "nobody"])
def test_the_network_home_refuses_people_who_administer_no_network(client, request, northshire, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/network/")
    assert response.status_code == 403
    assert "These pages are for network admins. Your account does not administer a network." in (
        response.content.decode()
    )


def test_an_admin_of_another_network_is_refused_and_sent_to_their_own(client, northshire, walter):
    client.force_login(walter)
    assert client.get("/network/northshire/").status_code == 403
    assert client.get("/network/northshire/members/").status_code == 403
    response = client.get("/network/")
    assert response.status_code == 302
    assert response["Location"] == "/network/westvale/"


def test_an_unknown_network_is_not_found(as_nadia):
    assert as_nadia.get("/network/no-such-network/").status_code == 404


def test_the_admin_of_one_network_goes_straight_to_it(as_nadia):
    response = as_nadia.get("/network/")
    assert response.status_code == 302
    assert response["Location"] == "/network/northshire/"


def test_the_admin_of_several_networks_chooses_one(client, nadia, westvale):
    MembershipFactory(network=westvale, user=nadia, role=Membership.Role.ADMIN)
    client.force_login(nadia)
    response = client.get("/network/")
    assert response.status_code == 200
    assert table_rows(response, "networks") == [
        ["Northshire RCC", "Standard", "Active", "1"],
        ["Westvale CVS", "Premium", "Active", "1"],
    ]
    links = [a["href"] for a in soup(response).select('[data-testid="networks"] a')]
    assert links == ["/network/northshire/", "/network/westvale/"]


def test_coordinators_choose_from_every_network_and_see_any(client, colin, alice, nadia, bob, eastmoor):
    NetworkFactory(name="Southby Forum", slug="southby")
    client.force_login(colin)
    response = client.get("/network/")
    assert response.status_code == 200
    assert table_rows(response, "networks") == [
        ["Eastmoor VA", "Standard", "Expired", "0"],
        ["Northshire RCC", "Standard", "Active", "2"],
        ["Southby Forum", "–", "No subscription", "0"],
        ["Westvale CVS", "Premium", "Active", "1"],
    ]
    for path in ("/network/northshire/", "/network/eastmoor/", "/network/southby/", "/network/westvale/members/"):
        assert client.get(path).status_code == 200, path
    assert text_of(client.get("/network/southby/"), "notice") == (
        "This network has no subscription, so its members have no access. Subscribe from “Plan and seats”. "
        "Go to Plan and seats"
    )


def test_the_header_links_network_admins_to_their_network(client, nadia, alice):
    client.force_login(nadia)
    assert '<a href="/network/">Your network</a>' in client.get("/subscribe/").content.decode()
    client.force_login(alice)
    assert "Your network" not in client.get("/subscribe/").content.decode()


# --- what it shows -----------------------------------------------------------------------------------------------


def test_dashboard_shows_plan_subscription_and_seats(as_nadia, northshire, alice, nadia):
    subscription = northshire.subscriptions.get()
    plan = subscription.plan
    plan.question_allowance = 50
    plan.save()
    Subscription.objects.filter(pk=subscription.pk).update(questions_used=12)
    subscription.refresh_from_db()
    Invitation.objects.create(
        network=northshire, email="new@example.test", expires_at=timezone.now() + dt.timedelta(days=3)
    )
    Invitation.objects.create(  # expired: holds no seat
        network=northshire, email="old@example.test", expires_at=timezone.now() - dt.timedelta(days=1)
    )

    response = as_nadia.get("/network/northshire/")

    assert response.status_code == 200
    assert text_of(response, "plan") == (
        "Standard plan Answers within 48 working hours Questions this period 12 of 50 used · 38 left 12 of 50 "
        "✓ Embeddable widgets: included ✗ Private feeds of network-only answers: not included "
        "✗ Full answers in widgets: not included Change plan or seats"
    )
    assert text_of(response, "subscription") == (
        f"Subscription Status Active Period {short(subscription.starts_on)} to {short(subscription.ends_on)} "
        f"Renews on {short(subscription.ends_on + dt.timedelta(days=1))} "
        f"Access until {short(subscription.access_until)}"
    )
    assert text_of(response, "seats").startswith(
        "Seats 3 of 25 seats used : 2 members and 1 pending invitation · 22 free"
    )
    meter = soup(response).select_one('[data-testid="seats"] meter')
    assert (meter["min"], meter["max"], meter["value"]) == ("0", "25", "3")
    assert soup(response).select_one('[data-testid="notice"]') is None


def test_unlimited_plans_say_so(as_nadia, northshire):
    Subscription.objects.filter(network=northshire).update(questions_used=7)
    response = as_nadia.get("/network/northshire/")
    assert text_of(response, "allowance") == "7 asked · unlimited"


def test_a_past_due_subscription_warns_of_the_grace_period(as_nadia, northshire):
    today = timezone.localdate()
    subscription = northshire.subscriptions.get()
    renewal = billing.invoice_issue(
        network=northshire,
        subscription=subscription,
        kind="renewal",
        period_start=today - dt.timedelta(days=4),
        period_end=today + dt.timedelta(days=360),
        lines=[("Renewal", 1, 1200)],
        issued_on=today - dt.timedelta(days=34),
    )
    Subscription.objects.filter(pk=subscription.pk).update(
        status=Subscription.Status.PAST_DUE,
        ends_on=today - dt.timedelta(days=5),
        access_until=today + dt.timedelta(days=25),
        renewal_invoice=renewal,
    )
    response = as_nadia.get("/network/northshire/")
    assert text_of(response, "notice") == (
        f"Payment overdue: the renewal invoice ({renewal.display_number}) is unpaid, so the subscription is in its "
        f"grace period. Members keep access until {long(today + dt.timedelta(days=25))}; after that, access stops "
        "until it is paid."
    )
    assert "Status Past due (grace period)" in text_of(response, "subscription")
    assert text_of(response, "renews") == "When the renewal invoice is paid"
    assert f"Renewal invoice: {renewal.display_number} (issued)" in text_of(response, "subscription")


def test_an_expired_subscription_says_access_has_stopped(client, eastmoor):
    admin = UserFactory(email="edith@example.test")
    MembershipFactory(network=eastmoor, user=admin, role=Membership.Role.ADMIN)
    client.force_login(admin)
    subscription = eastmoor.subscriptions.get()
    response = client.get("/network/eastmoor/")
    assert response.status_code == 200
    assert text_of(response, "notice") == (
        f"The subscription has expired: members lost access after {long(subscription.access_until)}. "
        "Renew from “Plan and seats”: access is restored as soon as you subscribe. Go to Plan and seats"
    )
    assert text_of(response, "renews") == "Not renewing"


def test_a_cancelling_subscription_says_it_will_not_renew(as_nadia, northshire):
    subscription = northshire.subscriptions.get()
    billing.subscription_cancel(subscription_id=subscription.pk)
    response = as_nadia.get("/network/northshire/")
    assert text_of(response, "notice") == (
        f"Cancelling: the subscription will not renew. Members keep access until {long(subscription.access_until)}."
    )
    assert text_of(response, "renews") == "Not renewing"
    assert "Status Active Not renewing" in text_of(response, "subscription")


def test_a_trial_says_when_it_ends(client, standard_plan):
    network = NetworkFactory(name="Trialton", slug="trialton")
    today = timezone.localdate()
    SubscriptionFactory(
        network=network,
        plan=standard_plan,
        status=Subscription.Status.TRIAL,
        starts_on=today,
        ends_on=today + dt.timedelta(days=29),
    )
    admin = UserFactory()
    MembershipFactory(network=network, user=admin, role=Membership.Role.ADMIN)
    client.force_login(admin)
    response = client.get("/network/trialton/")
    assert text_of(response, "notice") == (
        f"Free trial: members have access until {long(today + dt.timedelta(days=29))}. "
        "Subscribe from “Plan and seats” to carry on after it. Go to Plan and seats"
    )
    assert text_of(response, "renews") == short(today + dt.timedelta(days=29))


def test_a_network_whose_subscription_lapsed_keeps_its_admin_pages(as_nadia, northshire):
    """Access to answers stops; the admin can still see members and invoices, and pay."""
    today = timezone.localdate()
    Subscription.objects.filter(network=northshire).update(
        status=Subscription.Status.EXPIRED,
        starts_on=today - dt.timedelta(days=400),
        ends_on=today - dt.timedelta(days=40),
        access_until=today - dt.timedelta(days=10),
    )
    for path in ("", "members/", "invoices/", "keys/", "report/"):
        assert as_nadia.get(f"/network/northshire/{path}").status_code == 200, path
    response = as_nadia.post("/network/northshire/members/", {"email": "x@example.test", "role": "adviser"})
    assert response.status_code == 400
    assert text_of(response, "error-summary") == (
        "There is a problem Northshire RCC has no current subscription, so nobody can be invited."
    )
    assert not Invitation.objects.exists()
    assert messages_of(response) == []
