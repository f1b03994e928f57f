"""A person's own account: the account page, downloading their data, deleting the account."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_ratelimit.decorators import ratelimit

from . import services
from .forms import CONFIRMATION_PHRASE, DeleteAccountForm
from .middleware import has_totp, must_use_two_factor


@login_required
def account(request):
    user = request.user
    return render(
        request,
        "accounts/account.html",
        {"has_totp": has_totp(user), "two_factor_required": must_use_two_factor(user)},
    )


@never_cache
@login_required
def download_data(request):
    data = services.personal_data(request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"ask-an-expert-my-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _delete_rate(group, request):
    return settings.RATE_LIMIT_DELETE_ACCOUNT


@never_cache
@login_required
@ratelimit(key="user", rate=_delete_rate, method="POST", block=True)
def delete_account(request):
    user = request.user
    blockers = services.deletion_blockers(user)
    form = DeleteAccountForm(request.POST if request.method == "POST" else None, user=user)
    status = 200
    if request.method == "POST":
        if blockers:
            messages.error(request, "Your account has not been deleted: " + " ".join(blockers))
            status = 403
        elif form.is_valid():
            try:
                services.delete_account(user)
            except services.DeletionRefused as exc:
                messages.error(request, f"Your account has not been deleted: {exc}")
                blockers = services.deletion_blockers(user)
                status = 403
            else:
                logout(request)
                return redirect("accounts:goodbye")
        else:
            form.add_error(None, "Your account has not been deleted.")  # said first in the form's error summary
            status = 400
    context = {
        "blockers": blockers,
        "form": form,
        "summary": services.deletion_summary(user),
        "phrase": CONFIRMATION_PHRASE,
    }
    return render(request, "accounts/delete.html", context, status=status)


def goodbye(request):
    if request.user.is_authenticated:
        return redirect("accounts:account")
    return render(request, "accounts/goodbye.html")
