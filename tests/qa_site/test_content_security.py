"""The Content-Security-Policy (qa_site/content_security.py, settings.CONTENT_SECURITY_POLICY): on every kind of
page, strict outside the admin, relaxed for inline code under /admin/ only; the widget's iframe keeps its own;
data endpoints unchanged. tests/browser/test_csp.py shows chromium refuses nothing on these pages."""

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils import timezone

from qa_site.content_security import media_source
from qa_site.knowledge.models import Question
from qa_site.settings.env import env_csp_sources
from subscriptions.models import AccessKey
from tests.factories import make_published_page

ROOT = Path(__file__).resolve().parents[2]
STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
}
ADMIN = {**STRICT, "script-src": ["'self'", "'unsafe-inline'"], "style-src": ["'self'", "'unsafe-inline'"]}
SITE = "https://www.northshire.example.org"


def policy(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} twice"
        directives[name] = sources
    return directives


def nonce_of(directives):
    nonces = {source for source in directives["script-src"] + directives["style-src"] if source.startswith("'nonce-")}
    assert len(nonces) <= 1
    return nonces.pop()[len("'nonce-") : -1] if nonces else None


def with_nonce(nonce):
    source = f"'nonce-{nonce}'"
    return {**STRICT, "script-src": ["'self'", source], "style-src": ["'self'", source]}


@pytest.fixture
def answer(topic, erin, northshire):
    """A public answer Erin wrote for Northshire last week, in time: the value report and her dashboard chart it."""
    page = make_published_page(topic=topic, title="Volunteer drivers and mileage", expert=erin, network=northshire)
    answered = timezone.now() - dt.timedelta(days=7)
    Question.objects.filter(pk=page.question_id).update(
        submitted_at=answered - dt.timedelta(days=1),
        answered_at=answered,
        working_hours_to_answer=Decimal("6.5"),
        sla_met=True,
        sla_running=False,
    )
    return page


@pytest.fixture
def key(northshire, nadia):
    return AccessKey.objects.create(
        network=northshire, name="Website", kind="widget", created_by=nadia, allowed_origins=SITE
    )


@pytest.fixture
def alices_question(alice, northshire, topic):
    return Question.objects.create(
        title="Can we pay a trustee for training?",
        details="One trustee is a qualified trainer and offered to run a course for us.",
        topic=topic,
        asker=alice,
        network=northshire,
        status=Question.Status.SUBMITTED,
        sla_hours=48,
        submitted_at=timezone.now(),
    )


# (who, address or a name resolved below, whether the page draws charts)
SITE_PAGES = [
    (None, "/", False),
    (None, "topic", False),
    (None, "answer", False),
    (None, "/search/?q=mileage", False),
    (None, "/experts/", False),
    (None, "/accounts/login/", False),
    (None, "/subscribe/", False),
    ("alice", "/ask/", False),
    ("alice", "answer", False),
    ("alice", "question", False),
    ("alice", "/account/", False),
    ("nadia", "/network/northshire/", False),
    ("nadia", "configurator", False),
    ("nadia", "/network/northshire/report/", True),
    ("erin", "/experts/dashboard/", True),
]
ADMIN_PAGES = ["/admin/", "page_edit", "/admin/questions/all/", "/admin/experts/reports/sla-compliance/"]


def address(name, *, answer, topic=None, key=None, question=None):
    addresses = {
        "topic": lambda: topic.url,
        "answer": lambda: answer.url,
        "question": lambda: f"/questions/{question.pk}/",
        "configurator": lambda: f"/network/northshire/keys/{key.pk}/widget/",
        "page_edit": lambda: f"/admin/pages/{answer.pk}/edit/",
    }
    return addresses[name]() if name in addresses else name


def as_person(client, request, who):
    if who:
        client.force_login(request.getfixturevalue(who))
    return client


def inline_code(html):
    """Scripts with no src (other than JSON-LD data), event-handler attributes, style attributes, <style> nonces."""
    page = BeautifulSoup(html, "html.parser")
    scripts = [s for s in page.find_all("script") if not s.get("src") and s.get("type") != "application/ld+json"]
    handlers = [f"{tag.name}[{name}]" for tag in page.find_all(True) for name in tag.attrs if name.startswith("on")]
    styled = [tag.name for tag in page.find_all(style=True)]
    style_nonces = {style.get("nonce") for style in page.find_all("style")}
    return scripts, handlers, styled, style_nonces


@pytest.mark.parametrize(("who", "where", "charts"), SITE_PAGES)
def test_every_kind_of_page_carries_the_strict_policy_and_no_inline_code(
    client, request, who, where, charts, answer, topic, key, alices_question
):
    path = address(where, answer=answer, topic=topic, key=key, question=alices_question)
    response = as_person(client, request, who).get(path)
    assert response.status_code == 200, path
    directives = policy(response)
    nonce = nonce_of(directives)
    if charts:
        assert nonce, path
        assert directives == with_nonce(nonce)
    else:
        assert directives == STRICT  # no nonce: nothing inline asked for one
    scripts, handlers, styled, style_nonces = inline_code(response.content)
    assert (scripts, handlers, styled) == ([], [], [])
    assert style_nonces == ({nonce} if charts else set())  # every chart's <style> carries the page's nonce


def test_error_pages_carry_it_too(client, site_tree):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert policy(response) == STRICT
    html = render_to_string("500.html")  # rendered with no request: it can have no nonce, so it needs none
    assert ("style=" in html, "<style" in html, "<script" in html) == (False, False, False)


def test_the_nonce_is_new_for_every_response(client, nadia, answer):
    client.force_login(nadia)
    first, second = (nonce_of(policy(client.get("/network/northshire/report/"))) for _ in range(2))
    assert first
    assert second != first
    assert len(first) >= 22  # 16 random bytes, base64


@pytest.mark.parametrize("where", ADMIN_PAGES)
def test_the_admin_allows_inline_scripts_and_styles_and_nothing_more(client, colin, answer, where):
    client.force_login(colin)
    response = client.get(address(where, answer=answer))
    assert response.status_code == 200
    assert policy(response) == ADMIN  # no nonce (it would switch 'unsafe-inline' off), even beside a chart
    _, handlers, _, _ = inline_code(response.content)
    assert handlers == []  # the console's own templates use listeners (Wagtail's w-submit), not on* attributes


def test_the_question_list_filters_through_wagtails_own_listing(client, colin):
    client.force_login(colin)
    response = client.get("/admin/questions/all/")
    page = BeautifulSoup(response.content, "html.parser")
    assert page.find(attrs={"name": "status"}) is not None  # Wagtail's filters, driven by its own controllers
    _, handlers, _, _ = inline_code(response.content)
    assert handlers == []


def test_withdrawing_asks_through_a_script(client, alice, alices_question):
    client.force_login(alice)
    page = BeautifulSoup(client.get(f"/questions/{alices_question.pk}/").content, "html.parser")
    form = page.select_one(f'form[action="/questions/{alices_question.pk}/withdraw/"]')
    assert form["data-confirm"] == "Withdraw this question?"
    assert page.select_one('script[src$="js/confirm.js"]') is not None


def test_the_widget_iframe_keeps_its_own_policy_with_the_keys_websites(client, key, answer):
    response = client.get("/embed/frame/", {"key": key.key})
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors 'self' {SITE}"
    )
    assert "X-Frame-Options" not in response
    refused = client.get("/embed/frame/", {"key": "no-such-key-0123456789"})
    assert refused.status_code == 404
    assert refused["Content-Security-Policy"].endswith("; frame-ancestors 'self'")  # its own, not the site's


def test_the_configurator_preview_has_no_style_attribute_but_the_snippet_keeps_its_own(client, nadia, key, topic):
    client.force_login(nadia)
    response = client.get(f"/network/northshire/keys/{key.pk}/widget/", {"variant": "iframe", "count": "3"})
    page = BeautifulSoup(response.content, "html.parser")
    assert page.select_one('[data-testid="preview"] iframe').get("style") is None
    assert 'style="border:0"' in page.select_one('[data-testid="snippet"]').get_text()


def test_json_xml_and_script_endpoints_are_unchanged(client, key, answer):
    answers = client.get("/embed/answers.json", {"key": key.key}, HTTP_ORIGIN=SITE)
    assert answers.status_code == 200
    assert answers["Access-Control-Allow-Origin"] == SITE
    assert [item["title"] for item in answers.json()["items"]] == ["Volunteer drivers and mileage"]

    rss = client.get("/feeds/latest.rss")
    assert rss.status_code == 200
    assert rss["Content-Type"].startswith("application/rss+xml")
    assert b"<title>Volunteer drivers and mileage</title>" in rss.content

    oembed = client.get("/oembed/", {"url": f"http://testserver{answer.url}", "format": "json"})
    assert oembed.status_code == 200
    assert oembed.json()["title"] == "Volunteer drivers and mileage"

    script = client.get("/embed/widget.js")
    assert script.status_code == 200
    assert script["Content-Type"] == "text/javascript; charset=utf-8"
    assert "Content-Security-Policy" not in script  # other websites load it: their policy is the one that counts
    assert "adoptedStyleSheets" in script.content.decode()  # no inline <style> for their policy to refuse


def test_images_may_come_from_media_url_when_uploads_live_elsewhere(client, settings, site_tree):
    settings.MEDIA_URL = "https://qa-media.s3.eu-west-2.amazonaws.com/uploads/"
    assert policy(client.get("/"))["img-src"] == [
        "'self'",
        "data:",
        "https://qa-media.s3.eu-west-2.amazonaws.com/uploads/",
    ]


@pytest.mark.parametrize(
    ("media_url", "source"),
    [
        ("/media/", None),
        ("https://media.example.org/", "https://media.example.org/"),
        ("https://media.example.org", "https://media.example.org/"),
        ("https://s3.example.org/bucket/media/photo.jpg", "https://s3.example.org/bucket/media/"),
        ("//cdn.example.org/media/", "//cdn.example.org/media/"),
        ("https://cdn.example.org/media/?x-id=GetObject", "https://cdn.example.org/media/"),
    ],
)
def test_the_media_source_is_media_urls_address_narrowed_to_its_folder(media_url, source):
    assert media_source(media_url) == source


def test_a_media_url_that_would_add_a_directive_is_refused():
    with pytest.raises(ImproperlyConfigured, match="cannot be used in a Content-Security-Policy"):
        media_source("https://media.example.org/a;script-src/")


@pytest.mark.parametrize(
    "value", ["'unsafe-inline'", "*", "https:", "'none'", "a.example.org;script-src *", "data:", "javascript:x"]
)
def test_operators_cannot_open_the_policy_wide(monkeypatch, value):
    monkeypatch.setenv("CSP_EXTRA_SCRIPT_SRC", value)
    with pytest.raises(ImproperlyConfigured, match="CSP_EXTRA_SCRIPT_SRC"):
        env_csp_sources("CSP_EXTRA_SCRIPT_SRC")


def test_operators_add_sources_through_the_environment():
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CSP_EXTRA_")},
        "DJANGO_SETTINGS_MODULE": "qa_site.settings.test",
        "CSP_EXTRA_SCRIPT_SRC": "https://plausible.io, 'sha256-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG='",
        "CSP_EXTRA_CONNECT_SRC": "https://plausible.io",
        "CSP_EXTRA_IMG_SRC": "*.tile.example.org",
    }
    code = (
        "from django.conf import settings; d = settings.CONTENT_SECURITY_POLICY['DIRECTIVES']; "
        "print([[str(s) for s in d[n]] for n in ('script-src', 'connect-src', 'img-src', 'style-src')])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == str(
        [
            [
                "'self'",
                "csp.constants.NONCE",
                "https://plausible.io",
                "'sha256-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG='",
            ],
            ["'self'", "https://plausible.io"],
            ["'self'", "data:", "*.tile.example.org"],
            ["'self'", "csp.constants.NONCE"],
        ]
    )
