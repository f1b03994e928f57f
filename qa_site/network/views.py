"""The network admin's pages: the dashboard, members and invitations, invoices, keys, the value report, and the
page where an invited person joins.

Every page for one network asks ``access.can_manage_network``: the network's admins, and coordinators.
Every change goes through ``subscriptions.services``, which checks again and says why it cannot be made.
"""

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from qa_site import charts
from qa_site.knowledge.models import TopicPage
from subscriptions import access, services
from subscriptions.models import (
    AccessKey,
    BillingSettings,
    Invitation,
    Invoice,
    Membership,
    Network,
    Plan,
    Subscription,
)

from . import invoices as invoice_views
from . import report as value
from . import report_pdf
from .forms import InviteForm, KeyForm, RoleForm, WidgetForm

FEATURES = (
    ("widgets", "Embeddable widgets"),
    ("private_feeds", "Private feeds of network-only answers"),
    ("full_answers_in_widgets", "Full answers in widgets"),
)
KEY_FEATURES = {AccessKey.Kind.FEED: "private_feeds", AccessKey.Kind.WIDGET: "widgets"}


def _invite_rate(group, request):
    return settings.RATE_LIMIT_INVITE


def _network(request, slug):
    network = get_object_or_404(Network, slug=slug)
    if not access.can_manage_network(request.user, network):
        raise PermissionDenied(f"This page is for the network admins of {network.name}.")
    return network


def _render(request, template, network, tab, context=None, status=200):
    return render(request, template, {"network": network, "tab": tab, **(context or {})}, status=status)


def _still_manages(request, network):
    """After a change to someone's own membership: may they still see the network's pages?"""
    access.forget(request.user)
    return access.can_manage_network(request.user, network)


# --- the dashboard -----------------------------------------------------------------------------------------------


@login_required
def home(request):
    """One network: its dashboard. Several (or a coordinator): a chooser. None: not for you."""
    user = request.user
    if access.is_coordinator(user):
        networks = Network.objects.all()
    else:
        admin_of = Membership.objects.filter(user=user, role=Membership.Role.ADMIN).values("network_id")
        networks = Network.objects.filter(pk__in=admin_of)
        if len(networks) == 1:
            return redirect("network:network", slug=networks[0].slug)
        if not networks:
            raise PermissionDenied("These pages are for network admins. Your account does not administer a network.")
    latest = Subscription.objects.filter(network=OuterRef("pk")).order_by("-ends_on", "-pk")
    networks = networks.annotate(
        members=Count("memberships", distinct=True),
        status=Subquery(latest.values("status")[:1]),
        plan_name=Subquery(latest.values("plan__name")[:1]),
    ).order_by("name")
    statuses = dict(Subscription.Status.choices)
    rows = [(network, statuses.get(network.status, "No subscription")) for network in networks]
    return render(request, "network/choose.html", {"rows": rows})


def _day(day):
    return f"{day.day} {day:%B %Y}"


def _subscription_notice(subscription, today):
    """(level, message) about the subscription's state that an admin must not miss, or None."""
    if subscription is None:
        return (
            "error",
            "This network has no subscription, so its members have no access. Subscribe from “Plan and seats”.",
        )
    renewal = subscription.renewal_invoice
    until = _day(subscription.access_until)
    if not subscription.is_live:
        if subscription.status == Subscription.Status.CANCELLED:
            return (
                "error",
                f"The subscription was cancelled: members' access ended on {until}. Renew from “Plan and seats”.",
            )
        return (
            "error",
            f"The subscription has expired: members lost access after {until}. "
            "Renew from “Plan and seats”: access is restored as soon as you subscribe.",
        )
    if subscription.status == Subscription.Status.PAST_DUE:
        invoice = f" ({renewal.display_number})" if renewal else ""
        return (
            "warning",
            f"Payment overdue: the renewal invoice{invoice} is unpaid, so the subscription is in its grace period. "
            f"Members keep access until {until}; after that, access stops until it is "
            "paid.",
        )
    if subscription.cancel_at_period_end:
        return (
            "warning",
            f"Cancelling: the subscription will not renew. Members keep access until {until}.",
        )
    if subscription.status == Subscription.Status.TRIAL:
        return (
            "info",
            f"Free trial: members have access until {until}. Subscribe from “Plan and seats” to carry on after it.",
        )
    if renewal and renewal.status == Invoice.Status.ISSUED:
        number, due = renewal.display_number, _day(renewal.due_on)
        if renewal.due_on < today:
            return "warning", f"The renewal invoice {number} was due on {due} and is unpaid: please pay it."
        return "info", f"The renewal invoice {number} is due on {due}."
    return None


@login_required
def dashboard(request, slug):
    network = _network(request, slug)
    today = timezone.localdate()
    subscription = network.current_subscription or network.latest_subscription
    if subscription is not None and subscription.renewal_invoice_id:
        subscription = Subscription.objects.select_related("plan", "renewal_invoice").get(pk=subscription.pk)
    members = network.memberships.count()
    pending = Invitation.objects.filter(network=network).pending().count()
    context = {
        "subscription": subscription,
        "live": bool(subscription and subscription.is_live),
        "notice": _subscription_notice(subscription, today),
        "members": members,
        "pending": pending,
        "seats_used": members + pending,
    }
    if subscription is not None:
        plan = subscription.plan
        context.update(
            plan=plan,
            seats_free=max(0, subscription.seats - members - pending),
            features=[(label, getattr(plan, name)) for name, label in FEATURES],
            renews_on=(
                subscription.ends_on + dt.timedelta(days=1)
                if subscription.is_live
                and subscription.status == Subscription.Status.ACTIVE
                and not subscription.cancel_at_period_end
                else None
            ),
        )
    context["report"] = value.value_report(network, today=today)
    return _render(request, "network/dashboard.html", network, "dashboard", context)


# --- members and invitations -------------------------------------------------------------------------------------


def _members_page(request, network, form, status=200):
    memberships = list(network.memberships.select_related("user").order_by("user__first_name", "user__email"))
    invitations = list(Invitation.objects.filter(network=network).select_related("invited_by", "accepted_by"))
    order = {"pending": 0, "expired": 1, "accepted": 2, "revoked": 3}
    invitations.sort(key=lambda invitation: order[invitation.state])
    subscription = network.current_subscription
    pending = sum(1 for invitation in invitations if invitation.state == "pending")
    context = {
        "form": form,
        "memberships": memberships,
        "invitations": invitations,
        "subscription": subscription,
        "seats_used": len(memberships) + pending,
        "pending": pending,
        "roles": Membership.Role.choices,
        "admins": sum(1 for membership in memberships if membership.role == Membership.Role.ADMIN),
    }
    return _render(request, "network/members.html", network, "members", context, status=status)


@login_required
@ratelimit(key="user", rate=_invite_rate, method="POST", block=True)
def members(request, slug):
    """The members and invitations; POST invites someone."""
    network = _network(request, slug)
    if request.method != "POST":
        return _members_page(request, network, InviteForm())
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(network=network, actor=request.user, **form.cleaned_data)
        except services.MembershipError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Invitation sent to {invitation.email}. It holds a seat until they join or it expires."
            )
            return redirect("network:members", slug=network.slug)
    return _members_page(request, network, form, status=400)


@login_required
def member_remove(request, slug, pk):
    network = _network(request, slug)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, network=network)
    if request.method != "POST":
        return _render(request, "network/member_remove.html", network, "members", {"membership": membership})
    try:
        services.membership_remove(membership_id=membership.pk, actor=request.user)
    except services.MembershipError as exc:
        messages.error(request, str(exc))
        return redirect("network:members", slug=network.slug)
    who = "You have left" if membership.user_id == request.user.pk else f"{membership.user.display_name} has left"
    messages.success(request, f"{who} {network.name}: their seat is free.")
    if not _still_manages(request, network):
        return redirect("/")
    return redirect("network:members", slug=network.slug)


@login_required
@require_POST
def member_role(request, slug, pk):
    network = _network(request, slug)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, network=network)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role: adviser or network admin.")
        return redirect("network:members", slug=network.slug)
    role = form.cleaned_data["role"]
    try:
        services.membership_set_role(membership_id=membership.pk, role=role, actor=request.user)
    except services.MembershipError as exc:
        messages.error(request, str(exc))
        return redirect("network:members", slug=network.slug)
    label = Membership.Role(role).label
    if role == membership.role:
        messages.info(request, f"{membership.user.display_name} was already: {label}.")
    else:
        messages.success(request, f"{membership.user.display_name} is now: {label}.")
    if not _still_manages(request, network):
        return redirect("/")
    return redirect("network:members", slug=network.slug)


@login_required
@require_POST
def invitation_revoke(request, slug, pk):
    network = _network(request, slug)
    invitation = get_object_or_404(Invitation, pk=pk, network=network)
    try:
        services.invitation_revoke(invitation_id=invitation.pk, actor=request.user)
    except services.MembershipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The invitation for {invitation.email} is withdrawn: its seat is free.")
    return redirect("network:members", slug=network.slug)


# --- invoices ----------------------------------------------------------------------------------------------------


@login_required
def invoice_list(request, slug):
    network = _network(request, slug)
    rows = invoice_views.for_network(network)
    owed = sum((invoice.balance_due for invoice in rows if invoice.state in ("outstanding", "overdue")), 0)
    return _render(request, "network/invoices.html", network, "invoices", {"invoices": rows, "owed": owed})


@login_required
def invoice(request, pk):
    invoice = Invoice.objects.select_related("network", "subscription__plan").filter(pk=pk).first()
    # Someone else's invoice is as good as missing: never say whose it is, or that it exists.
    if invoice is None or not access.can_manage_network(request.user, invoice.network):
        raise Http404("No such invoice.")
    invoice_views.detail(invoice)
    if request.GET.get("format") == "csv":
        return invoice_views.invoice_csv(invoice)
    return _render(
        request,
        "network/invoice.html",
        invoice.network,
        "invoices",
        {"invoice": invoice, "seller": BillingSettings.load()},
    )


# --- keys for feeds and widgets ----------------------------------------------------------------------------------


def _plans_with(feature):
    names = list(Plan.objects.filter(is_listed=True, **{feature: True}).values_list("name", flat=True))
    if not names:
        return "none of our current plans"
    if len(names) == 1:
        return f"the {names[0]} plan"
    return "the " + ", ".join(names[:-1]) + f" and {names[-1]} plans"


def _topic_titles(key_list):
    ids = {pk for key in key_list for pk in key.topic_ids}
    return dict(TopicPage.objects.filter(pk__in=ids).values_list("pk", "title")) if ids else {}


@login_required
def keys(request, slug):
    network = _network(request, slug)
    kinds = [kind for kind, feature in KEY_FEATURES.items() if access.network_has_feature(network, feature)]
    form = None
    status = 200
    if kinds:
        form = KeyForm(request.POST or None, kinds=kinds)
        if request.method == "POST":
            if form.is_valid():
                try:
                    key = services.key_create(
                        network=network,
                        name=form.cleaned_data["name"],
                        kind=form.cleaned_data["kind"],
                        allowed_origins="\n".join(form.cleaned_data["allowed_origins"]),
                        topic_ids=[topic.pk for topic in form.cleaned_data["topics"]],
                        actor=request.user,
                    )
                except services.MembershipError as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, f"Key “{key.name}” created.")
                    return redirect("network:keys", slug=network.slug)
            status = 400
    elif request.method == "POST":
        raise PermissionDenied("Your plan does not include feeds or widgets.")
    key_list = list(AccessKey.objects.filter(network=network).select_related("created_by"))
    base = settings.BASE_URL  # the public address: the snippet and feed address are pasted into other sites
    topic_titles = _topic_titles(key_list)
    for key in key_list:
        key.topics = [topic_titles[pk] for pk in key.topic_ids if pk in topic_titles]
        if key.kind == AccessKey.Kind.FEED:
            key.feed_url = f"{base}/feeds/key/{key.key}.rss"
        else:
            key.snippet = f'<script src="{base}/embed/widget.js" data-key="{key.key}" async></script>'
        key.feature_included = key.kind in kinds
    missing = [
        (AccessKey.Kind(kind).label, _plans_with(feature))
        for kind, feature in KEY_FEATURES.items()
        if kind not in kinds
    ]
    context = {"form": form, "keys": key_list, "missing": missing}
    return _render(request, "network/keys.html", network, "keys", context, status=status)


@login_required
def key_edit(request, slug, pk):
    """Rename an active key, change its topics and (widgets) the websites allowed to show it."""
    network = _network(request, slug)
    key = get_object_or_404(AccessKey, pk=pk, network=network, revoked_at__isnull=True)
    form = KeyForm(request.POST or None, kinds=[key.kind], key=key)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.key_update(
                    key_id=key.pk,
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    allowed_origins="\n".join(form.cleaned_data.get("allowed_origins", [])),
                    topic_ids=[topic.pk for topic in form.cleaned_data["topics"]],
                )
            except services.MembershipError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, f"Key “{form.cleaned_data['name'].strip()}” saved: the change applies at once."
                )
                return redirect("network:keys", slug=network.slug)
        status = 400
    context = {"key": key, "form": form}
    return _render(request, "network/key_edit.html", network, "keys", context, status=status)


@login_required
@require_POST
def key_revoke(request, slug, pk):
    network = _network(request, slug)
    key = get_object_or_404(AccessKey, pk=pk, network=network)
    if key.revoked_at is not None:
        messages.info(request, f"The key “{key.name}” was already revoked.")
    else:
        services.key_revoke(key_id=key.pk, actor=request.user)
        messages.success(request, f"The key “{key.name}” is revoked: it stops working at once.")
    return redirect("network:keys", slug=network.slug)


# --- the value report --------------------------------------------------------------------------------------------


@login_required
def report(request, slug):
    """The value report for the months asked for (``from``, ``to``); ``export=csv`` or ``pdf`` downloads it, and
    ``chart=<name>&format=svg|png`` one of its charts. Months that are not right: the page says why (400)."""
    network = _network(request, slug)
    period = value.parse_period(request.GET)
    context = {
        "period": period,
        "from_value": request.GET.get("from", "") if period.error else period.query["from"],
        "to_value": request.GET.get("to", "") if period.error else period.query["to"],
    }
    if period.error:
        return _render(request, "network/report.html", network, "report", context, status=400)
    result = value.value_report(network, first=period.first, months=period.months)
    export = request.GET.get("export")
    if export == "csv":
        return value.report_csv(result)
    report_charts = value.report_charts(result)
    download = charts.download(request, report_charts, value.file_stem(result))
    if download is not None:
        return download
    if export == "pdf":
        return report_pdf.pdf_response(result, report_charts)
    if export:
        return charts.bad_request(request, "The value report downloads as csv or pdf: choose export=csv or export=pdf.")
    context.update(report=result, charts=report_charts, query=urlencode(period.query))
    return _render(request, "network/report.html", network, "report", context)


# --- joining through an invitation -------------------------------------------------------------------------------

INVALID = "This invitation link is not valid or has expired. Ask your network admin for a new one."
GONE = {
    "accepted": "This invitation has already been used.",
    "revoked": "This invitation has been withdrawn.",
    "expired": "This invitation has expired.",
}


def _address_problem(invitation, user):
    """Why ``user`` cannot accept ``invitation`` as themselves, or "" if they can."""
    addresses = {email.lower(): verified for email, verified in user.emailaddress_set.values_list("email", "verified")}
    verified = addresses.get(invitation.email.lower())
    if verified:
        return ""
    if verified is False:
        return (
            f"This invitation was sent to {invitation.email}. Confirm that address first: follow the link we e-mailed "
            "to it, or send a new one from your e-mail settings."
        )
    return (
        f"This invitation was sent to {invitation.email}, but you are signed in as {user.email}. Sign in with "
        f"{invitation.email} instead, or add it to your account and confirm it."
    )


def invitation(request, token):
    """The link in an invitation e-mail: who invited you, to which network; sign in or sign up, then join."""
    invited = services.invitation_from_token(token)
    if invited is None:
        return render(request, "network/invitation.html", {"problem": INVALID}, status=404)
    user = request.user
    context = {"invitation": invited, "token": token, "path": request.path}
    state = invited.state
    if state == "accepted" and user.is_authenticated and invited.accepted_by_id == user.pk:
        messages.info(request, f"You are a member of {invited.network.name}.")
        return redirect("/")
    if state != "pending":
        problem = f"{GONE[state]} Ask your network admin for a new one."
        return render(request, "network/invitation.html", {**context, "problem": problem}, status=410)
    if not user.is_authenticated:
        return render(request, "network/invitation.html", context)
    context["already_member"] = Membership.objects.filter(network=invited.network, user=user).exists()
    problem = _address_problem(invited, user)
    if problem:
        context.update(problem=problem, address_problem=True)
        return render(request, "network/invitation.html", context, status=403)
    if request.method == "POST":
        try:
            membership = services.invitation_accept(token=token, user=user)
        except services.MembershipError as exc:
            return render(request, "network/invitation.html", {**context, "problem": str(exc)}, status=400)
        messages.success(request, f"Welcome to {membership.network.name}: you can now read every answer.")
        if membership.role == Membership.Role.ADMIN:
            return redirect("network:network", slug=membership.network.slug)
        return redirect("/")
    return render(request, "network/invitation.html", {**context, "confirm": True})


# --- the widget configurator -------------------------------------------------------------------------------------

WIDGET_TITLE = "Latest answers from Ask an Expert"


def widget_snippet(base, key, chosen, *, preview=False):
    """The HTML that shows the widget ``chosen`` (topic, count, style, variant) on a page; ``base`` is our address.

    The preview on our own page adds ``preview``: its views are not counted in the value report.
    """
    topic, count, style = chosen["topic"], chosen["count"], chosen["style"]
    if chosen["variant"] == "iframe":
        query = {"key": key.key, **({"topic": topic} if topic else {}), "count": count, "style": style}
        if preview:
            query["preview"] = 1
        height = (70 + 42 * count) if style == "compact" else (110 + 110 * count)
        # Not in the preview: this site's Content-Security-Policy refuses style attributes (network.css has the rule).
        border = "" if preview else mark_safe(' style="border:0"')
        return format_html(
            '<iframe src="{}" title="{}" width="100%" height="{}"{} loading="lazy"></iframe>',
            f"{base}/embed/frame/?{urlencode(query)}",
            WIDGET_TITLE,
            height,
            border,
        )
    return format_html(
        '<script src="{}/embed/widget.js" data-key="{}"{} data-count="{}" data-style="{}"{} async></script>',
        base,
        key.key,
        format_html(' data-topic="{}"', topic) if topic else "",
        count,
        style,
        mark_safe(' data-preview="1"') if preview else "",
    )


@login_required
def key_widget(request, slug, pk):
    """Choose a widget's topic, size, style and kind of embedding; see it live; copy the snippet."""
    network = _network(request, slug)
    key = get_object_or_404(AccessKey, pk=pk, network=network, kind=AccessKey.Kind.WIDGET, revoked_at__isnull=True)
    form = WidgetForm(request.GET or None, key=key)
    chosen = form.chosen()
    context = {
        "key": key,
        "form": form,
        "snippet": widget_snippet(settings.BASE_URL, key, chosen),
        "preview": widget_snippet("", key, chosen, preview=True),
        "widgets_included": access.network_has_feature(network, "widgets"),
    }
    return _render(request, "network/key_widget.html", network, "keys", context)
