"""Two journeys through pages for other systems, on a desktop and on a 390 px phone: an adviser makes an API token
(shown once), uses it against the live API, and revokes it; a network admin adds a webhook endpoint, reads its
secret, and sends a test event that a real local server receives, signed, and that the delivery log shows. Every page
is checked with axe-core (and for sideways scrolling on the phone)."""

import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from qa_site.webhooks import signing
from qa_site.webhooks.models import Endpoint
from tests.browser.harness import VIEWPORTS, check_page, sign_in
from tests.webhooks.conftest import receiver  # noqa: F401 (the local server the webhook tests deliver to)


def api_status(url, token):
    """The status of a GET of ``url`` sent with ``token`` as its bearer token, and the JSON body."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the live server, over http)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.mark.browser
@VIEWPORTS
def test_an_adviser_makes_an_api_token_uses_it_and_revokes_it(live_server, new_page, viewport, alice, topic):
    page = new_page(viewport)
    sign_in(page, alice)

    # From her account page, by its link, to the tokens page: none yet.
    page.locator("header .who").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    check_page(page)
    page.get_by_role("link", name="API tokens").click()
    expect(page).to_have_url(f"{live_server.url}/account/api-tokens/")
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    expect(page.get_by_text("You have no tokens.")).to_be_visible()
    check_page(page)

    # She makes a token that may only read.
    page.get_by_label("Name").fill("Our case system")
    page.get_by_label("Read — topics, experts, answers and your own questions").check()
    page.get_by_role("button", name="Make the token").click()
    expect(
        page.get_by_text("Your token “Our case system” has been made: copy it now, it is shown only once.")
    ).to_be_visible()
    shown = page.get_by_test_id("new-token").get_by_test_id("token")
    expect(shown).to_have_text(re.compile(r"^qae_\S+$"))
    token = shown.inner_text().strip()
    row = page.get_by_test_id("tokens").get_by_role("row").filter(has_text="Our case system")
    expect(row.get_by_role("cell").nth(1)).to_have_text("read")  # its scopes
    expect(row).to_contain_text("Never")
    check_page(page)

    # The token opens the API from another system (here: this test, over real HTTP).
    topics_url = f"{live_server.url}/api/v1/topics"
    status, body = api_status(topics_url, token)
    assert status == 200, body
    assert topic.title in [item["title"] for item in body["items"]]

    # She reloads the page that showed the token: the browser sends the form again, and no second token is made.
    page.reload()
    expect(page.get_by_text("That form had already made your token, so no second one was made.")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/account/api-tokens/")
    expect(page.get_by_test_id("tokens").locator("tbody").get_by_role("row")).to_have_count(1)
    check_page(page)

    # Opened again, the page shows the token's name but never the token.
    page.goto("/account/api-tokens/")
    expect(page.get_by_test_id("tokens").locator("tbody").get_by_role("row")).to_have_count(1)
    expect(page.get_by_test_id("tokens").get_by_role("row").filter(has_text="Our case system")).to_be_visible()
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    assert token not in page.content()
    check_page(page)

    # She revokes it; the API no longer answers it.
    page.get_by_role("button", name="Revoke Our case system").click()
    expect(page.get_by_text("The token has been revoked: it no longer opens the API.")).to_be_visible()
    expect(page.get_by_test_id("tokens").get_by_role("row").filter(has_text="Our case system")).to_contain_text(
        "Revoked"
    )
    expect(page.get_by_role("button", name="Revoke Our case system")).to_have_count(0)
    check_page(page)
    status, body = api_status(topics_url, token)
    assert status == 401, body


@pytest.mark.browser
@VIEWPORTS
def test_a_network_admin_adds_a_webhook_endpoint_and_sends_it_a_test_event(
    live_server,
    new_page,
    viewport,
    nadia,
    northshire,
    site_tree,
    receiver,  # noqa: F811 (the fixture imported above)
):
    page = new_page(viewport)
    sign_in(page, nadia)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Your network").click()
    expect(page).to_have_url(f"{live_server.url}/network/northshire/")
    page.get_by_role("navigation", name="Northshire RCC").get_by_role("link", name="Webhooks").click()
    expect(page).to_have_url(f"{live_server.url}/network/northshire/webhooks/")
    expect(page.get_by_text("No endpoints yet.")).to_be_visible()
    check_page(page)

    # She adds an endpoint: the local server, for questions answered.
    form = page.locator("#new-endpoint")
    form.get_by_label("Address (URL)").fill(receiver.url)
    form.get_by_label("Description (optional)").fill("Our CRM")
    form.get_by_label("A member's question is answered (question.answered)").check()
    form.get_by_role("button", name="Add endpoint").click()
    endpoint_message = f"Endpoint {receiver.url} added. Its secret is on this page."
    expect(page.get_by_text(endpoint_message)).to_be_visible()
    expect(
        page.get_by_text("Nothing sent yet. Send a test event to check that your system receives it.")
    ).to_be_visible()
    secret = page.get_by_test_id("secret").inner_text().strip()
    assert secret.startswith(signing.PREFIX)
    endpoint = Endpoint.objects.get(network=northshire)
    assert (endpoint.url, endpoint.events, endpoint.secret) == (receiver.url, ["question.answered"], secret)
    expect(page).to_have_url(f"{live_server.url}/network/northshire/webhooks/{endpoint.pk}/")
    check_page(page)
    assert receiver.requests == []

    # The test event: the server receives one POST signed with the secret shown, and the log shows its try.
    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_text("Test event sent (webhook.test).")).to_be_visible()
    page.reload()
    log = page.get_by_test_id("delivery-log")
    expect(log.get_by_role("row")).to_have_count(2)  # the header and one try
    row = log.get_by_role("row").nth(1)
    expect(row).to_contain_text("webhook.test")
    expect(row).to_contain_text("1 of 1")
    expect(row.get_by_role("cell").nth(4)).to_have_text("200")  # the response: delivered
    check_page(page)

    assert receiver.events() == ["webhook.test"]
    [request] = receiver.requests
    assert request["path"] == "/hooks/ask"
    headers = request["headers"]
    assert headers["content-type"] == "application/json"
    expected = signing.signature(
        secret, headers["webhook-id"], int(headers["webhook-timestamp"]), request["body"].decode()
    )
    assert headers["webhook-signature"] == expected
    expect(row).to_contain_text(headers["webhook-id"])
