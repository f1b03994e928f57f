"""The network admin's webhook pages: who may see them, adding and changing endpoints (bad input: a clear message and
nothing changed), the secret, the delivery log, the test button, rotation, switching off and on, deleting."""

import pytest

from qa_site.webhooks.models import Delivery, Endpoint
from tests.network.pages import messages_of, soup, table_rows, text_of

PAGES = "/network/northshire/webhooks/"


def field_errors(response, name):
    errors = soup(response).select_one(f"#id_{name}_error")
    return [" ".join(li.get_text().split()).removeprefix("Error: ") for li in errors.select("li")] if errors else []


@pytest.fixture
def as_nadia(client, nadia):
    client.force_login(nadia)
    return client


@pytest.fixture
def endpoint(make_endpoint, northshire, nadia):
    return make_endpoint(northshire, nadia, description="Case system")


def test_only_the_networks_admins_and_coordinators_reach_its_webhook_pages(
    client, endpoint, nadia, walter, alice, erin, colin, make_endpoint, westvale
):
    theirs = make_endpoint(westvale, walter)
    pages = [
        PAGES,
        f"{PAGES}{endpoint.pk}/",
        f"{PAGES}{endpoint.pk}/edit/",
    ]
    actions = ["rotate", "test", "on", "off", "delete"]
    for page in pages:
        assert client.get(page).status_code == 302  # to sign in
        assert client.get(page)["Location"].startswith("/accounts/login/")
    for person in (walter, alice, erin):
        client.force_login(person)
        for page in pages:
            response = client.get(page)
            assert response.status_code == 403
            assert "This page is for the network admins of Northshire RCC." in response.content.decode()
        for action in actions:
            assert client.post(f"{PAGES}{endpoint.pk}/{action}/").status_code == 403
        assert client.post(PAGES, {"url": "https://a.example.org/", "events": ["answer.published"]}).status_code == 403
    for person in (nadia, colin):
        client.force_login(person)
        for page in pages:
            assert client.get(page).status_code == 200
    # Another network's endpoint, through this network's address, is not found.
    client.force_login(nadia)
    assert client.get(f"{PAGES}{theirs.pk}/").status_code == 404
    assert client.post(f"{PAGES}{theirs.pk}/delete/").status_code == 404
    assert client.get(f"/network/westvale/webhooks/{theirs.pk}/").status_code == 403
    assert Endpoint.objects.count() == 2
    before = Endpoint.objects.get(pk=endpoint.pk)
    assert (before.secret, before.is_active) == (endpoint.secret, True)


def test_an_endpoint_is_added_and_its_page_shows_its_secret(as_nadia, nadia, northshire, topic, other_topic):
    response = as_nadia.post(
        PAGES,
        {
            "url": " https://crm.northshire.example.org/hooks/ask ",
            "description": "Our CRM",
            "events": ["answer.published", "question.needs_reply"],
            "topics": [topic.pk],
        },
        follow=True,
    )
    endpoint = Endpoint.objects.get()
    assert messages_of(response) == [f"Endpoint {endpoint.url} added. Its secret is on this page."]
    assert response.redirect_chain == [(f"{PAGES}{endpoint.pk}/", 302)]
    assert (endpoint.url, endpoint.description, endpoint.network, endpoint.created_by) == (
        "https://crm.northshire.example.org/hooks/ask",
        "Our CRM",
        northshire,
        nadia,
    )
    assert (endpoint.events, endpoint.topic_ids, endpoint.is_active) == (
        ["answer.published", "question.needs_reply"],
        [topic.pk],
        True,
    )
    assert text_of(response, "secret") == endpoint.secret
    page = response.content.decode()
    assert "Topics Charity law" in " ".join(soup(response).get_text(" ").split())
    assert "Nothing sent yet." in page
    listing = as_nadia.get(PAGES)
    assert "https://crm.northshire.example.org/hooks/ask" in text_of(listing, f"endpoint-{endpoint.pk}")
    assert "0 delivered · 0 waiting · 0 failed" in text_of(listing, f"endpoint-{endpoint.pk}")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"url": "", "events": ["answer.published"]}, "url", "Enter the address events are sent to"),
        ({"url": "http://crm.example.org/hook", "events": ["answer.published"]}, "url",
         "The address must start with https://: events are only sent over an encrypted line."),
        ({"url": "crm.example.org", "events": ["answer.published"]}, "url",
         "Enter a full web address starting with https://, like https://crm.example.org/hooks/ask"),
        ({"url": "ftp://crm.example.org/", "events": ["answer.published"]}, "url",
         "Enter a full web address starting with https://, like https://crm.example.org/hooks/ask"),
        ({"url": "https://10.0.0.7/hook", "events": ["answer.published"]}, "url",
         "The address must be on the internet, not a private or local network."),
        ({"url": "https://169.254.169.254/latest", "events": ["answer.published"]}, "url",
         "The address must be on the internet, not a private or local network."),
        ({"url": "https://user:pw@crm.example.org/", "events": ["answer.published"]}, "url",
         "Leave the user name and password out of the address: the signature proves the sender."),
        ({"url": "https://crm.example.org/" + "a" * 500, "events": ["answer.published"]}, "url",
         "Shorten the address to at most 500 characters"),
        ({"url": "https://crm.example.org/"}, "events", "Tick at least one event to send"),
        ({"url": "https://crm.example.org/", "events": ["everything"]}, "events", "Choose events from the list"),
        ({"url": "https://crm.example.org/", "events": ["answer.published"], "topics": ["x"]}, "topics",
         "Choose topics from the list"),
        ({"url": "https://crm.example.org/", "events": ["answer.published"], "topics": ["999999"]}, "topics",
         "Choose topics from the list"),
        ({"url": "https://crm.example.org/", "events": ["answer.published"], "description": "d" * 101},
         "description", "Shorten the description to at most 100 characters"),
    ],
)  # fmt: skip
def test_bad_input_when_adding_says_what_to_do_and_adds_nothing(as_nadia, site_tree, data, field, message):
    response = as_nadia.post(PAGES, data)
    assert response.status_code == 400
    assert field_errors(response, field) == [message]
    assert "There is a problem" in text_of(response, "error-summary")
    assert not Endpoint.objects.exists()


def test_a_network_has_at_most_ten_endpoints(as_nadia, make_endpoint, northshire, nadia):
    for number in range(10):
        make_endpoint(northshire, nadia, url=f"https://crm.example.org/{number}")
    response = as_nadia.post(PAGES, {"url": "https://crm.example.org/11", "events": ["answer.published"]})
    assert response.status_code == 400
    assert "A network can have at most 10 endpoints: delete one you no longer use." in text_of(
        response, "error-summary"
    )
    assert Endpoint.objects.count() == 10


def test_an_endpoint_is_changed_and_bad_input_changes_nothing(as_nadia, endpoint, other_topic):
    edit = f"{PAGES}{endpoint.pk}/edit/"
    response = as_nadia.post(edit, {"url": "http://crm.example.org/", "events": ["question.answered"]})
    assert response.status_code == 400
    assert field_errors(response, "url") == [
        "The address must start with https://: events are only sent over an encrypted line."
    ]
    unchanged = Endpoint.objects.get(pk=endpoint.pk)
    assert (unchanged.url, unchanged.events) == (endpoint.url, endpoint.events)
    response = as_nadia.post(
        edit,
        {"url": "https://crm.example.org/new", "events": ["question.answered"], "topics": [other_topic.pk]},
        follow=True,
    )
    assert messages_of(response) == ["Endpoint saved: the change applies to the next event."]
    changed = Endpoint.objects.get(pk=endpoint.pk)
    assert (changed.url, changed.events, changed.topic_ids, changed.secret, changed.description) == (
        "https://crm.example.org/new",
        ["question.answered"],
        [other_topic.pk],
        endpoint.secret,
        "",
    )


def test_the_test_button_sends_an_event_whose_try_is_in_the_log(
    as_nadia, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [418]
    with django_capture_on_commit_callbacks(execute=True):
        response = as_nadia.post(f"{PAGES}{endpoint.pk}/test/", follow=True)
    assert messages_of(response) == [
        "Test event sent (webhook.test). Its outcome is in the log below; reload the page if it is not there yet."
    ]
    assert receiver.events() == ["webhook.test"]
    delivery = Delivery.objects.get()
    page = as_nadia.get(f"{PAGES}{endpoint.pk}/")
    [row] = table_rows(page, "delivery-log")
    assert row[1:5] == [
        "webhook.test",
        delivery.message_id,
        "1 of 1",
        "418 The endpoint answered 418 I'm a Teapot",
    ]
    assert row[5].endswith(" ms")


def test_rotating_switching_off_and_on_and_deleting(as_nadia, nadia, endpoint):
    page = f"{PAGES}{endpoint.pk}/"
    response = as_nadia.post(f"{page}rotate/", follow=True)
    assert messages_of(response)[0].startswith("New secret made. For the next 24 hours each event is signed with both")
    rotated = Endpoint.objects.get(pk=endpoint.pk)
    assert rotated.previous_secret == endpoint.secret
    assert text_of(response, "secret") == rotated.secret != endpoint.secret
    assert "Previous secret still signs until" in " ".join(soup(response).get_text(" ").split())

    response = as_nadia.post(f"{page}off/", follow=True)
    assert messages_of(response) == ["Endpoint switched off: no events are sent to it until you switch it on again."]
    assert text_of(response, "switched-off").endswith(
        f": {nadia.display_name} switched it off. No events are sent to it; a test event still is."
    )
    assert Endpoint.objects.get(pk=endpoint.pk).is_active is False
    response = as_nadia.post(f"{page}on/", follow=True)
    assert messages_of(response) == ["Endpoint switched on: new events are sent to it."]
    assert Endpoint.objects.get(pk=endpoint.pk).is_active is True

    assert as_nadia.get(f"{page}delete/").status_code == 405
    response = as_nadia.post(f"{page}delete/", follow=True)
    assert messages_of(response) == [f"Endpoint {endpoint.url} deleted, with its log."]
    assert response.redirect_chain == [(PAGES, 302)]
    assert not Endpoint.objects.exists()
    assert as_nadia.post(f"{page}delete/").status_code == 404


def test_the_network_pages_link_to_webhooks(as_nadia, northshire):
    response = as_nadia.get("/network/northshire/")
    link = soup(response).select_one('nav.tabs a[href="/network/northshire/webhooks/"]')
    assert link.get_text() == "Webhooks"
