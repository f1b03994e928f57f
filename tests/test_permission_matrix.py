"""Every URL of the product against seven personas: who gets 200, a redirect to sign in, 403, 404 or 405.

The table ``MATRIX`` has one row per URL (several for a URL that matters with different objects); each row gives
the URL name (or ``page:<PageModel>`` for pages Wagtail serves), how to build the concrete URL from the world in
``tests/matrix_world.py``, the method, and the outcome for each persona, in the order of the columns:

    anonymous  adviser  expired  other  netadmin  expert  coordinator

Outcomes:
    200     the page
    teaser  200, with the teaser of a public answer and without its full text
    login   a redirect to the sign-in page (the Wagtail admin sends signed-in non-staff there too)
    302     a redirect elsewhere (after a change, or to the one page that fits)
    400 403 404 405 410  that status

Beside the status, every response (whatever its status) is searched for the texts its persona must never see
(``SECRETS``: private questions, the network-only answers of other networks, the full text of public answers for
people without a subscription), and ``CONTENT`` says which listings must show which answers to whom. What is searched
is all the persona gets: the body, the address a redirect sends them to (its ``Location``), and the messages left for
the next page; a title is looked for as written and as a page's slug, unless the request's own URL carried it.

``test_every_product_url_has_a_row`` walks the URL resolver: a named URL served by the product's own code without a
row here fails it, by name.
"""

import re
from urllib.parse import unquote, urlencode

import pytest
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages import get_messages
from django.db import transaction
from django.db.models import Q
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Page

from subscriptions import access

from .matrix_world import (
    NETWORK_TITLE,
    OPEN_TITLE,
    PERSONAS,
    PRIVATE_TITLE,
    PUBLIC_CLOSING,
    PUBLIC_TITLE,
    REVIEW_UPDATE,
    SECRETS,
    TEASER_NOTICE,
    TRIAGE_TITLE,
    WESTVALE_TITLE,
    shared_world,
)

PRODUCT_PACKAGES = ("qa_site", "experts", "subscriptions", "search", "feeds")
LOGIN_PREFIXES = ("/accounts/login/",)
GET, POST = "GET", "POST"


class Row:
    def __init__(self, label, url, expected, *, method=GET, data=None):
        self.label = label
        self.name = label.split(" [")[0]
        self.url = url
        self.method = method
        self.data = data or {}
        self.expected = dict(zip(PERSONAS, expected.split(), strict=True))


def at(*paths, query=""):
    """A URL builder: reverse(name, args=[world attributes by dotted path]) plus a query string."""

    def resolve(world, path):
        value = world
        for part in path.split("."):
            value = getattr(value, part)
        return value

    def build(world, name):
        return reverse(name, args=[resolve(world, path) for path in paths]) + query

    return build


def page(attribute):
    return lambda world, name: getattr(world, attribute).url


def fixed(path):
    return lambda world, name: path


def this_month(world, name):
    return reverse(name, args=[f"{timezone.localdate():%Y-%m}"])


def with_key(attribute):
    """The URL with ``?key=`` the world's access key named ``attribute``."""
    return lambda world, name: reverse(name) + f"?key={getattr(world, attribute).key}"


def oembed_of(attribute):
    return lambda world, name: (
        reverse(name) + "?" + urlencode({"url": "http://testserver" + getattr(world, attribute).url})
    )


def get(label, url, expected):
    return Row(label, url, expected)


def post(label, url, expected, **data):
    return Row(label, url, expected, method=POST, data=data)


MAIL = "20261207-091500-000001-answered.eml"  # a name the development mailbox would give a mail
A_MAIL, A_MAIL_RAW = fixed(f"/admin/mail/{MAIL}/"), fixed(f"/admin/mail/{MAIL}/raw/")

# fmt: off
MATRIX = [
    #                                                                     anon  adv   exp   oth   nadm  expt  coord
    # --- The knowledge base (Wagtail pages)
    get( "page:HomePage",                     fixed("/"),                "200   200   200   200   200   200   200"),
    get( "page:TopicIndexPage",               fixed("/topics/"),         "200   200   200   200   200   200   200"),
    get( "page:TopicPage",                    page("topic"),             "200   200   200   200   200   200   200"),
    get( "page:TopicPage [page 2, junk]",     lambda w, n: w.topic.url + "?page=x",
                                                                         "200   200   200   200   200   200   200"),
    get( "page:QuestionPage [public]",        page("public_page"),       "teaser 200   teaser 200   200   200   200"),
    get( "page:QuestionPage [Northshire]",    page("network_page"),      "login 200   403   403   200   200   200"),
    get( "page:QuestionPage [Westvale]",      page("westvale_page"),     "login 403   403   200   403   403   200"),
    # --- Public pages, search and feeds
    get( "subscribe",                         at(),                      "200   200   200   200   200   200   200"),
    get( "subscribe_sent",                    at(),                      "302   302   302   302   302   302   302"),
    post("payment_webhook",                   fixed("/payments/webhook/signed-json/"),
                                                                         "400   400   400   400   400   400   400"),
    # Inbound mail (replies by e-mail) wants the provider's basic auth, never a session: 401 to every persona; a
    # provider that needs settings of its own (a signing key: Brevo, Mailgun, MailerSend, Mailtrap,
    # Postal, Resend) answers 404 until they are set.
    post("replies:raw_mime_inbound",          at(),                      "401   401   401   401   401   401   401"),
    post("replies:amazon_ses_inbound_webhook",  at(),                      "401   401   401   401   401   401   401"),
    post("replies:brevo_inbound_webhook",       at(),                      "404   404   404   404   404   404   404"),
    post("replies:mailersend_inbound_webhook",  at(),                      "404   404   404   404   404   404   404"),
    post("replies:mailgun_inbound_webhook",     at(),                      "404   404   404   404   404   404   404"),
    post("replies:mailjet_inbound_webhook",     at(),                      "401   401   401   401   401   401   401"),
    post("replies:mailtrap_inbound_webhook",    at(),                      "404   404   404   404   404   404   404"),
    post("replies:postal_inbound_webhook",      at(),                      "404   404   404   404   404   404   404"),
    post("replies:postmark_inbound_webhook",    at(),                      "401   401   401   401   401   401   401"),
    post("replies:resend_inbound_webhook",      at(),                      "404   404   404   404   404   404   404"),
    post("replies:sparkpost_inbound_webhook",   at(),                      "401   401   401   401   401   401   401"),
    get( "search:search",                     at(query="?q=guidance"),   "200   200   200   200   200   200   200"),
    get( "search:search [Northshire words]",  at(query="?q=Glimmerstone"),
                                                                         "200   200   200   200   200   200   200"),
    get( "search:search [Westvale words]",    at(query="?q=Brackenwhirl"),
                                                                         "200   200   200   200   200   200   200"),
    get( "search:search [private words]",     at(query="?q=Zebracorn+Quillfeather"),
                                                                         "200   200   200   200   200   200   200"),
    get( "feeds:latest_rss",                  at(),                      "200   200   200   200   200   200   200"),
    get( "feeds:latest_atom",                 at(),                      "200   200   200   200   200   200   200"),
    get( "experts:panel",                     at(),                      "200   200   200   200   200   200   200"),
    get( "experts:profile",                   at("expert_profile.slug"), "200   200   200   200   200   200   200"),
    get( "experts:profile [other expert]",    at("other_expert_profile.slug"),
                                                                         "200   200   200   200   200   200   200"),
    get( "experts:profile [missing]",         fixed("/experts/nobody-by-that-name/"),
                                                                         "404   404   404   404   404   404   404"),
    # --- The adviser's questions
    get( "knowledge:ask",                     at(),                      "login 200   403   200   200   403   403"),
    get( "knowledge:my_questions",            at(),                      "login 200   200   200   200   200   200"),
    get( "knowledge:question",                at("private_question.pk"), "login 200   403   403   403   200   200"),
    get( "knowledge:question [open]",         at("open_question.pk"),    "login 200   403   403   403   200   200"),
    get( "knowledge:question [triage]",       at("triage_question.pk"),  "login 403   403   200   403   403   200"),
    get( "knowledge:question [missing]",      fixed("/questions/999999/"),
                                                                         "login 404   404   404   404   404   404"),
    post("knowledge:reply",                   at("private_question.pk"),
                                                                         "login 302   403   403   403   302   302",
         reply="Here is the extra detail you asked for."),
    post("knowledge:withdraw",                at("open_question.pk"),    "login 302   403   403   403   302   302"),
    post("knowledge:rate",                    at("public_page.question_id"),
                                                                         "login 302   403   302   302   403   302",
         stars="4"),
    post("knowledge:rate [Westvale]",         at("westvale_page.question_id"),
                                                                         "login 404   404   302   404   404   302",
         stars="4"),
    post("knowledge:rate [Westvale, no stars]", at("westvale_page.question_id"),
                                                                         "login 404   404   302   404   404   302",
         stars=""),
    # --- Experts
    get( "experts:dashboard",                 at(),                      "login 403   403   403   403   200   403"),
    get( "experts:question",                  at("open_question.pk"),    "login 403   403   403   403   200   403"),
    get( "experts:question [in review]",      at("private_question.pk"), "login 403   403   403   403   200   403"),
    get( "experts:question [triage]",         at("triage_question.pk"),  "login 403   403   403   403   403   403"),
    post("experts:accept",                    at("open_question.pk"),    "login 403   403   403   403   302   403"),
    get( "experts:settings",                  at(),                      "login 403   403   403   403   200   403"),
    get( "experts:apply",                     at(),                      "login 200   200   200   200   200   200"),
    get( "experts:statements",                at(),                      "login 403   403   403   403   200   403"),
    get( "experts:statement",                 this_month,                "login 403   403   403   403   200   403"),
    get( "experts:statement [csv]",           lambda w, n: this_month(w, n) + "?format=csv",
                                                                         "login 403   403   403   403   200   403"),
    # --- Accounts
    get( "accounts:account",                  at(),                      "login 200   200   200   200   200   200"),
    get( "accounts:data",                     at(),                      "login 200   200   200   200   200   200"),
    get( "accounts:delete",                   at(),                      "login 200   200   200   200   200   200"),
    get( "accounts:goodbye",                  at(),                      "200   302   302   302   302   302   302"),
    # --- Personal API tokens (the API itself, by token, is in tests/api/test_api_matrix.py)
    get( "api_tokens:list",                   at(),                      "login 200   200   200   200   200   200"),
    post("api_tokens:list [make]",            at(),                      "login 200   200   200   200   200   200",
         name="Our case system", scopes=["read", "ask"]),
    post("api_tokens:revoke",                 lambda w, n: reverse(n, args=[1]),
                                                                         "login 302   302   302   302   302   302"),
    # --- The network admin's pages
    get( "network:dashboard",                 at(),                      "login 403   403   403   302   403   200"),
    get( "network:network",                   at("northshire.slug"),     "login 403   403   403   200   403   200"),
    get( "network:network [another]",         at("westvale.slug"),       "login 403   403   403   403   403   200"),
    get( "network:network [missing]",         fixed("/network/no-such-network/"),
                                                                         "login 404   404   404   404   404   404"),
    get( "network:plan",                      at("northshire.slug"),     "login 403   403   403   200   403   200"),
    post("network:plan [quote]",              at("northshire.slug"),     "login 403   403   403   200   403   200",
         action="quote", plan="@subscription.plan_id", seats="40"),
    get( "network:plan [another]",            at("westvale.slug"),       "login 403   403   403   403   403   200"),
    get( "network:members",                   at("northshire.slug"),     "login 403   403   403   200   403   200"),
    get( "network:member_remove",             at("northshire.slug", "alice_membership.pk"),
                                                                         "login 403   403   403   200   403   200"),
    post("network:member_remove [post]",      at("northshire.slug", "alice_membership.pk"),
                                                                         "login 403   403   403   302   403   302"),
    post("network:member_role",               at("northshire.slug", "alice_membership.pk"),
                                                                         "login 403   403   403   302   403   302",
         role="admin"),
    post("network:invitation_revoke",         at("northshire.slug", "invitation.pk"),
                                                                         "login 403   403   403   302   403   302"),
    get( "network:invoices",                  at("northshire.slug"),     "login 403   403   403   200   403   200"),
    get( "network:invoice",                   at("invoice.pk"),          "login 404   404   404   200   404   200"),
    get( "network:invoice [csv]",             at("invoice.pk", query="?format=csv"),
                                                                         "login 404   404   404   200   404   200"),
    get( "network:keys",                      at("northshire.slug"),     "login 403   403   403   200   403   200"),
    get( "network:key_edit",                  at("northshire.slug", "key.pk"),
                                                                         "login 403   403   403   200   403   200"),
    post("network:key_revoke",                at("northshire.slug", "key.pk"),
                                                                         "login 403   403   403   302   403   302"),
    get( "network:report",                    at("northshire.slug"),     "login 403   403   403   200   403   200"),
    # --- The network admin's webhooks (qa_site.webhooks, at /network/<slug>/webhooks/)
    get( "webhooks:endpoints",                at("northshire.slug"),     "login 403   403   403   200   403   200"),
    get( "webhooks:endpoints [another]",      at("westvale.slug"),       "login 403   403   403   403   403   200"),
    Row( "webhooks:endpoints [add]",          at("northshire.slug"),     "login 403   403   403   302   403   302",
         method=POST, data={"url": "https://crm.example.org/hook", "events": ["answer.published"]}),
    get( "webhooks:endpoint",                 at("northshire.slug", "webhook_endpoint.pk"),
                                                                         "login 403   403   403   200   403   200"),
    get( "webhooks:endpoint [another network]", at("westvale.slug", "webhook_endpoint.pk"),
                                                                         "login 403   403   403   403   403   404"),
    get( "webhooks:edit",                     at("northshire.slug", "webhook_endpoint.pk"),
                                                                         "login 403   403   403   200   403   200"),
    post("webhooks:rotate",                   at("northshire.slug", "webhook_endpoint.pk"),
                                                                         "login 403   403   403   302   403   302"),
    post("webhooks:test",                     at("northshire.slug", "webhook_endpoint.pk"),
                                                                         "login 403   403   403   302   403   302"),
    post("webhooks:switch_off",               at("northshire.slug", "webhook_endpoint.pk"),
                                                                         "login 403   403   403   302   403   302"),
    post("webhooks:switch_on",                at("northshire.slug", "webhook_endpoint.pk"),
                                                                         "login 403   403   403   302   403   302"),
    post("webhooks:delete",                   at("northshire.slug", "webhook_endpoint.pk"),
                                                                         "login 403   403   403   302   403   302"),
    get( "network:report [csv]",              at("northshire.slug", query="?export=csv"),
                                                                         "login 403   403   403   200   403   200"),
    get( "network:invitation",                at("invitation_token"),    "200   403   403   403   403   403   403"),
    get( "network:invitation [forged]",       fixed("/network/join/forged:token/"),
                                                                         "404   404   404   404   404   404   404"),
    # --- Coordinator console: questions
    get( "knowledge_admin:review_queue",      at(),                      "login login login login login login 200"),
    get( "knowledge_admin:review",            at("private_question.pk"), "login login login login login login 200"),
    get( "knowledge_admin:questions",         at(),                      "login login login login login login 200"),
    get( "all_questions:index",               at(),                      "login login login login login login 200"),
    get( "all_questions:index [xlsx]",        at(query="?export=xlsx"),  "login login login login login login 200"),
    get( "all_questions:index_results",       at(),                      "login login login login login login 200"),
    get( "knowledge_admin:question",          at("private_question.pk"), "login login login login login login 200"),
    # --- Coordinator console: routing, the panel, reports
    get( "experts_admin:triage",              at(),                      "login login login login login login 200"),
    post("experts_admin:assign",              at("triage_question.pk"),
                                                                         "login login login login login login 302",
         expert="@other_expert_profile.pk"),
    get( "experts_admin:sla_board",           at(),                      "login login login login login login 200"),
    post("experts_admin:reassign",            at("open_question.pk"),
                                                                         "login login login login login login 302",
         expert="@other_expert_profile.pk"),
    get( "experts_admin:panel",               at(),                      "login login login login login login 200"),
    post("experts_admin:expert_status",       at("other_expert_profile.pk"),
                                                                         "login login login login login login 302",
         status="paused"),
    get( "experts_admin:expert_retire",       at("expert_profile.pk"),   "login login login login login login 200"),
    get( "experts_admin:applications",        at(),                      "login login login login login login 200"),
    post("experts_admin:application_decide",  at("application.pk"),
                                                                         "login login login login login login 302",
         action="approve"),
    get( "experts_admin:compliance",          at(),                      "login login login login login login 200"),
    get( "experts_admin:compliance [csv]",    at(query="?export=expert"),
                                                                         "login login login login login login 200"),
    get( "experts_admin:fees",                at(),                      "login login login login login login 200"),
    get( "experts_admin:fees [csv]",          at(query="?export=csv"),   "login login login login login login 200"),
    # --- Coordinator console: billing
    get( "billing_admin:networks",            at(),                      "login login login login login login 200"),
    get( "joining_admin:list",                at(),                      "login login login login login login 200"),
    get( "joining_admin:detail",              at("join_request.pk"),     "login login login login login login 200"),
    post("joining_admin:detail [refuse]",     at("join_request.pk"),     "login login login login login login 302",
         decision="refuse", note="Not a network."),
    get( "billing_admin:start",               at("eastmoor.pk"),         "login login login login login login 200"),
    get( "billing_admin:change",              at("subscription.pk"),     "login login login login login login 200"),
    get( "billing_admin:cancel",              at("subscription.pk"),     "login login login login login login 200"),
    get( "billing_admin:invoices",            at(),                      "login login login login login login 200"),
    get( "invoice_list:index",                at(),                      "login login login login login login 200"),
    get( "invoice_list:index [csv]",          at(query="?export=csv"),   "login login login login login login 200"),
    get( "invoice_list:index_results",        at(),                      "login login login login login login 200"),
    get( "billing_admin:invoice",             at("invoice.pk"),          "login login login login login login 200"),
    get( "billing_admin:invoice_print",       at("invoice.pk"),          "login login login login login login 200"),
    get( "billing_admin:invoice_csv",         at("invoice.pk"),          "login login login login login login 200"),
    post("billing_admin:invoice_void",        at("invoice.pk"),          "login login login login login login 302"),
    get( "billing_admin:webhooks",            at(),                      "login login login login login login 200"),
    get( "billing_admin:report",              at(),                      "login login login login login login 200"),
    get( "billing_admin:report [csv]",        at(query="?export=csv"),   "login login login login login login 200"),
    # --- The development mailbox: not in use under the test settings (locmem), so not there even for coordinators
    get( "devmail:list",                      at(),                      "login login login login login login 404"),
    get( "devmail:mail",                      A_MAIL,                    "login login login login login login 404"),
    get( "devmail:raw",                       A_MAIL_RAW,                "login login login login login login 404"),
    # --- Feeds, widgets, oEmbed and alerts
    get( "feeds:topic_rss",                   at("topic.slug"),          "200   200   200   200   200   200   200"),
    get( "feeds:topic_atom",                  at("topic.slug"),          "200   200   200   200   200   200   200"),
    get( "feeds:expert_rss",                  at("expert_profile.slug"), "200   200   200   200   200   200   200"),
    get( "feeds:expert_atom",                 at("expert_profile.slug"), "200   200   200   200   200   200   200"),
    get( "feeds:key_rss",                     at("feed_key.key"),        "200   200   200   200   200   200   200"),
    get( "feeds:key_atom",                    at("feed_key.key"),        "200   200   200   200   200   200   200"),
    get( "embed:script",                      at(),                      "200   200   200   200   200   200   200"),
    get( "embed:answers",                     with_key("key"),           "200   200   200   200   200   200   200"),
    get( "embed:frame",                       with_key("key"),           "200   200   200   200   200   200   200"),
    get( "embed:click",                       at("public_page.pk"),      "302   302   302   302   302   302   302"),
    get( "oembed",                            oembed_of("public_page"),  "200   200   200   200   200   200   200"),
    get( "oembed [network-only answer]",      oembed_of("network_page"), "404   404   404   404   404   404   404"),
    get( "alerts:index",                      at(),                      "login 200   200   200   200   200   200"),
    post("alerts:follow",                     at(),
                                                                         "login 302   302   302   302   302   302",
         page="@topic.pk"),
    post("alerts:follow [Northshire answer]", at(),
                                                                         "login 302   404   404   302   302   302",
         page="@network_page.pk"),
    post("alerts:follow [Westvale answer]",   at(),
                                                                         "login 404   404   302   404   404   302",
         page="@westvale_page.pk"),
    post("alerts:change",                     at("follow.pk"),
                                                                         "login 302   404   404   404   404   404",
         frequency="daily"),
    post("alerts:unfollow",                   at("follow.pk"),           "login 302   404   404   404   404   404"),
    get( "alerts:unsubscribe",                at("unsubscribe_token"),   "200   200   200   200   200   200   200"),
    get( "alerts:unsubscribe [forged]",       fixed("/alerts/unsubscribe/forged/"),
                                                                         "400   400   400   400   400   400   400"),
    # --- Helpful votes, similar questions, reviews of published answers
    post("knowledge:helpful",                 at("public_page.pk"),
                                                                         "login 302   403   302   302   403   302",
         helpful="yes"),
    post("knowledge:helpful [Northshire]",    at("network_page.pk"),
                                                                         "404   302   404   404   302   403   302",
         helpful="yes"),
    post("knowledge:helpful [Westvale]",      at("westvale_page.pk"),
                                                                         "404   404   404   302   404   404   302",
         helpful="yes"),
    post("knowledge:helpful [Westvale, junk]", at("westvale_page.pk"),
                                                                         "404   404   404   400   404   404   400",
         helpful="maybe"),
    post("knowledge:markdown_preview",        at(),                      "403   403   403   403   403   200   200",
         text="Check:\n- your governing document"),
    get( "search:similar",                    at(query="?q=guidance"),   "login 200   403   200   200   403   403"),
    get( "search:similar_open",               at("public_page.pk"),      "login 302   403   302   302   403   403"),
    get( "experts:review",                    at("review.pk"),           "login 403   403   403   403   200   403"),
    get( "knowledge_admin:stale",             at(),                      "login login login login login login 200"),
    get( "knowledge_admin:review_update",     at("review.pk"),           "login login login login login login 200"),
    get( "search_admin:gaps",                 at(),                      "login login login login login login 200"),
    get( "network:key_widget",                at("northshire.slug", "key.pk"),
                                                                         "login 403   403   403   200   403   200"),
    # --- Reading with GET what only takes POST
    get( "payment_webhook [get]",             fixed("/payments/webhook/signed-json/"),
                                                                         "405   405   405   405   405   405   405"),
    get( "replies:raw_mime_inbound [get]",    at(),                      "405   405   405   405   405   405   405"),
    get( "knowledge:withdraw [get]",          at("open_question.pk"),    "login 405   405   405   405   405   405"),
    get( "experts:accept [get]",              at("open_question.pk"),    "405   405   405   405   405   405   405"),
    get( "knowledge:markdown_preview [get]",  at(),                      "405   405   405   405   405   405   405"),
    get( "experts_admin:assign [get]",        at("triage_question.pk"),  "login login login login login login 405"),
    get( "billing_admin:invoice_void [get]",  at("invoice.pk"),          "login login login login login login 405"),
    # --- Wagtail's own admin, for the product's models (not required by the completeness test) -----------------------
    get( "wagtailadmin_home",                 at(),                      "login login login login login login 200"),
    get( "wagtailsnippets_subscriptions_network:list", at(),
                                                                         "login login login login login login 200"),
    get( "wagtailsnippets_experts_expertprofile:list", at(),
                                                                         "login login login login login login 200"),
]
# fmt: on

# Which listings show which answers or questions to whom: each persona named sees the text (on a 200), every other
# persona does not see it in that response at all.
EVERYONE = set(PERSONAS)
SUBSCRIBERS = {"adviser", "other", "netadmin", "expert", "coordinator"}
NORTHSHIRE_READERS = {"adviser", "netadmin", "expert", "coordinator"}  # the expert wrote it
WESTVALE_READERS = {"other", "coordinator"}
LISTINGS = {PUBLIC_TITLE: EVERYONE, NETWORK_TITLE: NORTHSHIRE_READERS, WESTVALE_TITLE: WESTVALE_READERS}
CONTENT = {
    "page:HomePage": LISTINGS,
    "page:TopicPage": LISTINGS,
    "page:QuestionPage [public]": {PUBLIC_CLOSING: SUBSCRIBERS, TEASER_NOTICE: {"anonymous", "expired"}},
    "page:QuestionPage [Northshire]": {NETWORK_TITLE: NORTHSHIRE_READERS},
    "page:QuestionPage [Westvale]": {WESTVALE_TITLE: WESTVALE_READERS},
    "search:search": LISTINGS,
    "search:search [Northshire words]": {NETWORK_TITLE: NORTHSHIRE_READERS},
    "search:search [Westvale words]": {WESTVALE_TITLE: WESTVALE_READERS},
    "feeds:latest_rss": {PUBLIC_TITLE: EVERYONE, NETWORK_TITLE: set(), WESTVALE_TITLE: set()},
    "feeds:latest_atom": {PUBLIC_TITLE: EVERYONE, NETWORK_TITLE: set(), WESTVALE_TITLE: set()},
    "feeds:topic_rss": {PUBLIC_TITLE: EVERYONE, NETWORK_TITLE: set(), WESTVALE_TITLE: set()},
    "feeds:topic_atom": {PUBLIC_TITLE: EVERYONE, NETWORK_TITLE: set(), WESTVALE_TITLE: set()},
    "feeds:expert_rss": {PUBLIC_TITLE: EVERYONE, NETWORK_TITLE: set()},
    "feeds:expert_atom": {PUBLIC_TITLE: EVERYONE, NETWORK_TITLE: set()},
    "feeds:key_rss": {PUBLIC_TITLE: EVERYONE, WESTVALE_TITLE: EVERYONE, NETWORK_TITLE: set()},
    "feeds:key_atom": {PUBLIC_TITLE: EVERYONE, WESTVALE_TITLE: EVERYONE, NETWORK_TITLE: set()},
    "embed:answers": {PUBLIC_TITLE: EVERYONE, NETWORK_TITLE: set(), WESTVALE_TITLE: set()},
    "oembed": {PUBLIC_TITLE: EVERYONE},
    "experts:review": {REVIEW_UPDATE.strip()[:60]: {"expert"}},
    "knowledge_admin:review_update": {REVIEW_UPDATE.strip()[:60]: {"coordinator"}},
    "experts:profile": {PUBLIC_TITLE: EVERYONE, NETWORK_TITLE: NORTHSHIRE_READERS},
    "experts:profile [other expert]": {WESTVALE_TITLE: WESTVALE_READERS},
    "knowledge:my_questions": {
        PRIVATE_TITLE: {"adviser"},
        OPEN_TITLE: {"adviser"},
        TRIAGE_TITLE: {"other"},
    },
    "knowledge:question": {PRIVATE_TITLE: {"adviser", "expert", "coordinator"}},
    "experts:dashboard": {OPEN_TITLE: {"expert"}, PRIVATE_TITLE: {"expert"}},
    # The expert's data holds the answers she wrote, with their questions' titles.
    "accounts:data": {PRIVATE_TITLE: {"adviser", "expert"}, OPEN_TITLE: {"adviser"}, TRIAGE_TITLE: {"other"}},
    "knowledge_admin:review_queue": {PRIVATE_TITLE: {"coordinator"}},
    "knowledge_admin:questions": {PRIVATE_TITLE: {"coordinator"}, OPEN_TITLE: {"coordinator"}},
    "experts_admin:triage": {TRIAGE_TITLE: {"coordinator"}},
}


def _data(world, data):
    """POST data; values "@a.b" are read from the world by dotted path."""
    resolved = {}
    for key, value in data.items():
        if isinstance(value, str) and value.startswith("@"):
            target = world
            for part in value[1:].split("."):
                target = getattr(target, part)
            value = target
        resolved[key] = value
    return resolved


def _is_login(location):
    return location.startswith(LOGIN_PREFIXES)


def check(response, expected, path):
    """A problem with ``response`` against the expected outcome, or ""."""
    status = response.status_code
    location = response.get("Location", "")
    if expected == "login":
        if status != 302 or not _is_login(location):
            return f"expected a redirect to sign in, got {status} {location}".strip()
        if "next=" not in location:
            return f"the sign-in redirect forgets where to come back to: {location}"
        return ""
    if expected == "302":
        if status != 302:
            return f"expected a redirect, got {status}"
        if _is_login(location):
            return f"expected a redirect elsewhere, got one to sign in: {location}"
        return ""
    if expected == "teaser":
        if status != 200:
            return f"expected the teaser (200), got {status}"
        return ""
    if status != int(expected):
        return f"expected {expected}, got {status} {location}".strip()
    return ""


# A key is the authority, not the person: whoever holds Westvale's feed key reads what the key shows (Westvale's
# network-only answers: its plan has private feeds), signed in or not. Northshire's answers stay out of it.
KEY_SHOWS = {
    label: {"Westvale network-only title", "Westvale network-only answer"}
    for label in ("feeds:key_rss", "feeds:key_atom")
}


def leaks(body, persona, label="", asked=""):
    """The names of the secret texts ``body`` shows, as written or as a page's slug, but ``persona`` must not see.

    ``asked`` is the URL the persona requested: a slug it carried is no news to them (a redirect to sign in that
    comes back to the very page asked for names nothing new).
    """
    shown = KEY_SHOWS.get(label, set())
    return [
        name
        for name, (text, allowed) in SECRETS.items()
        if persona not in allowed
        and name not in shown
        and (text in body or (slugify(text) in body and slugify(text) not in asked))
    ]


def body_of(response):
    """The response's text, and after it the same without tags: search results highlight the words found
    (``<mark>Zebracorn</mark> private…``), which must not hide a secret from the checks."""
    if getattr(response, "streaming", False):
        text = b"".join(response.streaming_content).decode("utf-8", "replace")
    else:
        text = response.content.decode("utf-8", "replace")
    return text + "\n" + re.sub(r"<[^>]*>", "", text)


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker):
    with shared_world(django_db_blocker) as world:
        yield world


@pytest.fixture
def world(shared, db):
    """The world of tests/matrix_world.py, built once for the module; each test runs in its own savepoint."""
    return shared


def seen(response, body):
    """All a persona gets from ``response``, by part: the body, where it sends them, the messages for the next page."""
    return {
        "": body,
        " in its redirect": unquote(response.get("Location", "")),
        " in a message": "\n".join(str(message) for message in get_messages(response.wsgi_request)),
    }


def run_row(client, world, persona, row):
    """Request ``row`` as ``persona`` inside a savepoint that is rolled back, so no row changes the next."""
    path = row.url(world, row.name)
    with transaction.atomic():
        response = client.post(path, _data(world, row.data)) if row.method == POST else client.get(path)
        body = body_of(response)
        parts = seen(response, body)
        transaction.set_rollback(True)
    return path, response, body, parts


def matrix_problems(client, world, persona, rows=MATRIX):
    """Run ``rows`` as ``persona``: every way a response differs from the table, as readable lines."""
    client.raise_request_exception = False  # a 500 is reported with its row, and the other rows still run
    user = world.user(persona)
    if user is not None:
        client.force_login(user)
    problems = []
    for row in rows:
        expected = row.expected[persona]
        path, response, body, parts = run_row(client, world, persona, row)
        where = f"{row.label} ({row.method} {path}) as {persona}"
        problem = check(response, expected, path)
        if problem:
            problems.append(f"{where}: {problem}")
        for part, text in parts.items():
            leaked = leaks(text, persona, row.label, asked=unquote(path))
            if leaked:
                problems.append(f"{where}: shows {', '.join(leaked)}{part}")
        if expected == "teaser" and (TEASER_NOTICE not in body or PUBLIC_CLOSING in body):
            problems.append(f"{where}: expected the teaser only")
        for text, readers in CONTENT.get(row.label, {}).items():
            if persona in readers and response.status_code == 200 and text not in body:
                problems.append(f"{where}: should show {text!r}")
            if persona not in readers and text in body:
                problems.append(f"{where}: must not show {text!r}")
    return problems


@pytest.fixture
def generous_rates(settings):
    settings.RATE_LIMIT_INVITE = settings.RATE_LIMIT_ASK = settings.RATE_LIMIT_DELETE_ACCOUNT = "10000/h"


@pytest.mark.usefixtures("generous_rates")
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(client, world, persona):
    """Each row, as ``persona``: the expected outcome, no secret it must not see, and the listings it must see."""
    problems = matrix_problems(client, world, persona)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


@pytest.mark.usefixtures("generous_rates")
def test_the_matrix_notices_a_leaky_policy_and_a_wrong_status(client, world, monkeypatch):
    """The matrix can fail: with network-only answers shown to every subscriber, Westvale's adviser sees
    Northshire's answer in listings and on its page, and each is reported."""
    monkeypatch.setattr(access, "published_filter", lambda user: Q(visibility__in=["public", "network"]))
    monkeypatch.setattr(access, "can_see_published", lambda user, answer: True)
    rows = [row for row in MATRIX if row.label in ("page:TopicPage", "page:QuestionPage [Northshire]")]

    problems = "\n".join(matrix_problems(client, world, "other", rows))

    assert "page:TopicPage (GET /topics/charity-law/) as other: shows Northshire network-only title" in problems
    assert f"page:TopicPage (GET /topics/charity-law/) as other: must not show {NETWORK_TITLE!r}" in problems
    assert "page:QuestionPage [Northshire] (GET " in problems
    assert "as other: expected 403, got 200" in problems


@pytest.mark.usefixtures("generous_rates")
def test_the_matrix_reads_redirects_and_messages_too(client, world, monkeypatch):
    """The matrix can fail on what a response says beside its body: with Westvale's answer open to Northshire's
    adviser, voting on it and following it redirect to its page (its slug) and the follow's message names it."""
    monkeypatch.setattr(access, "published_filter", lambda user: Q(visibility__in=["public", "network"]))
    monkeypatch.setattr(access, "can_see_published", lambda user, answer: True)
    rows = [row for row in MATRIX if row.label in ("knowledge:helpful [Westvale]", "alerts:follow [Westvale answer]")]

    problems = "\n".join(matrix_problems(client, world, "adviser", rows))

    helpful = f"knowledge:helpful [Westvale] (POST /answers/{world.westvale_page.pk}/helpful/) as adviser"
    follow = "alerts:follow [Westvale answer] (POST /alerts/follow/) as adviser"
    assert f"{helpful}: shows Westvale network-only title in its redirect" in problems
    assert f"{follow}: shows Westvale network-only title in its redirect" in problems
    assert f"{follow}: shows Westvale network-only title in a message" in problems


def test_the_matrix_looks_for_titles_as_the_slugs_pages_get(world):
    for page, title in ((world.network_page, NETWORK_TITLE), (world.westvale_page, WESTVALE_TITLE)):
        assert page.slug == slugify(title)
        assert leaks(page.url, "anonymous")
        assert not leaks(page.url, "anonymous", asked=page.url)


def test_the_matrix_states_every_persona_and_known_outcomes():
    outcomes = {"200", "teaser", "login", "302", "400", "401", "403", "404", "405", "410"}
    labels = [row.label for row in MATRIX]
    assert len(labels) == len(set(labels)), "two rows with the same label"
    for row in MATRIX:
        assert set(row.expected) == set(PERSONAS)
        assert set(row.expected.values()) <= outcomes, row.label
    assert set(CONTENT) <= set(labels)


# --- Completeness: every product URL has a row ---------------------------------------------------------------------


def product_url_names(resolver=None, namespace=()):
    """Every named URL (namespaced, e.g. ``network:members``) whose view is the product's own code.

    Third-party views (allauth's ``account_*``, ``mfa_*``; Wagtail's admin, snippets, documents and page serving;
    static files) are left out by where their view lives, so a product view added under any prefix or namespace,
    including a Wagtail admin hook, is found.
    """
    resolver = resolver or get_resolver()
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + ((pattern.namespace,) if pattern.namespace else ())
            names |= product_url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            module = getattr(pattern.callback, "__module__", "") or ""
            if module.split(".")[0] in PRODUCT_PACKAGES:
                names.add(":".join(namespace + (pattern.name,)))
    return names


def product_page_types():
    """``page:<Model>`` for every Wagtail page type of the product (Wagtail serves them, so they have no URL name)."""
    from django.apps import apps

    return {
        f"page:{model.__name__}"
        for model in apps.get_models()
        if issubclass(model, Page) and model is not Page and model.__module__.split(".")[0] in PRODUCT_PACKAGES
    }


def test_every_product_url_has_a_row():
    covered = {row.name for row in MATRIX}
    missing = sorted((product_url_names() | product_page_types()) - covered)
    assert not missing, (
        "These product URLs have no row in tests/test_permission_matrix.py MATRIX; add one saying what each persona "
        "gets: " + ", ".join(missing)
    )


def test_the_completeness_test_sees_all_kinds_of_product_url():
    """The walk finds plain, namespaced and Wagtail-admin-hook URLs, and leaves third-party ones out."""
    names = product_url_names()
    assert {"subscribe", "knowledge:ask", "network:members", "billing_admin:invoice", "experts_admin:triage"} <= names
    assert not {name for name in names if re.match(r"(account_|mfa_|wagtail)", name)}
    assert {"page:QuestionPage", "page:TopicPage"} <= product_page_types()


def test_rows_name_real_urls():
    """A row for a URL that no longer exists is stale: its name must still resolve (pages aside)."""
    known = product_url_names() | {
        "wagtailadmin_home",
        "wagtailsnippets_subscriptions_network:list",
        "wagtailsnippets_experts_expertprofile:list",
    }
    stale = sorted({row.name for row in MATRIX if not row.name.startswith("page:")} - known)
    assert not stale, f"rows for URLs that do not exist: {stale}"


def test_redirect_to_login_is_what_login_rows_expect():
    """The login prefix the matrix looks for is where the site really sends people to sign in."""
    assert redirect_to_login("/x/")["Location"].startswith(LOGIN_PREFIXES)


def test_access_policy_sees_the_personas_as_the_matrix_assumes(world):
    users = world.users
    assert access.live_network_ids(users["adviser"]) == {world.northshire.pk}
    assert access.live_network_ids(users["expired"]) == frozenset()
    assert access.is_panel_expert(users["expert"])
    assert access.is_coordinator(users["coordinator"])
    assert access.is_network_admin(users["netadmin"], world.northshire)
