"""The Content-Security-Policy in headless chromium: every kind of page, as each person sees it, breaks no rule.

Each page is watched two ways: an init script (in every frame) reports each ``securitypolicyviolation`` event,
and chromium's console says "Refused to … because it violates the following Content Security Policy directive".
Either fails the test, naming the page. Each visit also checks that what the page's scripts and styles do
happened (suggestions appear, a vote is sent, charts are styled, the widget preview renders), so a page cannot
pass by silently doing nothing.
"""

import datetime as dt
import re
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect
from wagtail.models import Collection, GroupCollectionPermission

from experts.models import ExpertProfile
from qa_site.knowledge.models import HelpfulVote, Question
from search.backends import get_backend
from search.documents import iter_documents
from subscriptions.models import AccessKey
from tests.browser.harness import sign_in
from tests.factories import make_image, make_published_page

WATCH = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation({
    page: location.href,
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    sample: event.sample,
    source: event.sourceFile + ":" + event.lineNumber,
  });
});
"""
GREEN_LINK = "rgb(11, 107, 58)"  # the widget's link colour: its style sheet applied


class Watched:
    """A page whose CSP violations and refusals are collected; ``visit`` and ``check`` fail on any."""

    def __init__(self, page):
        self.page = page
        self.problems = []
        page.context.expose_binding("__cspViolation", lambda source, event: self.problems.append(event))
        page.context.add_init_script(WATCH)
        page.on("console", self._console)

    def _console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.problems.append({"page": self.page.url, "console": message.text})

    def visit(self, path):
        response = self.page.goto(path)
        assert response.ok, f"{path}: {response.status}"
        assert "Content-Security-Policy" in {name.title() for name in response.headers}, path
        self.check(path)
        return response

    def check(self, where):
        self.page.wait_for_load_state("load")
        self.page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 100))")  # let reports arrive
        problems, self.problems[:] = list(self.problems), []
        assert problems == [], f"{where}: {problems}"


@pytest.fixture
def watched(new_page):
    def opener():
        return Watched(new_page())

    return opener


@pytest.fixture
def answer(topic, erin, northshire):
    """A public answer Erin wrote for Northshire, answered in time last week: it feeds every chart."""
    page = make_published_page(
        topic=topic,
        title="Volunteer drivers and mileage",
        expert=erin,
        network=northshire,
        answer="Volunteer drivers may claim the approved mileage rate without it counting as pay. " * 3,
    )
    answered = timezone.now() - dt.timedelta(days=7)
    Question.objects.filter(pk=page.question_id).update(
        submitted_at=answered - dt.timedelta(days=1),
        answered_at=answered,
        working_hours_to_answer=Decimal("6.5"),
        sla_met=True,
        sla_running=False,
    )
    get_backend().rebuild(iter_documents())
    return page


def expect_styled_charts(page, count):
    """``count`` charts, drawn with their own (nonce-carrying) style sheet: pygal's label size, not the browser's."""
    charts = page.locator("figure.chart svg.pygal-chart, figure svg.pygal-chart")
    expect(charts).to_have_count(count)
    for index in range(count):
        label = charts.nth(index).locator("g.axis text").first
        assert label.evaluate("t => getComputedStyle(t).fontSize") == "16px"


@pytest.mark.browser
def test_public_pages_and_the_advisers_pages_break_no_rule(live_server, watched, answer, topic, alice, northshire):
    visitor = watched()
    for path in ("/", topic.url, answer.url, "/search/?q=mileage", "/experts/", "/accounts/login/"):
        visitor.visit(path)
    expect(visitor.page.get_by_role("heading", level=1)).to_be_visible()

    adviser = watched()
    sign_in(adviser.page, alice)
    adviser.check("signing in")

    # The ask page: typing a title brings up similar answers (search/static/search/similar.js).
    adviser.visit("/ask/")
    adviser.page.get_by_label("Your question in one line").press_sequentially(
        "Can our volunteer drivers claim mileage?"
    )
    expect(adviser.page.locator("#similar-answers").get_by_role("link", name=answer.title)).to_be_visible()
    adviser.check("the ask page's similar answers")

    # The answer, in full; "Was this helpful?" is sent by js/helpful.js without leaving the page.
    adviser.visit(answer.url)
    adviser.page.get_by_role("button", name="Yes", exact=True).click()
    expect(adviser.page.locator("[data-helpful-status]")).to_have_text("Thank you: glad it helped.")
    adviser.check("the helpful vote")
    assert list(HelpfulVote.objects.values_list("user", "helpful")) == [(alice.pk, True)]

    # Her own open question: withdrawing asks first (js/confirm.js, not an inline onsubmit).
    question = Question.objects.create(
        title="Can we pay a trustee for training?",
        details="One trustee is a qualified trainer and offered to run a course for us.",
        topic=topic,
        asker=alice,
        network=northshire,
        status=Question.Status.SUBMITTED,
        sla_hours=48,
        submitted_at=timezone.now(),
    )
    adviser.visit(f"/questions/{question.pk}/")
    withdraw = adviser.page.get_by_role("button", name="Withdraw this question")
    adviser.page.once("dialog", lambda dialog: dialog.dismiss())
    withdraw.click()
    adviser.page.wait_for_timeout(200)
    question.refresh_from_db()
    assert question.status == Question.Status.SUBMITTED  # said no: nothing sent
    adviser.page.once("dialog", lambda dialog: dialog.accept())
    withdraw.click()
    expect(adviser.page.get_by_test_id("status")).to_have_text("Withdrawn")
    adviser.check("withdrawing")


@pytest.mark.browser
def test_the_network_admins_report_and_widget_configurator_break_no_rule(
    live_server, watched, answer, nadia, northshire
):
    admin = watched()
    sign_in(admin.page, nadia)
    admin.visit("/network/northshire/")

    # The value report's charts: inline SVG whose <style> carries the request's nonce.
    response = admin.visit("/network/northshire/report/")
    assert "'nonce-" in response.headers["content-security-policy"]
    expect_styled_charts(admin.page, 4)

    # The configurator: its live preview runs widget.js, whose styles are a constructed style sheet.
    key = AccessKey.objects.create(
        network=northshire, name="Members' site", kind="widget", created_by=nadia, allowed_origins="https://a.org"
    )
    admin.visit(f"/network/northshire/keys/{key.pk}/widget/")
    preview = admin.page.get_by_test_id("preview")
    link = preview.locator("[data-ask-an-expert] li > a").first
    expect(link).to_have_text(answer.title)
    assert link.evaluate("a => getComputedStyle(a).color") == GREEN_LINK
    admin.page.get_by_label("Style").select_option("dark")
    expect(preview.locator("[data-ask-an-expert] section")).to_have_class("aae dark")
    admin.check("the configurator's script preview")
    # The iframe variant: the frame page's own policy lets this site frame it; no style attribute in the preview.
    admin.page.get_by_label("An iframe").check()
    framed = preview.frame_locator("iframe").get_by_role("link", name=answer.title)
    expect(framed).to_be_visible()
    assert preview.locator("iframe").evaluate("f => getComputedStyle(f).borderTopStyle") == "none"
    admin.check("the configurator's iframe preview")


@pytest.mark.browser
def test_the_expert_dashboard_breaks_no_rule(live_server, watched, answer, erin):
    expert = watched()
    sign_in(expert.page, erin)
    expert.visit("/experts/dashboard/")
    expect_styled_charts(expert.page, 2)


@pytest.mark.browser
def test_the_coordinator_console_breaks_no_rule(live_server, watched, answer, colin, erin):
    console = watched()
    sign_in(console.page, colin)
    console.visit("/admin/")
    expect(console.page.locator("#wagtail")).to_be_visible()

    # A page's edit screen: Wagtail's editor, its date pickers (inline scripts of Wagtail's own) and tabs.
    console.visit(f"/admin/pages/{answer.pk}/edit/")
    expect(console.page.locator("#id_answer")).to_be_visible()
    console.page.locator("#id_checked_on").click()
    expect(console.page.locator(".xdsoft_datetimepicker:visible")).to_have_count(1)
    console.check("the page editor's date picker")

    # The image chooser, from an expert's profile, with its thumbnails. (Coordinators are given no image
    # permissions by setup.py; here they may choose images, so that the chooser lists one.)
    root = Collection.get_first_root_node() or Collection.add_root(name="Root")  # flushed by an earlier live test
    choose = Permission.objects.get(content_type__app_label="wagtailimages", codename="choose_image")
    GroupCollectionPermission.objects.create(group=colin.groups.get(), collection=root, permission=choose)
    make_image(title="Erin at her desk")
    profile = ExpertProfile.objects.get(user=erin)
    console.visit(f"/admin/snippets/experts/expertprofile/edit/{profile.pk}/")
    console.page.get_by_role("button", name="Choose an image").click()
    modal = console.page.locator(".modal-dialog")
    thumbnail = modal.get_by_role("img", name="Erin at her desk")
    expect(thumbnail).to_be_visible()
    console.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    console.check("the image chooser")

    # The console's own screens: a report with a chart, and a list filtered in place (Wagtail's listing filters).
    console.visit("/admin/experts/reports/sla-compliance/")
    expect_styled_charts(console.page, 5)
    console.visit("/admin/questions/all/")
    console.page.get_by_role("button", name="Show filters").click()
    console.page.get_by_role("button", name="Status").click()
    console.page.get_by_label("Answered", exact=True).check()
    expect(console.page).to_have_url(re.compile(r"/admin/questions/all/\?(.*&)?status=published(&|$)"))
    console.check("the question list's filter")


class StrictMemberSite:
    """A member's website with a strict policy of its own: scripts and frames from us only, no inline styles."""

    PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Members</title></head>
<body><h1>Northshire members</h1>{embed}<p id="after">After the widget</p></body></html>"""

    def __init__(self, widget_base):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 -- http.server's name
                key = self.path.rsplit("key=", 1)[-1]
                if self.path.startswith("/script.html"):
                    embed = f'<script src="{widget_base}/embed/widget.js" data-key="{key}" async></script>'
                else:
                    embed = f'<iframe src="{widget_base}/embed/frame/?key={key}" title="Answers"></iframe>'
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header(
                    "Content-Security-Policy",
                    f"default-src 'none'; script-src {widget_base}; connect-src {widget_base}; "
                    f"frame-src {widget_base}; style-src 'none'",
                )
                self.end_headers()
                self.wfile.write(site.PAGE.format(embed=embed).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.browser
def test_the_widget_works_on_a_member_site_with_a_strict_policy(live_server, watched, answer, northshire):
    site = StrictMemberSite(live_server.url)
    try:
        key = AccessKey.objects.create(
            network=northshire, name="Members' site", kind="widget", allowed_origins=site.origin
        )
        member = watched()
        member.visit(f"{site.origin}/script.html?key={key.key}")
        link = member.page.locator("[data-ask-an-expert] li > a").first
        expect(link).to_have_text(answer.title)
        assert link.evaluate("a => getComputedStyle(a).color") == GREEN_LINK
        member.check("the script widget under the member's policy")

        member.visit(f"{site.origin}/frame.html?key={key.key}")
        expect(member.page.frame_locator("iframe").get_by_role("link", name=answer.title)).to_be_visible()
        member.check("the iframe widget under the member's policy")
    finally:
        site.close()
