"""The answers widget on a member's website, in headless chromium: a page from a second origin embeds it.

A tiny http.server on another port stands in for the member's website; the widget's key allows only its
origin (http://127.0.0.1:<port>). The same server reached as http://localhost:<port> is another origin,
which the key does not allow.
"""
# The harness's fixtures are imported from test_loop, and so named again as test arguments:
# ruff: noqa: F811

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from feeds import counting
from subscriptions import services
from subscriptions.models import AccessKey, UsageCount
from tests.browser.harness import sign_in
from tests.factories import make_published_page

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Northshire members</title>
<style>a {{ color: rgb(255, 0, 0) !important; }} h2 {{ color: rgb(255, 0, 0); }} body {{ font-family: serif; }}</style>
</head><body>
<h1>Northshire members</h1>
<p><a id="own-link" href="/">Our own link</a></p>
{embed}
<p id="after">After the widget</p>
</body></html>"""


class MemberSite:
    """The member's website: /script.html and /frame.html embed the widget of ``?key=`` from ``widget_base``."""

    def __init__(self, widget_base):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 -- http.server's name
                parts = urlsplit(self.path)
                params = {name: values[0] for name, values in parse_qs(parts.query).items()}
                body = site.page(parts.path, params)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "Not found").encode())

            def log_message(self, *args):
                pass

        self.widget_base = widget_base
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.other_origin = f"http://localhost:{self.port}"  # the same server, but another origin
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def page(self, path, params):
        key, base = params.get("key", ""), self.widget_base
        if path == "/script.html":
            style = params.get("style", "light")
            embed = f'<script src="{base}/embed/widget.js" data-key="{key}" data-count="3" data-style="{style}" async>'
            return HOST_PAGE.format(embed=embed + "</script>")
        if path == "/frame.html":
            src = f"{base}/embed/frame/?key={key}&amp;count=3"
            return HOST_PAGE.format(
                embed=f'<iframe src="{src}" title="Latest answers" width="600" height="400"></iframe>'
            )
        return None

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def member_site(live_server):
    site = MemberSite(live_server.url)
    yield site
    site.close()


@pytest.fixture
def answers(topic, erin):
    older = make_published_page(topic=topic, title="Can volunteers be reimbursed for mileage?", expert=erin)
    newer = make_published_page(topic=topic, title="Can trustees claim travel expenses?", expert=erin)
    return {"older": older, "newer": newer}


def widget(page):
    """The widget's section, inside its shadow root (Playwright's CSS locators pierce open shadow roots)."""
    return page.locator("[data-ask-an-expert] section")


def load(page, url):
    """Open ``url`` and wait until the widget has had its answers.json (or the refusal) back."""
    with page.expect_response(lambda response: "/embed/answers.json" in response.url) as info:
        page.goto(url)
    return info.value


@pytest.mark.browser
def test_the_widget_shows_the_latest_answers_on_a_members_website(
    live_server, new_page, member_site, answers, northshire, nadia
):
    key = AccessKey.objects.create(
        network=northshire, name="Members' site", kind="widget", created_by=nadia, allowed_origins=member_site.origin
    )
    page = new_page()
    response = load(page, f"{member_site.origin}/script.html?key={key.key}")
    assert response.status == 200
    assert response.headers["access-control-allow-origin"] == member_site.origin

    section = widget(page)
    expect(section).to_have_attribute("aria-label", "Latest answers from Ask an Expert")
    expect(section.get_by_role("heading", level=2)).to_have_text("Latest answers from Ask an Expert")
    links = section.locator("li > a")
    expect(links).to_have_text(["Can trustees claim travel expenses?", "Can volunteers be reimbursed for mileage?"])
    newer = answers["newer"]
    expect(links.first).to_have_attribute("href", f"{live_server.url}/embed/click/{newer.pk}/?key={key.key}")
    expect(section.locator("li .meta").first).to_contain_text(f"{newer.expert.display_name} · Charity law · ")
    # In place: between the host page's own paragraphs, where the script tag is.
    order = page.evaluate(
        "() => [...document.body.children].map(e => e.id || e.tagName.toLowerCase())"
        ".filter(n => ['own-link', 'p', 'div', 'script', 'after'].includes(n))"
    )
    assert order == ["p", "div", "script", "after"]

    # Styles stay apart both ways: the host's red links and headings never reach the widget, nor its green ones out.
    assert links.first.evaluate("a => getComputedStyle(a).color") == "rgb(11, 107, 58)"
    assert section.locator("h2").evaluate("h => getComputedStyle(h).color") == "rgb(29, 37, 33)"
    assert page.locator("#own-link").evaluate("a => getComputedStyle(a).color") == "rgb(255, 0, 0)"
    # Keyboard focus is visible.
    links.first.focus()
    assert links.first.evaluate("a => getComputedStyle(a).outlineStyle") == "solid"

    # A click is counted, then lands on the answer.
    links.first.click()
    expect(page).to_have_url(f"{live_server.url}{newer.url}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Can trustees claim travel expenses?")
    counting.flush()
    counts = dict(UsageCount.objects.filter(network=northshire).values_list("kind", "count"))
    assert counts == {UsageCount.Kind.WIDGET_VIEW: 1, UsageCount.Kind.WIDGET_CLICK: 1}

    # The dark style.
    load(page, f"{member_site.origin}/script.html?key={key.key}&style=dark")
    expect(widget(page)).to_have_class("aae dark")

    # Revoked: the widget shows nothing, and answers.json says why.
    services.key_revoke(key_id=key.pk, actor=nadia)
    response = load(page, f"{member_site.origin}/script.html?key={key.key}")
    assert response.status == 410
    assert response.json() == {"error": "This widget key has been revoked.", "reason": "revoked"}
    expect(page.locator("#after")).to_be_visible()
    expect(page.locator("[data-ask-an-expert]")).to_have_count(0)


@pytest.mark.browser
def test_a_website_the_key_does_not_allow_can_read_nothing(live_server, new_page, member_site, answers, northshire):
    key = AccessKey.objects.create(
        network=northshire, name="Members' site", kind="widget", allowed_origins=member_site.origin
    )
    page = new_page()
    # Its answers.json comes back without CORS access, so chromium fails the fetch.
    with page.expect_event("requestfailed", lambda request: "/embed/answers.json" in request.url):
        page.goto(f"{member_site.other_origin}/script.html?key={key.key}")
    expect(page.locator("#after")).to_be_visible()
    expect(page.locator("[data-ask-an-expert]")).to_have_count(0)
    # The page's own scripts cannot read the answers either.
    outcome = page.evaluate(
        "url => fetch(url).then(r => 'read ' + r.status, e => 'blocked: ' + e.name)",
        f"{live_server.url}/embed/answers.json?key={key.key}",
    )
    assert outcome == "blocked: TypeError"
    response = page.request.get(
        f"{live_server.url}/embed/answers.json?key={key.key}", headers={"Origin": member_site.other_origin}
    )
    assert response.status == 403
    assert "access-control-allow-origin" not in response.headers
    assert response.json()["reason"] == "origin"
    # Whereas the key's own website can.
    page.goto(f"{member_site.origin}/script.html?key={key.key}")
    outcome = page.evaluate(
        "url => fetch(url).then(r => r.json()).then(j => j.items.length)",
        f"{live_server.url}/embed/answers.json?key={key.key}",
    )
    assert outcome == 2


@pytest.mark.browser
def test_the_iframe_variant_shows_on_the_keys_websites_only(live_server, new_page, member_site, answers, northshire):
    key = AccessKey.objects.create(
        network=northshire, name="Members' site", kind="widget", allowed_origins=member_site.origin
    )
    page = new_page()
    page.goto(f"{member_site.origin}/frame.html?key={key.key}")
    frame = page.frame_locator("iframe")
    link = frame.get_by_role("link", name="Can trustees claim travel expenses?")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("target", "_blank")
    expect(frame.get_by_role("heading", level=2)).to_have_text("Latest answers from Ask an Expert")

    # Framed by a website the key does not list, chromium refuses to show it (frame-ancestors).
    with page.expect_response(lambda response: "/embed/frame/" in response.url):
        page.goto(f"{member_site.other_origin}/frame.html?key={key.key}")
    expect(page.locator("#after")).to_be_visible()
    page.wait_for_timeout(300)
    expect(frame.get_by_role("link", name="Can trustees claim travel expenses?")).to_have_count(0)


@pytest.mark.browser
def test_the_configurator_previews_the_widget_and_copies_the_snippet(
    live_server, new_page, answers, northshire, nadia, settings
):
    settings.BASE_URL = "https://ask.example.org"
    key = AccessKey.objects.create(
        network=northshire, name="Members' site", kind="widget", created_by=nadia, allowed_origins="https://a.org"
    )
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(page, nadia)
    page.goto(f"/network/northshire/keys/{key.pk}/widget/")
    preview = page.get_by_test_id("preview")
    expect(preview.locator("[data-ask-an-expert] li > a").first).to_have_text("Can trustees claim travel expenses?")

    page.get_by_label("Style").select_option("dark")
    snippet = page.get_by_label("Paste this into your web page")
    expect(snippet).to_have_value(
        f'<script src="https://ask.example.org/embed/widget.js" data-key="{key.key}" data-count="5" '
        'data-style="dark" async></script>'
    )
    expect(preview.locator("[data-ask-an-expert] section")).to_have_class("aae dark")
    expect(page).to_have_url(
        f"{live_server.url}/network/northshire/keys/{key.pk}/widget/?topic=&count=5&style=dark&variant=script"
    )

    page.get_by_label("An iframe").check()
    expect(snippet).to_have_value(re.compile(r'^<iframe src="https://ask\.example\.org/embed/frame/\?key='))
    expect(
        preview.frame_locator("iframe").get_by_role("link", name="Can trustees claim travel expenses?")
    ).to_be_visible()

    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == snippet.input_value()
    # Views in the preview are not counted.
    counting.flush()
    assert not UsageCount.objects.filter(network=northshire).exists()
