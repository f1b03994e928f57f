"""The coordinators' billing console in the Wagtail admin: networks, subscriptions, invoices, payments, the report."""

import datetime as dt
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from subscriptions import billing
from subscriptions.models import Invitation, Invoice, Network, Payment, PaymentEvent, Plan, Subscription
from tests.factories import MembershipFactory, NetworkFactory, SubscriptionFactory, UserFactory

from .conftest import days

NETWORKS = "/admin/billing/networks/"
INVOICES = "/admin/billing/invoices/"
WEBHOOKS = "/admin/billing/webhooks/"
REPORT = "/admin/billing/report/"


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def page_messages(response):
    return [str(message) for message in response.context["messages"]]


def cells(row):
    return [" ".join(cell.get_text(" ", strip=True).split()) for cell in row.find_all("td")]


def errors(response):
    return [
        " ".join(e.get_text(" ", strip=True).split()) for e in soup(response).select(".error-message, #form-errors p")
    ]


def d(day):
    return f"{day.day} {day:%b %Y}"


@pytest.fixture
def coordinator(client, colin):
    client.force_login(colin)
    return client


@pytest.fixture
def tiny(db):
    return Plan.objects.create(name="Tiny", slug="tiny", annual_price=Decimal("120.00"), included_seats=2)


def counts():
    return (Subscription.objects.count(), Invoice.objects.count(), Payment.objects.count())


# --- The networks overview ------------------------------------------------------------------------------------------


@pytest.fixture
def world(alice, nadia, bob, carol, dales, regional, today):
    """Northshire (active, Standard, two members) owes £500 of £600 overdue and £399.50 not yet due; Westvale
    (Premium) owes nothing; Eastmoor's subscription has expired; Dales has none yet, two members and an invitation
    pending."""
    northshire = Network.objects.get(slug="northshire")
    old = billing.invoice_issue(
        network=northshire,
        subscription=None,
        kind=Invoice.Kind.NEW,
        period_start=today - days(40),
        period_end=today + days(300),
        lines=[("Standard plan", Decimal("1"), Decimal("510.64"))],
        issued_on=today - days(40),
    )  # £600.00 with 17.5 % VAT, due 10 days ago
    billing.payment_record(invoice_id=old.pk, amount=Decimal("100.00"), method="bank_transfer", received_on=today)
    billing.invoice_issue(
        network=northshire,
        subscription=None,
        kind=Invoice.Kind.ADJUSTMENT,
        period_start=today,
        period_end=today + days(300),
        lines=[("More seats", Decimal("2"), Decimal("170.00"))],
    )  # £399.50
    Invitation.objects.create(network=dales, email="new@dales.test", expires_at=timezone.now() + dt.timedelta(days=3))
    Invitation.objects.create(network=dales, email="old@dales.test", expires_at=timezone.now() - dt.timedelta(days=1))
    return {
        "northshire": northshire,
        "westvale": Network.objects.get(slug="westvale"),
        "eastmoor": Network.objects.get(slug="eastmoor"),
        "dales": dales,
    }


def test_the_overview_shows_every_network_with_its_subscription_seats_and_balance(coordinator, world, today):
    response = coordinator.get(NETWORKS)

    assert response.status_code == 200
    rows = {row["id"]: cells(row) for row in soup(response).select("#networks tbody tr")}
    northshire = world["northshire"].subscriptions.get()
    assert rows[f"network-{world['northshire'].pk}"] == [
        "Northshire RCC",
        "Standard",
        "Active",
        "2 / 25",
        d(northshire.ends_on),
        d(northshire.access_until),
        "0 / unlimited",
        "£899.50 1 overdue Invoices",  # 600 - 100 + 399.50
        "Change plan or seats Cancel…",
    ]
    eastmoor = world["eastmoor"].subscriptions.get()
    assert rows[f"network-{world['eastmoor'].pk}"] == [
        "Eastmoor VA",
        "Standard",
        "Expired",
        "1 / 25",
        d(eastmoor.ends_on),
        d(eastmoor.access_until),
        "0 / unlimited",
        "£0.00 Invoices",
        "Start a subscription",
    ]
    assert rows[f"network-{world['dales'].pk}"] == [
        "Dales Rural Network accounts@dales.test",
        "—",
        "No subscription",
        "3 / —",  # two members and one pending invitation (the other has expired)
        "—",
        "—",
        "—",
        "£0.00 Invoices",
        "Start a subscription",
    ]
    assert [row[0] for row in rows.values()] == [
        "Dales Rural Network accounts@dales.test",
        "Eastmoor VA",
        "Northshire RCC",
        "Westvale CVS",
    ]


def test_the_overview_shows_allowances_trials_and_subscriptions_that_will_not_renew(
    coordinator, dales, regional, today
):
    subscription = billing.subscription_start(network=dales, plan=regional, trial=True, starts_on=today)
    Subscription.objects.filter(pk=subscription.pk).update(questions_used=7, cancel_at_period_end=True)

    row = cells(soup(coordinator.get(NETWORKS)).select_one(f"#network-{dales.pk}"))

    assert row[1:4] == ["Regional", "Trial will not renew", "2 / 10"]
    assert row[6] == "7 / 60"


def test_the_overview_runs_a_constant_number_of_queries(coordinator, world, regional, today):
    coordinator.get(NETWORKS)  # warm up (settings, site)
    with CaptureQueriesContext(connection) as few:
        coordinator.get(NETWORKS)
    for n in range(6):
        network = NetworkFactory()
        subscription = SubscriptionFactory(network=network, plan=regional)
        SubscriptionFactory(
            network=network,
            plan=regional,
            status=Subscription.Status.EXPIRED,
            starts_on=today - days(800),
            ends_on=today - days(436),
        )
        MembershipFactory(network=network)
        Invitation.objects.create(network=network, email=f"x{n}@example.test", expires_at=timezone.now() + days(2))
        billing.invoice_issue(
            network=network,
            subscription=subscription,
            kind=Invoice.Kind.NEW,
            period_start=today,
            period_end=today,
            lines=[("x", Decimal("1"), Decimal("10"))],
        )
    with CaptureQueriesContext(connection) as many:
        response = coordinator.get(NETWORKS)
    assert len(soup(response).select("#networks tbody tr")) == 10
    assert len(many) == len(few)


# --- Starting a subscription ----------------------------------------------------------------------------------------


def start_url(network):
    return reverse("billing_admin:start", args=[network.pk])


def test_starting_a_paid_subscription_issues_the_invoice_and_shows_it(coordinator, dales, regional, today):
    response = coordinator.post(
        start_url(dales), {"plan": regional.pk, "seats": "13", "starts_on": today.isoformat(), "kind": "paid"}
    )

    subscription = dales.subscriptions.get()
    invoice = subscription.invoices.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing_admin:invoice", args=[invoice.pk])
    assert (subscription.plan, subscription.seats, subscription.status) == (regional, 13, "active")
    page = coordinator.get(response["Location"])
    assert page_messages(page) == [
        f"Dales Rural Network subscribes to the Regional plan with 13 seats, {today:%d %b %Y} to "
        f"{subscription.ends_on:%d %b %Y}. Invoice AE-000001 for £1,178.53 has been issued and sent."
    ]
    assert [cells(row) for row in soup(page).select("#lines tbody tr")] == [
        ["Regional plan: 10 seats, answers within 48 working hours", "1", "£961.00", "£961.00"],
        ["Extra seats", "3", "£14.00", "£42.00"],
    ]
    assert soup(page).select_one("#invoice-total").get_text(strip=True) == "£1,178.53"


def test_starting_a_trial_issues_no_invoice(coordinator, dales, regional, today):
    response = coordinator.post(
        start_url(dales), {"plan": regional.pk, "seats": "", "starts_on": today.isoformat(), "kind": "trial"}
    )

    assert (response.status_code, response["Location"]) == (302, NETWORKS)
    subscription = dales.subscriptions.get()
    assert (subscription.status, subscription.seats, subscription.ends_on) == ("trial", 10, today + days(13))
    assert not Invoice.objects.exists()
    assert page_messages(coordinator.get(NETWORKS)) == [
        f"Dales Rural Network has a free trial of the Regional plan with 10 seats, {today:%d %b %Y} to "
        f"{today + days(13):%d %b %Y}."
    ]


def test_the_start_form_offers_the_plans_and_shows_what_is_in_use(coordinator, dales, regional, national):
    page = soup(coordinator.get(start_url(dales)))
    assert [option.get_text() for option in page.select("#id_plan option")] == [
        "Choose a plan…",
        "Regional: £961.00 a year for 10 seats, extra seats £14.00",
        "National: £2,400.00 a year for 20 seats, extra seats £20.00",
    ]
    assert "Seats in use 2 (members and pending invitations)" in " ".join(
        page.select_one(".billing-summary").stripped_strings
    )


START_CASES = [
    ("no plan", {"plan": ""}, ["Choose a plan."]),
    ("unknown plan", {"plan": "99999"}, ["Choose one of the plans listed; that plan does not exist."]),
    ("junk plan", {"plan": "abc"}, ["Choose one of the plans listed; that plan does not exist."]),
    ("seats not a number", {"seats": "abc"}, ["Enter the number of seats as a whole number, such as 30."]),
    ("negative seats", {"seats": "-1"}, ["Enter at least 1 seat."]),
    ("too many seats", {"seats": "1000000"}, ["Enter at most 100,000 seats."]),
    ("below included", {"seats": "9"}, ["The Regional plan includes 10 seats: choose at least 10."]),
    (
        "below in use",
        {"plan": "tiny", "seats": "2"},
        [
            "3 seats are in use (members and pending invitations): choose at least 3, or ask the network to remove "
            "members or withdraw invitations first."
        ],
    ),
    ("no such date", {"starts_on": "2026-02-30"}, ["Enter a real date, as YYYY-MM-DD."]),
    ("no date", {"starts_on": ""}, ["Enter a date."]),
    ("unknown kind", {"kind": "lifetime"}, ["Choose trial or paid."]),
    (
        "no trial on the plan",
        {"plan": "national", "kind": "trial", "seats": "20"},
        ["The National plan has no free trial: choose a paid year."],
    ),
    ("too far ahead", {"starts_on": "+400"}, ["A subscription can start at most a year from today."]),
]


@pytest.mark.parametrize(("name", "change", "expected"), START_CASES, ids=[case[0] for case in START_CASES])
def test_the_start_form_refuses_bad_input_and_starts_nothing(
    coordinator, dales, regional, national, tiny, today, name, change, expected
):
    Invitation.objects.create(network=dales, email="new@dales.test", expires_at=timezone.now() + days(3))
    plans = {"tiny": tiny.pk, "national": national.pk}
    data = {"plan": regional.pk, "seats": "13", "starts_on": today.isoformat(), "kind": "paid"}
    data.update({key: plans.get(value, value) for key, value in change.items()})
    if data["starts_on"].startswith("+"):
        data["starts_on"] = (today + days(int(data["starts_on"][1:]))).isoformat()

    response = coordinator.post(start_url(dales), data)

    assert response.status_code == 200
    assert errors(response) == expected
    assert page_messages(response) == ["The subscription was not started: correct the errors below."]
    assert counts() == (0, 0, 0)


def test_a_start_that_would_already_be_over_is_refused(coordinator, dales, regional, today):
    start = today - days(400)
    response = coordinator.post(
        start_url(dales), {"plan": regional.pk, "seats": "10", "starts_on": start.isoformat(), "kind": "paid"}
    )
    end = billing._year_after(start)
    assert errors(response) == [
        f"A subscription starting on {start:%d %b %Y} would have ended on {end:%d %b %Y}: choose a later start."
    ]
    assert counts() == (0, 0, 0)


def test_starting_a_second_subscription_is_refused(coordinator, northshire, regional, today):
    before = counts()
    response = coordinator.post(
        start_url(northshire), {"plan": regional.pk, "seats": "25", "starts_on": today.isoformat(), "kind": "paid"}
    )
    assert response.status_code == 200
    assert errors(response) == ["Northshire RCC already has a current subscription."]
    assert page_messages(response) == [
        "The subscription was not started: Northshire RCC already has a current subscription."
    ]
    assert counts() == before


def test_an_unknown_network_is_not_found(coordinator, db):
    assert coordinator.get(reverse("billing_admin:start", args=[99999])).status_code == 404
    assert coordinator.get(reverse("billing_admin:change", args=[99999])).status_code == 404
    assert coordinator.get(reverse("billing_admin:invoice", args=[99999])).status_code == 404


# --- Changing and cancelling -----------------------------------------------------------------------------------------


@pytest.fixture
def dales_subscription(dales, regional, today):
    """Day 101 of 365, 13 seats on Regional."""
    return SubscriptionFactory(
        network=dales, plan=regional, seats=13, starts_on=today - days(100), ends_on=today + days(264)
    )


def change_url(subscription):
    return reverse("billing_admin:change", args=[subscription.pk])


def test_more_seats_show_the_pro_rata_invoice_issued(coordinator, dales_subscription, regional, today):
    page = coordinator.get(change_url(dales_subscription))
    assert "(265 days of 365)" in " ".join(soup(page).get_text().split())

    response = coordinator.post(change_url(dales_subscription), {"plan": regional.pk, "seats": "18"})

    invoice = Invoice.objects.get()
    assert response["Location"] == reverse("billing_admin:invoice", args=[invoice.pk])
    page = coordinator.get(response["Location"])
    assert page_messages(page) == [
        "Dales Rural Network now has the Regional plan with 18 seats. Adjustment invoice AE-000001 for £59.71 has "
        "been issued."
    ]
    assert [cells(row) for row in soup(page).select("#lines tbody tr")] == [
        [
            f"Change to Regional with 18 seats, {today:%d %b %Y} to {dales_subscription.ends_on:%d %b %Y} "
            "(265 days of 365)",
            "1",
            "£50.82",
            "£50.82",
        ]
    ]
    dales_subscription.refresh_from_db()
    assert dales_subscription.seats == 18


def test_fewer_seats_change_without_an_invoice(coordinator, dales_subscription, regional):
    response = coordinator.post(change_url(dales_subscription), {"plan": regional.pk, "seats": "11"})

    assert (response.status_code, response["Location"]) == (302, NETWORKS)
    assert page_messages(coordinator.get(NETWORKS)) == [
        "Dales Rural Network now has the Regional plan with 11 seats. No adjustment invoice: the change costs "
        "nothing more this period."
    ]
    assert not Invoice.objects.exists()


CHANGE_CASES = [
    ("below included", {"seats": "9"}, ["The Regional plan includes 10 seats: choose at least 10."]),
    (
        "below in use",
        {"seats": "11", "members": 10},
        [
            "12 seats are in use (members and pending invitations): choose at least 12, or ask the network to remove "
            "members or withdraw invitations first."
        ],
    ),
    (
        "unchanged",
        {"seats": "13"},
        ["That is the plan and seats the network already has (Regional, 13 seats): nothing to change."],
    ),
    ("unknown plan", {"plan": "424242"}, ["Choose one of the plans listed; that plan does not exist."]),
    ("no seats", {"seats": ""}, ["This field is required."]),
    ("seats junk", {"seats": "ten"}, ["Enter the number of seats as a whole number, such as 30."]),
]


@pytest.mark.parametrize(("name", "change", "expected"), CHANGE_CASES, ids=[case[0] for case in CHANGE_CASES])
def test_the_change_form_refuses_bad_input_and_changes_nothing(
    coordinator, dales_subscription, dales, regional, name, change, expected
):
    for _ in range(change.pop("members", 0)):
        MembershipFactory(network=dales)
    data = {"plan": regional.pk, "seats": "13", **change}

    response = coordinator.post(change_url(dales_subscription), data)

    assert response.status_code == 200
    assert errors(response) == expected
    assert page_messages(response) == ["Nothing was changed: correct the errors below."]
    dales_subscription.refresh_from_db()
    assert (dales_subscription.plan, dales_subscription.seats) == (regional, 13)
    assert not Invoice.objects.exists()


def test_an_ended_subscription_cannot_be_changed(coordinator, eastmoor, regional):
    subscription = eastmoor.subscriptions.get()
    response = coordinator.get(change_url(subscription))
    assert (response.status_code, response["Location"]) == (302, NETWORKS)
    assert page_messages(coordinator.get(NETWORKS)) == [
        "That subscription of Eastmoor VA is not current, so it cannot be changed."
    ]
    response = coordinator.post(change_url(subscription), {"plan": regional.pk, "seats": "30"})
    assert page_messages(response) == ["Nothing was changed: Only a current subscription can be changed."]
    subscription.refresh_from_db()
    assert subscription.plan.slug == "standard"


def cancel_url(subscription):
    return reverse("billing_admin:cancel", args=[subscription.pk])


def test_cancelling_at_the_period_end_voids_the_renewal_invoice(coordinator, dales, regional, today):
    subscription = SubscriptionFactory(
        network=dales, plan=regional, starts_on=today - days(345), ends_on=today + days(19)
    )
    billing.sweep(today=today)
    renewal = Invoice.objects.get()

    response = coordinator.post(cancel_url(subscription), {"when": "period_end"})

    assert (response.status_code, response["Location"]) == (302, NETWORKS)
    assert page_messages(coordinator.get(NETWORKS)) == [
        f"Dales Rural Network's subscription will not renew: members keep access until "
        f"{today + days(19):%d %b %Y}. Renewal invoice AE-000001 was voided."
    ]
    subscription.refresh_from_db()
    renewal.refresh_from_db()
    assert (subscription.status, subscription.cancel_at_period_end, renewal.status) == ("active", True, "void")


def test_cancelling_now_ends_the_subscription(coordinator, northshire, alice):
    subscription = northshire.subscriptions.get()
    response = coordinator.post(cancel_url(subscription), {"when": "now"})
    assert page_messages(coordinator.get(NETWORKS)) == [
        "Northshire RCC's subscription is cancelled: members' access has ended."
    ]
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.status == "cancelled"


@pytest.mark.parametrize(
    ("when", "message"),
    [("", "Choose when the subscription ends."), ("tomorrow", "Choose at the end of the period, or now.")],
)
def test_the_cancel_form_needs_a_choice(coordinator, northshire, when, message):
    subscription = northshire.subscriptions.get()
    response = coordinator.post(cancel_url(subscription), {"when": when})
    assert response.status_code == 200
    assert errors(response) == [message]
    subscription.refresh_from_db()
    assert (subscription.status, subscription.cancel_at_period_end) == ("active", False)


def test_an_ended_subscription_cannot_be_cancelled_again(coordinator, eastmoor):
    subscription = eastmoor.subscriptions.get()
    assert coordinator.get(cancel_url(subscription))["Location"] == NETWORKS
    assert page_messages(coordinator.get(NETWORKS)) == ["That subscription of Eastmoor VA has already ended."]
    response = coordinator.post(cancel_url(subscription), {"when": "now"})
    assert page_messages(coordinator.get(response["Location"])) == [
        "Nothing was changed: That subscription has already ended."
    ]


# --- Invoices ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def ledger(northshire, westvale, dales, today, policy):
    """Four invoices: Northshire's overdue (part paid), Northshire's current, Westvale's paid, Dales' void."""

    def issue(network, amount, issued_on, kind=Invoice.Kind.NEW):
        return billing.invoice_issue(
            network=network,
            subscription=None,
            kind=kind,
            period_start=issued_on,
            period_end=issued_on + days(364),
            lines=[("Standard plan", Decimal("1"), Decimal(amount)), ("Extra seats", Decimal("2"), Decimal("10.00"))],
            issued_on=issued_on,
        )

    overdue = issue(northshire, "1000.00", today - days(45))  # 1020 + 178.50 = £1,198.50
    billing.payment_record(invoice_id=overdue.pk, amount=Decimal("198.50"), method="bank_transfer", received_on=today)
    current = issue(northshire, "80.00", today, kind=Invoice.Kind.ADJUSTMENT)  # 100 + 17.50 = £117.50
    paid = issue(westvale, "2380.00", today - days(5), kind=Invoice.Kind.RENEWAL)  # 2400 + 420 = £2,820.00
    billing.payment_record(invoice_id=paid.pk, amount=Decimal("2820.00"), method="other", received_on=today)
    void = issue(dales, "380.00", today - days(2))  # £470.00
    billing.invoice_void(invoice_id=void.pk)
    return {"overdue": overdue, "current": current, "paid": paid, "void": void}


def listed(response):
    return [cells(row) for row in soup(response).select("table.listing tbody tr")]


def test_the_invoice_list_shows_numbers_totals_payments_and_balances(coordinator, ledger, today):
    rows = listed(coordinator.get(INVOICES))
    dates = [(d(today - days(n)), d(today - days(n) + days(30))) for n in (2, 5, 0, 45)]
    assert rows == [
        ["AE-000004", "Dales Rural Network", "New subscription", "Void", *dates[0], "£470.00", "£0.00", "—"],
        ["AE-000003", "Westvale CVS", "Renewal", "Paid", *dates[1], "£2,820.00", "£2,820.00", "£0.00"],
        ["AE-000002", "Northshire RCC", "Change of plan or seats", "Issued", *dates[2], "£117.50", "£0.00", "£117.50"],
        ["AE-000001", "Northshire RCC", "New subscription", "Issued, overdue", *dates[3], "£1,198.50", "£198.50",
         "£1,000.00"],
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ("status=paid", ["AE-000003"]),
        ("status=issued", ["AE-000002", "AE-000001"]),
        ("status=void", ["AE-000004"]),
        ("overdue=on", ["AE-000001"]),
        ("network=NORTHSHIRE", ["AE-000002", "AE-000001"]),
        ("network=NORTHSHIRE&status=paid", []),
        ("network=WESTVALE&overdue=on", []),
    ],
)
def test_the_invoice_list_filters(coordinator, ledger, northshire, westvale, query, numbers):
    query = query.replace("NORTHSHIRE", str(northshire.pk)).replace("WESTVALE", str(westvale.pk))
    response = coordinator.get(f"{INVOICES}?{query}")
    assert [row[0] for row in listed(response)] == numbers
    assert page_messages(response) == []
    if not numbers:
        assert "No invoices match your query." in response.content.decode()


@pytest.mark.parametrize("query", ["status=owing", "network=99999", "network=abc"])
def test_filters_it_does_not_understand_are_ignored_with_a_message(coordinator, ledger, query):
    response = coordinator.get(f"{INVOICES}?{query}")
    assert len(listed(response)) == 4
    (message,) = page_messages(response)
    assert message.startswith("Some filters were not understood and are ignored: ")


def test_the_invoice_list_pages_and_keeps_its_filters(coordinator, northshire, policy, today):
    for _ in range(55):
        billing.invoice_issue(
            network=northshire,
            subscription=None,
            kind=Invoice.Kind.NEW,
            period_start=today,
            period_end=today,
            lines=[("x", Decimal("1"), Decimal("1.00"))],
        )
    first = coordinator.get(f"{INVOICES}?status=issued")
    assert len(listed(first)) == 50
    link = soup(first).select_one('nav[aria-label="Pagination"] a[href*="p=2"]')
    assert link["href"] == f"{INVOICES}?status=issued&p=2"
    second = coordinator.get(link["href"])
    assert [row[0] for row in listed(second)] == [f"AE-{n:06d}" for n in range(5, 0, -1)]


def test_the_invoice_list_runs_a_constant_number_of_queries(coordinator, ledger, northshire, today):
    coordinator.get(INVOICES)
    with CaptureQueriesContext(connection) as few:
        coordinator.get(INVOICES)
    for _ in range(10):
        invoice = billing.invoice_issue(
            network=NetworkFactory(),
            subscription=None,
            kind=Invoice.Kind.NEW,
            period_start=today,
            period_end=today,
            lines=[("x", Decimal("1"), Decimal("10.00"))],
        )
        billing.payment_record(invoice_id=invoice.pk, amount=Decimal("1.00"), method="other", received_on=today)
    with CaptureQueriesContext(connection) as many:
        response = coordinator.get(INVOICES)
    assert len(listed(response)) == 14
    assert len(many) == len(few)


def invoice_url(invoice, view="invoice"):
    return reverse(f"billing_admin:{view}", args=[invoice.pk])


def test_an_invoice_shows_its_lines_totals_and_payments(coordinator, ledger, colin, today):
    page = soup(coordinator.get(invoice_url(ledger["overdue"])))

    assert page.select_one("title").get_text().startswith("Invoice AE-000001")
    assert [cells(row) for row in page.select("#lines tbody tr")] == [
        ["Standard plan", "1", "£1,000.00", "£1,000.00"],
        ["Extra seats", "2", "£10.00", "£20.00"],
    ]
    assert [" ".join(row.stripped_strings) for row in page.select("#lines tfoot tr")] == [
        "Subtotal £1,020.00",
        "VAT at 17.50% £178.50",
        "Total £1,198.50",
        "Paid £198.50",
        "Balance £1,000.00",
    ]
    (payment,) = [cells(row) for row in page.select("#payments tbody tr")]
    assert payment[:4] == [d(today), "£198.50", "Bank transfer", "—"]
    summary = " ".join(page.select_one("#invoice-summary").stripped_strings)
    assert "Status Issued — overdue" in summary
    assert "Billed to Northshire RCC" in summary
    assert page.select_one("#record-payment") is not None
    assert page.select_one("#void") is None  # it has a payment


def test_the_printable_invoice_has_the_seller_the_bank_details_and_print_css(coordinator, ledger, today):
    response = coordinator.get(invoice_url(ledger["current"], "invoice_print"))
    body = response.content.decode()
    page = soup(response)

    assert response.status_code == 200
    assert "@media print" in body
    assert page.select_one("title").get_text() == "Invoice AE-000002 — Ask an Expert"
    text = " ".join(page.stripped_strings)
    assert "From Ask an Expert 1 Market Square York" in text
    assert "To Northshire RCC" in text
    assert "Standard plan 1 £80.00 £80.00 Extra seats 2 £10.00 £20.00" in text
    assert "Subtotal £100.00 VAT at 17.50% £17.50 Total £117.50" in text
    (terms,) = [p for p in page.select("p") if "Please pay by" in p.get_text()]
    assert " ".join(terms.get_text().split()) == f"Please pay by {(today + days(30)).day} {today + days(30):%B %Y}."
    assert "How to pay By bank transfer, quoting AE-000002 as the reference: Account name: Ask an Expert" in text

    paid = " ".join(soup(coordinator.get(invoice_url(ledger["paid"], "invoice_print"))).stripped_strings)
    assert f"Paid {d(today)}" in paid
    assert "Please pay by" not in paid


def test_an_invoice_downloads_as_csv(coordinator, ledger):
    response = coordinator.get(invoice_url(ledger["overdue"], "invoice_csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="AE-000001.csv"'
    assert response.content.decode().splitlines() == [
        "invoice,network,description,quantity,unit_price,amount",
        "AE-000001,Northshire RCC,Standard plan,1,1000.00,1000.00",
        "AE-000001,Northshire RCC,Extra seats,2,10.00,20.00",
        "AE-000001,Northshire RCC,Subtotal,,,1020.00",
        "AE-000001,Northshire RCC,VAT at 17.5%,,,178.50",
        "AE-000001,Northshire RCC,Total,,,1198.50",
        "AE-000001,Northshire RCC,Paid,,,198.50",
        "AE-000001,Northshire RCC,Balance,,,1000.00",
    ]


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(coordinator, policy, today):
    network = NetworkFactory(name="=HYPERLINK(evil)")
    invoice = billing.invoice_issue(
        network=network,
        subscription=None,
        kind=Invoice.Kind.NEW,
        period_start=today,
        period_end=today,
        lines=[("@SUM(A1)", Decimal("1"), Decimal("1.00"))],
    )
    lines = coordinator.get(invoice_url(invoice, "invoice_csv")).content.decode().splitlines()
    assert lines[1] == "AE-000001,'=HYPERLINK(evil),'@SUM(A1),1,1.00,1.00"


# --- Recording a payment -----------------------------------------------------------------------------------------


def pay_data(today, **change):
    return {
        "amount": "100.00",
        "method": "bank_transfer",
        "reference": "BACS 123",
        "received_on": today.isoformat(),
        **change,
    }


def test_recording_payments_until_the_invoice_is_paid(coordinator, ledger, colin, today):
    invoice = ledger["overdue"]  # £1,000.00 still owed

    response = coordinator.post(invoice_url(invoice), pay_data(today, amount="£600.50", reference="  BACS 123 "))

    assert (response.status_code, response["Location"]) == (302, invoice_url(invoice))
    page = coordinator.get(invoice_url(invoice))
    assert page_messages(page) == ["£600.50 recorded: £399.50 is still owed on AE-000001."]
    payment = Payment.objects.get(invoice=invoice, amount=Decimal("600.50"))
    assert (payment.method, payment.reference, payment.recorded_by, payment.received_on) == (
        "bank_transfer",
        "BACS 123",
        colin,
        today,
    )
    assert soup(page).select_one("#id_amount")["value"] == "399.50"

    response = coordinator.post(invoice_url(invoice), pay_data(today, amount="1,000", method="other"))
    assert errors(coordinator.get(invoice_url(invoice))) == []
    response = coordinator.post(invoice_url(invoice), pay_data(today, amount="399.50", method="other"))
    page = coordinator.get(response["Location"])
    assert page_messages(page) == [
        "£399.50 recorded: AE-000001 is paid in full and Northshire RCC has been sent a receipt."
    ]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_on) == ("paid", today)
    assert soup(page).select_one("#record-payment") is None


def test_a_pound_sign_and_thousands_commas_are_understood(coordinator, ledger, today):
    invoice = ledger["overdue"]
    coordinator.post(invoice_url(invoice), pay_data(today, amount="£1,000.00"))
    invoice.refresh_from_db()
    assert invoice.status == "paid"


PAYMENT_CASES = [
    ("amount", "abc", "Enter an amount in pounds and pence, such as 120.50."),
    ("amount", "-5", "Enter an amount more than £0.00: refunds are not recorded here."),
    ("amount", "0", "Enter an amount more than £0.00."),
    ("amount", "0.00", "Enter an amount more than £0.00."),
    ("amount", "1e9", "Enter an amount in pounds and pence, such as 120.50."),
    ("amount", "10.001", "Amounts are in pounds and pence: use at most two decimal places, such as 10.25."),
    ("amount", "1,00", "Enter an amount in pounds and pence, such as 120.50."),
    ("amount", "NaN", "Enter an amount in pounds and pence, such as 120.50."),
    ("amount", "", "Enter the amount received."),
    ("amount", "1000.01", "That is more than the £1,000.00 still owed on AE-000001."),
    ("amount", "999999999999", "That amount is far too large."),
    ("method", "card", "Choose bank transfer or other (card payments arrive from the payment provider)."),
    ("method", "", "Choose how it was paid."),
    ("received_on", "+1", "A payment cannot be received in the future."),
    ("received_on", "-46", "AE-000001 was issued on {issued}: a payment for it cannot have been received before that."),
    ("received_on", "2026-13-01", "Enter a real date, as YYYY-MM-DD."),
    ("reference", "r" * 201, "Ensure this value has at most 200 characters (it has 201)."),
]


@pytest.mark.parametrize(
    ("field", "value", "message"), PAYMENT_CASES, ids=[f"{c[0]}={c[1][:12]!r}" for c in PAYMENT_CASES]
)
def test_bad_payments_are_refused_with_a_message_and_nothing_is_recorded(
    coordinator, ledger, today, field, value, message
):
    invoice = ledger["overdue"]
    if field == "received_on" and value[0] in "+-":
        value = (today + days(int(value))).isoformat()
    before = Payment.objects.count()

    response = coordinator.post(invoice_url(invoice), pay_data(today, **{field: value}))

    assert response.status_code == 200
    assert errors(response) == [message.format(issued=f"{invoice.issued_on:%d %b %Y}")]
    assert page_messages(response) == ["No payment was recorded: correct the errors below."]
    assert Payment.objects.count() == before
    invoice.refresh_from_db()
    assert invoice.status == "issued"


@pytest.mark.parametrize(
    ("which", "message"),
    [("void", "AE-000004 is void: nothing can be paid on it."), ("paid", "AE-000003 is already paid in full.")],
)
def test_void_and_paid_invoices_take_no_payment(coordinator, ledger, today, which, message):
    before = Payment.objects.count()
    response = coordinator.post(
        invoice_url(ledger[which]), pay_data(today, amount="1.00", received_on=today.isoformat())
    )
    assert response.status_code == 200
    assert errors(response) == [message]
    assert Payment.objects.count() == before


def test_voiding_an_unpaid_invoice(coordinator, ledger):
    invoice = ledger["current"]
    page = soup(coordinator.get(invoice_url(invoice)))
    assert page.select_one("#void button").get_text() == "Void AE-000002"

    response = coordinator.post(invoice_url(invoice, "invoice_void"))

    assert response["Location"] == invoice_url(invoice)
    assert page_messages(coordinator.get(invoice_url(invoice))) == ["AE-000002 is void: nothing is owed on it."]
    invoice.refresh_from_db()
    assert invoice.status == "void"


@pytest.mark.parametrize("which", ["overdue", "paid", "void"])
def test_invoices_with_payments_or_already_void_cannot_be_voided(coordinator, ledger, which):
    invoice = ledger[which]
    invoice.refresh_from_db()
    status = invoice.status
    response = coordinator.post(invoice_url(invoice, "invoice_void"))
    assert page_messages(coordinator.get(response["Location"])) == [
        f"{invoice.display_number} was not voided: Only an unpaid invoice with no payments can be voided."
    ]
    invoice.refresh_from_db()
    assert invoice.status == status


def test_voiding_is_post_only(coordinator, ledger):
    assert coordinator.get(invoice_url(ledger["current"], "invoice_void")).status_code == 405


def test_an_invoice_page_runs_a_constant_number_of_queries(coordinator, ledger, today):
    invoice = ledger["overdue"]
    coordinator.get(invoice_url(invoice))
    with CaptureQueriesContext(connection) as few:
        coordinator.get(invoice_url(invoice))
    for _ in range(5):
        billing.payment_record(invoice_id=invoice.pk, amount=Decimal("1.00"), method="other", received_on=today)
    with CaptureQueriesContext(connection) as many:
        response = coordinator.get(invoice_url(invoice))
    assert len(soup(response).select("#payments tbody tr")) == 6
    assert len(many) == len(few)


# --- Webhook deliveries -----------------------------------------------------------------------------------------------


def test_webhook_deliveries_are_listed_for_support(coordinator, db):
    PaymentEvent.objects.create(
        provider="signed-json",
        event_id="evt_1",
        kind="payment.succeeded",
        payload={"id": "evt_1"},
        outcome="recorded £10.00 against AE-000001",
        received_at=timezone.now() - dt.timedelta(hours=1),
    )
    PaymentEvent.objects.create(
        provider="signed-json",
        event_id="evt_2",
        kind="payment.succeeded",
        payload={"id": "evt_2", "data": {"invoice": "AE-000099"}},
        outcome="not applied: no invoice AE-000099",
    )

    page = soup(coordinator.get(WEBHOOKS))

    rows = [cells(row) for row in page.select("#events tbody tr")]
    assert [row[1:4] for row in rows] == [
        ["signed-json", "evt_2", "payment.succeeded"],
        ["signed-json", "evt_1", "payment.succeeded"],
    ]
    assert rows[0][4].startswith("not applied: no invoice AE-000099 Payload {")
    assert '"invoice": "AE-000099"' in page.select_one("#events pre").get_text()

    found = soup(coordinator.get(f"{WEBHOOKS}?q=not+applied"))
    assert [cells(row)[2] for row in found.select("#events tbody tr")] == ["evt_2"]
    nothing = soup(coordinator.get(f"{WEBHOOKS}?q=zzz"))
    assert nothing.select_one("#no-events").get_text(strip=True) == "No webhook deliveries match “zzz”."


def test_the_webhook_list_runs_a_constant_number_of_queries(coordinator, db):
    PaymentEvent.objects.create(provider="signed-json", event_id="first", kind="x", payload={}, outcome="ignored")
    coordinator.get(WEBHOOKS)
    with CaptureQueriesContext(connection) as few:
        coordinator.get(WEBHOOKS)
    for n in range(8):
        PaymentEvent.objects.create(provider="signed-json", event_id=f"e{n}", kind="x", payload={}, outcome="ignored")
    with CaptureQueriesContext(connection) as many:
        response = coordinator.get(WEBHOOKS)
    assert len(soup(response).select("#events tbody tr")) == 9
    assert len(many) == len(few)


# --- The billing report ---------------------------------------------------------------------------------------------


def month_start(day, back=0):
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


@pytest.fixture
def months(northshire, westvale, policy, today):
    """Last month: £1,175.00 invoiced to Northshire, £500 paid this month. This month: £235.00 to Westvale, paid;
    £117.50 to Northshire, voided."""
    this, last = month_start(today), month_start(today, 1)

    def issue(network, amount, issued_on):
        return billing.invoice_issue(
            network=network,
            subscription=None,
            kind=Invoice.Kind.NEW,
            period_start=issued_on,
            period_end=issued_on + days(364),
            lines=[("Plan", Decimal("1"), Decimal(amount))],
            issued_on=issued_on,
        )

    older = issue(northshire, "1000.00", last)
    billing.payment_record(invoice_id=older.pk, amount=Decimal("500.00"), method="other", received_on=this)
    newer = issue(westvale, "200.00", this)
    billing.payment_record(invoice_id=newer.pk, amount=Decimal("235.00"), method="other", received_on=this)
    billing.invoice_void(invoice_id=issue(northshire, "100.00", this).pk)
    return {"this": this, "last": last, "older": older}


def test_the_report_shows_invoiced_received_and_outstanding_by_month(coordinator, months, today):
    this, last = months["this"], months["last"]
    response = coordinator.get(f"{REPORT}?from={last:%Y-%m}&to={this:%Y-%m}")

    page = soup(response)
    assert [cells(row) for row in page.select("#months tbody tr")] == [
        [f"{last:%B %Y}", "£1,175.00", "£0.00", "£675.00"],
        [f"{this:%B %Y}", "£235.00", "£735.00", "£0.00"],
    ]
    assert [" ".join(cell.stripped_strings) for cell in page.select("#months tfoot th")] == [
        "All months",
        "£1,410.00",
        "£735.00",
        "£675.00",
    ]
    svg = page.select_one("figure svg")
    assert svg is not None
    assert page.select_one("figure script") is None
    assert "Invoiced, received and outstanding by month (£)" in svg.get_text()


def test_the_report_downloads_as_csv(coordinator, months):
    this, last = months["this"], months["last"]
    response = coordinator.get(f"{REPORT}?from={last:%Y-%m}&to={this:%Y-%m}&export=csv")

    assert response["Content-Disposition"] == f'attachment; filename="billing-{last:%Y-%m}-to-{this:%Y-%m}.csv"'
    assert response.content.decode().splitlines() == [
        "month,invoiced,received,outstanding",
        f"{last:%Y-%m},1175.00,0.00,675.00",
        f"{this:%Y-%m},235.00,735.00,0.00",
    ]


def test_the_report_defaults_to_twelve_months_and_lists_overdue_invoices(coordinator, months, today):
    late = billing.invoice_issue(
        network=months["older"].network,
        subscription=None,
        kind=Invoice.Kind.RENEWAL,
        period_start=today,
        period_end=today,
        lines=[("Late", Decimal("1"), Decimal("40.00"))],
        issued_on=today - days(100),
    )
    page = soup(coordinator.get(REPORT))

    assert len(page.select("#months tbody tr")) == 12
    assert cells(page.select("#months tbody tr")[-1])[0] == f"{months['this']:%B %Y}"
    older = months["older"]  # issued on the first of last month: overdue unless today is early in the month
    expected = [["AE-000004", "Northshire RCC", "Renewal", d(late.due_on), "70", "0", "£47.00", "£47.00"]]
    if older.due_on < today:
        days_late = str((today - older.due_on).days)
        expected.append(
            ["AE-000001", "Northshire RCC", "New subscription", d(older.due_on), days_late, "0", "£1,175.00", "£675.00"]
        )
    assert [cells(row) for row in page.select("#overdue tbody tr")] == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13&to=2026-12", "Months are written YYYY-MM, such as 2026-01: showing the last 12 months instead."),
        ("from=last year", "Months are written YYYY-MM, such as 2026-01: showing the last 12 months instead."),
        ("from=2026-06&to=2026-01", "The first month is after the last: showing the last 12 months instead."),
        ("from=2010-01&to=2026-01", "Choose at most 60 months: showing the last 12 months instead."),
        ("export=pdf", "Unknown export: the billing report downloads as CSV."),
    ],
)
def test_the_report_explains_what_it_did_not_understand(coordinator, months, query, message):
    response = coordinator.get(f"{REPORT}?{query}")
    assert response.status_code == 200
    assert page_messages(response) == [message]
    assert len(soup(response).select("#months tbody tr")) == 12


def test_a_bad_range_is_not_exported(coordinator, months):
    response = coordinator.get(f"{REPORT}?from=2026-06&to=2026-01&export=csv")
    assert response["Content-Type"].startswith("text/html")


def test_the_report_runs_a_constant_number_of_queries(coordinator, months, northshire, today):
    coordinator.get(REPORT)
    with CaptureQueriesContext(connection) as few:
        coordinator.get(REPORT)
    for n in range(8):
        invoice = billing.invoice_issue(
            network=northshire,
            subscription=None,
            kind=Invoice.Kind.NEW,
            period_start=today,
            period_end=today,
            lines=[("x", Decimal("1"), Decimal("10.00"))],
            issued_on=month_start(today, n) if n < 3 else today - days(60),
        )
        billing.payment_record(invoice_id=invoice.pk, amount=Decimal("1.00"), method="other", received_on=today)
    with CaptureQueriesContext(connection) as many:
        coordinator.get(REPORT)
    assert len(many) == len(few)


# --- Who may use the console --------------------------------------------------------------------------------------


@pytest.fixture
def console_pages(northshire, policy, today):
    invoice = billing.invoice_issue(
        network=northshire,
        subscription=None,
        kind=Invoice.Kind.NEW,
        period_start=today,
        period_end=today,
        lines=[("x", Decimal("1"), Decimal("10.00"))],
    )
    subscription = northshire.subscriptions.get()
    return [
        ("Networks and subscriptions", NETWORKS),
        ("Start a subscription", reverse("billing_admin:start", args=[northshire.pk])),
        ("Change plan or seats", change_url(subscription)),
        ("Cancel a subscription", cancel_url(subscription)),
        ("Invoices", INVOICES),
        ("Invoice AE-000001", invoice_url(invoice)),
        ("Invoice AE-000001 — Ask an Expert", invoice_url(invoice, "invoice_print")),
        (None, invoice_url(invoice, "invoice_csv")),
        ("Webhook deliveries", WEBHOOKS),
        ("Billing", REPORT),
    ]


@pytest.mark.parametrize("role", ["anonymous", "alice", "nadia", "erin", "editor", "colin"])
def test_the_console_is_for_coordinators_only(client, console_pages, alice, nadia, erin, colin, role):
    editor = UserFactory(email="editor@example.test")  # may use the admin, but is not a coordinator
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    users = {"alice": alice, "nadia": nadia, "erin": erin, "editor": editor, "colin": colin}
    if role != "anonymous":
        client.force_login(users[role])
    for title, path in console_pages:
        response = client.get(path)
        if role == "colin":
            assert response.status_code == 200, path
            if title:
                assert f"<title>{title}" in response.content.decode(), path
        elif role == "anonymous":
            assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={path}"), path
        elif role == "editor":
            assert (response.status_code, response["Location"]) == (302, "/admin/"), path
        else:
            assert response.status_code == 302, path
            assert response["Location"].startswith("/accounts/login/"), path


def test_console_actions_do_nothing_for_anyone_but_coordinators(
    client, northshire, alice, nadia, erin, regional, today
):
    editor = UserFactory(email="editor@example.test")
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    dales = NetworkFactory()
    subscription = northshire.subscriptions.get()
    invoice = billing.invoice_issue(
        network=northshire,
        subscription=subscription,
        kind=Invoice.Kind.NEW,
        period_start=today,
        period_end=today,
        lines=[("x", Decimal("1"), Decimal("10.00"))],
    )
    for user in (None, alice, nadia, erin, editor):
        if user:
            client.force_login(user)
        client.post(
            reverse("billing_admin:start", args=[dales.pk]),
            {"plan": regional.pk, "seats": "10", "starts_on": today.isoformat(), "kind": "paid"},
        )
        client.post(change_url(subscription), {"plan": regional.pk, "seats": "40"})
        client.post(cancel_url(subscription), {"when": "now"})
        client.post(invoice_url(invoice), pay_data(today, amount="1.00"))
        client.post(invoice_url(invoice, "invoice_void"))
    subscription.refresh_from_db()
    invoice.refresh_from_db()
    assert (subscription.plan.slug, subscription.seats, subscription.status) == ("standard", 25, "active")
    assert invoice.status == "issued"
    assert counts() == (1, 1, 0)


def test_the_console_is_in_the_admin_menus(coordinator, db):
    body = coordinator.get("/admin/").content.decode()
    for label in ("Billing", "Networks and subscriptions", "Invoices", "Webhook deliveries", "Billing settings"):
        assert f'"{label}"' in body


def test_the_billing_menu_is_hidden_from_editors(client, db):
    editor = UserFactory(email="editor@example.test")
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    body = client.get("/admin/").content.decode()
    assert '"Webhook deliveries"' not in body
    assert '"Networks and subscriptions"' not in body
