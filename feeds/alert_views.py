"""The alerts pages: following from a topic or answer page, /alerts/ to manage follows, unsubscribe links."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.models import Page

from qa_site.knowledge.models import QuestionPage
from subscriptions import access

from . import alerts
from .models import Follow


class FollowForm(forms.Form):
    page = forms.IntegerField(min_value=1)
    frequency = forms.ChoiceField(choices=Follow.Frequency.choices, required=False)


class FrequencyForm(forms.Form):
    frequency = forms.ChoiceField(choices=Follow.Frequency.choices)


def _back(request, fallback):
    target = request.POST.get("next", "")
    # A path on this site only: redirect() would take anything else ("0", "index") for a view's name, and fail.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


@never_cache
@login_required
def index(request):
    topics_first = F("question_page_id").asc(nulls_first=True)
    follows = request.user.alert_follows.select_related("topic", "question_page", "question_page__topic").order_by(
        topics_first, "created_at", "pk"
    )
    return render(
        request,
        "feeds/alerts/index.html",
        {
            "follows": follows,
            "frequencies": Follow.Frequency.choices,
            "has_access": access.has_subscriber_access(request.user),
            "digest_hour": alerts.DIGEST_HOUR,
        },
    )


@login_required
@require_POST
def follow(request):
    form = FollowForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Choose a topic or an answer to follow.")
    page = get_object_or_404(Page.objects.live().specific(), pk=form.cleaned_data["page"])
    if isinstance(page, QuestionPage) and not access.can_see_published(request.user, page):
        raise Http404("No such page.")  # as if it did not exist: no message or redirect names it
    frequency = form.cleaned_data["frequency"] or Follow.Frequency.IMMEDIATE
    try:
        alerts.follow_create(user=request.user, page=page, frequency=frequency)
    except alerts.AlertError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"You are following “{page.title}”. Choose how often you hear on your alerts page.")
    return _back(request, page.url or "alerts:index")


@login_required
@require_POST
def change(request, pk):
    follow = get_object_or_404(request.user.alert_follows, pk=pk)
    form = FrequencyForm(request.POST)
    if form.is_valid():
        alerts.follow_set_frequency(follow=follow, frequency=form.cleaned_data["frequency"])
        messages.success(request, f"Alerts for “{follow.followed.title}”: {follow.get_frequency_display().lower()}.")
    return _back(request, "alerts:index")


@login_required
@require_POST
def unfollow(request, pk):
    follow = get_object_or_404(request.user.alert_follows.select_related("topic", "question_page"), pk=pk)
    follow.delete()
    messages.success(request, f"You no longer follow “{follow.followed.title}”.")
    return _back(request, "alerts:index")


@csrf_exempt  # the signed token is the authority; mail clients' one-click POSTs (RFC 8058) carry no cookies
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    try:
        follows = alerts.follows_for_token(token)
    except alerts.BadToken as exc:
        return render(request, "feeds/alerts/unsubscribe_invalid.html", {"reason": str(exc)}, status=400)
    if request.method == "POST":
        titles = alerts.alerts_unsubscribe(token=token)
        return render(request, "feeds/alerts/unsubscribed.html", {"titles": titles})
    follows = follows.select_related("topic", "question_page").order_by(
        F("question_page_id").asc(nulls_first=True), "pk"
    )
    return render(request, "feeds/alerts/unsubscribe.html", {"follows": follows, "token": token})
