"""A network joins through /subscribe/: the request, the coordinator's decision, and what each side is told."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from subscriptions import joining
from subscriptions.models import Invoice, JoinRequest, Membership, Network, Subscription
from tests.factories import UserFactory

SUBSCRIBE = "/subscribe/"


def _form(chosen, **changes):
    data = {
        "plan": chosen.pk,
        "start": "trial",
        "seats": "",
        "name": "Fenland Community Network",
        "website": "https://fenland.example.org",
        "members_description": "About 40 village halls and advice centres",
        "billing_email": "Accounts@Fenland.example.org",
        "billing_address": "The Corn Exchange\nWisbech",
        "vat_number": "",
        "purchase_order": "PO-77",
        "first_name": "Fran",
        "last_name": "Fenwick",
        "email": "fran@fenland.example.org",
        "password": "a-long-pass-phrase-for-fran",
    }
    data.update(changes)
    return data


def test_the_subscribe_page_lists_the_plans_with_their_trials_and_the_form(client, regional, national):
    html = client.get(SUBSCRIBE).content.decode()
    assert "Free trial: 14 days" in html
    assert "No free trial" in html
    assert 'data-testid="subscribe-form"' in html
    assert 'name="password"' in html


def test_a_visitor_asks_to_join_with_a_new_account_and_everyone_is_told(client, regional, colin, run_on_commit):
    with run_on_commit():
        response = client.post(SUBSCRIBE, _form(regional))
    assert (response.status_code, response["Location"]) == (302, "/subscribe/sent/")
    sent = client.get("/subscribe/sent/").content.decode()
    assert "Thank you: your request is with us" in sent
    assert "Confirm your e-mail address" in sent
    join = JoinRequest.objects.get()
    assert (join.name, join.plan, join.start, join.seats) == ("Fenland Community Network", regional, "trial", 10)
    assert join.billing_email == "accounts@fenland.example.org"
    fran = get_user_model().objects.get(email="fran@fenland.example.org")
    assert (join.user, fran.first_name, fran.check_password("a-long-pass-phrase-for-fran")) == (fran, "Fran", True)
    assert EmailAddress.objects.filter(user=fran, verified=False, primary=True).exists()
    subjects = {message.subject: message.to for message in mail.outbox}
    coordinators = "Network asking to join: Fenland Community Network (Regional, free trial)"
    assert subjects[coordinators] == [colin.email]
    assert subjects["We have your request to subscribe: Fenland Community Network"] == [fran.email]
    assert any("Confirm" in s and to == [fran.email] for s, to in subjects.items()), subjects
    link = reverse("joining_admin:detail", args=[join.pk])
    assert link in next(m for m in mail.outbox if m.subject == coordinators).body
    assert not Network.objects.exists()


def test_a_signed_in_person_asks_without_account_fields_and_sees_their_request_waiting(client, nobody, regional):
    client.force_login(nobody)
    assert 'name="password"' not in client.get(SUBSCRIBE).content.decode()
    fields = {k: v for k, v in _form(regional, start="invoice", seats="12").items() if k not in ("email", "password")}
    client.post(SUBSCRIBE, fields)
    join = JoinRequest.objects.get()
    assert (join.user, join.start, join.seats) == (nobody, "invoice", 12)
    html = client.get(SUBSCRIBE).content.decode()
    assert "Your request to subscribe Fenland Community Network is waiting" in html
    client.post(SUBSCRIBE, _form(regional, name="Another Network"))
    assert JoinRequest.objects.count() == 1


def _problem(client, data):
    response = client.post(SUBSCRIBE, data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in html
    assert not JoinRequest.objects.exists()
    assert not get_user_model().objects.filter(email="fran@fenland.example.org").exists()
    return html


def test_the_sent_page_needs_the_browser_that_sent_a_request(client):
    assert client.get("/subscribe/sent/")["Location"] == "/subscribe/"


def test_bad_requests_are_refused_with_a_message_and_change_nothing(client, regional, national, dales):
    assert "Enter your organisation&#x27;s name" in _problem(client, _form(regional, name=""))
    assert "choose at least that many" in _problem(client, _form(regional, seats="3"))
    assert "has no free trial" in _problem(client, _form(national, start="trial"))
    assert "Choose one of the plans listed" in _problem(client, _form(regional, plan="999999"))
    assert "Enter the number of seats as a whole number" in _problem(client, _form(regional, seats="ten"))
    assert "already subscribes" in _problem(client, _form(regional, name="dales rural network"))
    assert "sign in first" in _problem(client, _form(regional, email="DANA@dales.test"))
    assert "at least 8 characters" in _problem(client, _form(regional, password="short"))
    assert "Enter the address to put on invoices" in _problem(client, _form(regional, billing_address=" "))


def _decide(client, join, decision, note=""):
    return client.post(reverse("joining_admin:detail", args=[join.pk]), {"decision": decision, "note": note})


def _request(regional, **fields):
    applicant = UserFactory(email="fran@fenland.example.org", first_name="Fran")
    return joining.join_request_submit(
        user=applicant,
        plan=regional,
        start=fields.pop("start", "trial"),
        seats=fields.pop("seats", 10),
        name="Fenland Community Network",
        billing_email="accounts@fenland.example.org",
        billing_address="The Corn Exchange\nWisbech",
        **fields,
    )


def test_a_coordinator_approves_a_trial_the_network_starts_with_its_admin(
    client, colin, regional, policy, run_on_commit
):
    join = _request(regional)
    client.force_login(colin)
    assert "Fenland Community Network" in client.get(reverse("joining_admin:list")).content.decode()
    with run_on_commit():
        response = _decide(client, join, "approve", "Welcome aboard")
    assert response.status_code == 302
    network = Network.objects.get(name="Fenland Community Network")
    assert Membership.objects.filter(network=network, user=join.user, role="admin").exists()
    subscription = network.subscriptions.get()
    assert (subscription.status, subscription.plan, subscription.seats) == ("trial", regional, 10)
    assert (subscription.ends_on - subscription.starts_on).days + 1 == regional.trial_days
    assert not Invoice.objects.exists()
    welcome = next(m for m in mail.outbox if m.to == [join.user.email])
    assert welcome.subject == "Welcome: Fenland Community Network is subscribed"
    assert "Welcome aboard" in welcome.body
    assert "/network/" in welcome.body
    assert "already been decided" in _decide(client, join, "approve").content.decode()
    assert Network.objects.count() == 1


def test_approving_an_invoiced_request_issues_the_first_invoice(client, colin, regional, policy, run_on_commit):
    join = _request(regional, start="invoice", seats=12, purchase_order="PO-77")
    client.force_login(colin)
    with run_on_commit():
        _decide(client, join, "approve")
    subscription = Subscription.objects.get(network__name="Fenland Community Network")
    assert (subscription.status, subscription.seats) == ("active", 12)
    invoice = Invoice.objects.get()
    assert invoice.kind == "new"
    assert invoice.subtotal == regional.annual_price + 2 * regional.extra_seat_price
    assert any(m.to == ["accounts@fenland.example.org"] and "AE-" in m.subject for m in mail.outbox)


def test_refusing_needs_a_reason_and_tells_the_applicant(client, colin, regional, run_on_commit):
    join = _request(regional)
    client.force_login(colin)
    assert "Say why the request is refused" in _decide(client, join, "refuse").content.decode()
    with run_on_commit():
        _decide(client, join, "refuse", "We only take networks in England.")
    join.refresh_from_db()
    assert (join.status, join.decided_by) == ("refused", colin)
    refusal = next(m for m in mail.outbox if m.to == [join.user.email])
    assert refusal.subject == "Your request to subscribe Fenland Community Network"
    assert "We only take networks in England." in refusal.body
    assert not Network.objects.exists()


def test_only_coordinators_see_the_requests(client, nadia, regional):
    join = _request(regional)
    client.force_login(nadia)
    assert client.get(reverse("joining_admin:list")).status_code in (302, 403)
    assert _decide(client, join, "approve").status_code in (302, 403)
    assert JoinRequest.objects.get().status == "pending"
