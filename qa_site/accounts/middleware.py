"""Coordinators and experts on the panel set up two-factor authentication before they use the site.

Everyone may set up an authenticator app (TOTP, with recovery codes) at allauth's /accounts/2fa/ pages.
When the setting ``MFA_REQUIRED_FOR_STAFF_AND_EXPERTS`` is true, a signed-in coordinator (``is_staff``) or
expert on the panel who has no TOTP authenticator is sent to the set-up page, with a message, from every
page except allauth's own (sign-in and out, e-mail, password, re-authentication, two-factor), static files
and media.
"""

import time

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse

SETUP_MESSAGE = (
    "Coordinators and experts must set up two-factor authentication before going on: "
    "scan the code below with an authenticator app and enter the code it shows."
)


PANEL_MEMO_SECONDS = 10
_on_panel = {}  # user id -> (on the expert panel, until when this process may rely on it)


def must_use_two_factor(user):
    """Is ``user`` someone who must sign in with two factors: a coordinator, or an expert on the panel?

    The expert's profile is read through the relation the experts app adds to the user, so that this
    lowest layer never imports it (see docs/architecture.md). This runs on every signed-in request, so each
    process keeps the answer for ``PANEL_MEMO_SECONDS``: a change to a profile is seen at once in the process that
    made it (``forget_panel``) and within that time in the others.
    """
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_staff:
        return True
    now = time.monotonic()
    found = _on_panel.get(user.pk)
    if found is not None and found[1] > now:
        return found[0]
    profile = getattr(user, "expert_profile", None)
    on_panel = bool(profile and profile.is_on_panel)
    if len(_on_panel) > 10_000:
        _on_panel.clear()
    _on_panel[user.pk] = (on_panel, now + PANEL_MEMO_SECONDS)
    return on_panel


def forget_panel(user_ids):
    """After a change to these people's expert profiles (called by the access policy's signal handlers)."""
    for user_id in user_ids:
        _on_panel.pop(user_id, None)


def has_totp(user):
    return is_mfa_enabled(user, [Authenticator.Type.TOTP])


def _is_exempt(path):
    prefixes = [p for p in (settings.STATIC_URL, settings.MEDIA_URL) if p and p.startswith("/")]
    if any(path.startswith(prefix) for prefix in prefixes):
        return True
    try:
        match = resolve(path)
    except Resolver404:
        return False
    # allauth's own pages: signing in and out, e-mail addresses, password, re-authentication, two-factor set-up.
    return (match.func.__module__ or "").startswith("allauth.")


class RequireTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            getattr(settings, "MFA_REQUIRED_FOR_STAFF_AND_EXPERTS", False)
            and must_use_two_factor(request.user)
            and not _is_exempt(request.path_info)
            and not has_totp(request.user)
        ):
            messages.warning(request, SETUP_MESSAGE)
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
