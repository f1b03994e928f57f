"""A network joins through /subscribe/, on a desktop and on a 390 px phone: the visitor chooses a plan and a free
trial and creates the admin's account; the coordinator, e-mailed, approves; the new admin confirms her address and
reaches her network's page from the welcome e-mail. Every page is checked with axe-core (and for sideways scrolling
on the phone)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from subscriptions.models import JoinRequest, Plan
from tests.browser.harness import VIEWPORTS, check_page, sign_in, visit

NAME = "Fenland Community Network"
PASSWORD = "a-long-pass-phrase-for-fran"


def only_link(message, path_pattern):
    """The one link to this site in a plain-text e-mail, as a path."""
    links = re.findall(rf"https?://[^/\s]+({path_pattern})(?=\s|$)", message.body)
    assert len(links) == 1, message.body
    return links[0]


def mail_to(mailoutbox, address, subject_start):
    found = [m for m in mailoutbox if m.to == [address] and m.subject.startswith(subject_start)]
    assert len(found) == 1, [(m.to, m.subject) for m in mailoutbox]
    return found[0]


@pytest.mark.browser
@VIEWPORTS
def test_a_network_joins_through_subscribe_and_a_coordinator_approves_it(
    live_server, new_page, mailoutbox, viewport, colin
):
    Plan.objects.create(
        name="Regional",
        slug="regional",
        annual_price=Decimal("961.00"),
        included_seats=10,
        extra_seat_price=Decimal("14.00"),
        trial_days=14,
    )

    # 1. Fran, a visitor, follows the home page's way in to /subscribe/.
    fran = new_page(viewport)
    visit(fran, "/")
    fran.get_by_role("link", name="How to get access").click()
    expect(fran.get_by_role("heading", level=1)).to_have_text("Subscribe your network")
    expect(fran.get_by_test_id("plans")).to_contain_text("Free trial: 14 days")
    check_page(fran)

    # 2. She asks to join: the plan and a free trial, her organisation and its billing contact, her own account.
    form = fran.get_by_test_id("subscribe-form")
    form.get_by_role("radio", name=re.compile(r"^Regional")).check()
    expect(form.get_by_role("radio", name="Start with a free trial")).to_be_checked()  # the default
    form.get_by_label("Organisation name").fill(NAME)
    form.get_by_label("Website (optional)").fill("https://fenland.example.org")
    form.get_by_label("Billing e-mail address").fill("accounts@fenland.example.org")
    form.get_by_label("Billing address").fill("The Corn Exchange\nWisbech")
    form.get_by_label("Your first name").fill("Fran")
    form.get_by_label("Your last name").fill("Fenwick")
    form.get_by_label("Your e-mail address").fill("fran@fenland.example.org")
    form.get_by_label("Choose a password").fill(PASSWORD)
    form.get_by_role("button", name="Send the request").click()
    expect(fran.get_by_role("heading", level=1)).to_have_text("Thank you: your request is with us")
    expect(fran.get_by_test_id("join-sent")).to_contain_text(
        f"We have your request to subscribe {NAME} to the Regional plan (a free trial of 14 days, from approval)."
    )
    check_page(fran)
    join = JoinRequest.objects.get()

    # 3. Colin is e-mailed; the link opens the request, and he approves it.
    told = mail_to(mailoutbox, colin.email, "Network asking to join:")
    assert told.subject == f"Network asking to join: {NAME} (Regional, free trial)"
    colin_page = new_page(viewport)
    sign_in(colin_page, colin)
    visit(colin_page, only_link(told, r"/admin/\S+/"))
    request = colin_page.get_by_test_id("join-request")
    expect(request).to_contain_text(NAME)
    expect(request).to_contain_text("Fran Fenwick <fran@fenland.example.org>")
    colin_page.get_by_role("button", name="Approve", exact=True).click()
    done = colin_page.locator(".messages .success")
    expect(done).to_contain_text(f"{NAME} is subscribed and fran@fenland.example.org is its network admin.")
    expect(done.get_by_role("link", name="See its subscription")).to_be_visible()
    join.refresh_from_db()
    assert join.status == "approved"
    assert join.network.name == NAME
    check_page(colin_page)

    # 4. Fran confirms her address with the link she was sent, in the browser she asked from: she is signed in.
    assert mail_to(mailoutbox, "fran@fenland.example.org", "We have your request to subscribe: ").subject == (
        f"We have your request to subscribe: {NAME}"
    )
    confirm = [m for m in mailoutbox if m.to == ["fran@fenland.example.org"] and "/accounts/confirm-email/" in m.body]
    assert len(confirm) == 1, [(m.to, m.subject) for m in mailoutbox]
    visit(fran, only_link(confirm[0], r"/accounts/confirm-email/\S+/"))
    fran.get_by_role("button", name="Confirm").click()
    expect(fran.locator("header .who")).to_have_text("Fran Fenwick")

    # 5. The welcome e-mail's link opens her network's page: the trial has started, with the plan's seats.
    welcome = mail_to(mailoutbox, "fran@fenland.example.org", "Welcome:")
    assert welcome.subject == f"Welcome: {NAME} is subscribed"
    assert only_link(welcome, r"/network/\S*") == "/network/"  # her network's page, whichever networks she runs
    fran.goto("/network/")
    expect(fran).to_have_url(f"{live_server.url}/network/{join.network.slug}/")
    expect(fran.get_by_role("heading", level=1)).to_have_text(NAME)
    expect(fran.get_by_test_id("subscription")).to_contain_text("Trial")
    expect(fran.get_by_test_id("seats")).to_contain_text("1 of 10 seats used")
    check_page(fran)
