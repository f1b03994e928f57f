"""The Content-Security-Policy header: django-csp's middleware, with the two things its settings cannot say.

The policy itself is ``CONTENT_SECURITY_POLICY`` in ``settings/base.py``. This middleware adds, per request:

- **Uploaded files on another origin.** When ``MEDIA_URL`` is an absolute address (uploads on S3 or a custom
  domain), images may come from there: ``img-src`` gains that address. It is read from the settings in force,
  so whichever settings module sets ``MEDIA_URL`` last is the one obeyed.
- **The Wagtail admin** (``/admin/``, the coordinator console). Wagtail's own templates run inline scripts that
  cannot carry a nonce (date and time pickers, inline panels, the page listing, chooser modals), and the console's
  screens lay themselves out with ``style`` attributes (and the printable invoice with a ``<style>``). There, and
  only there, ``script-src`` and ``style-src`` allow ``'unsafe-inline'`` and drop the nonce (a nonce in a
  directive makes browsers ignore ``'unsafe-inline'``). Everything else — ``default-src``, ``object-src``,
  ``base-uri``, ``form-action``, ``frame-ancestors``, the sources allowed — stays as on the rest of the site.

Views that send their own policy (the widget's iframe, ``feeds.widget.frame``) keep it: django-csp never replaces
a ``Content-Security-Policy`` header a view has set.
"""

from functools import lru_cache
from urllib.parse import urlsplit

from csp.constants import NONCE, UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

# Directives that allow 'unsafe-inline' under the admin.
ADMIN_INLINE = ("script-src", "style-src")


@lru_cache(maxsize=8)
def media_source(media_url):
    """The CSP source for files under ``media_url`` when it is on another origin, or None when it is a path.

    ``https://bucket.s3.eu-west-2.amazonaws.com/media/`` → the same address (the path narrows it to those files);
    ``/media/`` → None (already 'self').
    """
    parts = urlsplit(media_url or "")
    if not parts.netloc:
        return None
    scheme = f"{parts.scheme}:" if parts.scheme else ""  # "//cdn.example.org/…" follows the page's scheme
    source = f"{scheme}//{parts.netloc}{parts.path or '/'}"
    if not source.endswith("/"):
        source = source[: source.rindex("/") + 1]  # a path without a trailing slash would match one file only
    if any(char in source for char in ";,'\" \t\r\n"):
        raise ImproperlyConfigured(f"MEDIA_URL={media_url!r} cannot be used in a Content-Security-Policy.")
    return source


def admin_relaxations(directives):
    """``script-src`` and ``style-src`` as configured, less the nonce, plus 'unsafe-inline'."""
    return {
        name: [*(source for source in directives.get(name) or [] if source is not NONCE), UNSAFE_INLINE]
        for name in ADMIN_INLINE
    }


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def __init__(self, get_response):
        super().__init__(get_response)
        media_source(settings.MEDIA_URL)  # a MEDIA_URL that cannot be a source stops the server starting, not each page

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        name = "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
        policy = getattr(settings, name, None)
        if not policy:
            return parts  # no such policy (there is no report-only one): nothing to add to
        media = media_source(settings.MEDIA_URL)
        if media:
            parts.update = {**(parts.update or {}), "img-src": [*(parts.update or {}).get("img-src", []), media]}
        if request.path.startswith(reverse("wagtailadmin_home")):
            parts.replace = {**admin_relaxations(policy.get("DIRECTIVES", {})), **(parts.replace or {})}
        return parts
