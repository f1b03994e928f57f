"""A person's API tokens, on their account (``/account/api-tokens/``): make one (shown once), see them, revoke one."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import tokens
from .forms import TokenForm
from .models import ApiToken

SENT_FORMS = "api_token_forms_sent"  # in the session: the last forms that made a token
KEPT_SENT_FORMS = 20


def _fresh_form():
    return TokenForm(initial={"once": secrets.token_urlsafe(16)})


def _page(request, form, *, new_token=None, status=200):
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user),
        "new_token": new_token,
        "api_base": request.build_absolute_uri("/api/v1/"),
    }
    return render(request, "api/tokens.html", context, status=status)


@never_cache
@login_required
def token_list(request):
    """The list and the form; a POST makes a token and shows it on this response only (never stored, never again)."""
    if request.method != "POST":
        return _page(request, _fresh_form())
    form = TokenForm(request.POST)
    if form.is_valid():
        once = form.cleaned_data.pop("once")
        sent = request.session.get(SENT_FORMS, [])
        if once and once in sent:
            messages.info(
                request,
                "That form had already made your token, so no second one was made. A token is shown only once: "
                "if you did not copy it, revoke it below and make another.",
            )
            return redirect("api_tokens:list")
        try:
            record, token = tokens.token_create(user=request.user, **form.cleaned_data)
        except tokens.TokenRefused as exc:
            form.add_error(None, str(exc))
        else:
            if once:
                request.session[SENT_FORMS] = [*sent, once][-KEPT_SENT_FORMS:]
            messages.success(request, f"Your token “{record.name}” has been made: copy it now, it is shown only once.")
            return _page(request, _fresh_form(), new_token=token)
    return _page(request, form, status=400)


@login_required
@require_POST
def token_revoke(request, pk):
    if tokens.token_revoke(user=request.user, token_id=pk):
        messages.success(request, "The token has been revoked: it no longer opens the API.")
    else:
        messages.error(request, "You have no live token with that number: nothing was revoked.")
    return redirect("api_tokens:list")
