"""Where mail providers post the replies they receive for REPLY_DOMAIN.

- ``/mail/inbound/<provider>/`` for each provider django-anymail reads (Amazon SES, Brevo, Mailgun, Postmark,
  SparkPost …): anymail turns its format into one ``AnymailInboundMessage``;
- ``/mail/inbound/mime/``: the raw message (RFC 5322) as the request's body, for a provider or relay that forwards
  the message as it is.

Every one asks for HTTP basic auth with ``INBOUND_MAIL_SECRET`` (anymail's ``WEBHOOK_SECRET``) and answers 404
while it is unset. A request it cannot read gets a 4xx with a plain-text reason, never a 500; a message is only
handed on (anymail's ``inbound`` signal, heard by ``services.on_inbound``) once every message in the request has
been read and has a sender.
"""

import logging

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailError, AnymailWebhookValidationFailure
from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, EventType, inbound
from anymail.webhooks.base import AnymailBaseWebhookView, AnymailBasicAuthMixin
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.urls import path, re_path
from django.urls.resolvers import RegexPattern
from django.views.decorators.csrf import csrf_exempt

from .services import sender_address

logger = logging.getLogger(__name__)


def _plain(status, text):
    response = HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="inbound mail"'
    return response


# What parsing a payload a client made up may raise (anymail's own errors, a provider's JSON or form gone wrong).
_UNREADABLE = (AnymailError, ImproperlyConfigured, ValueError, KeyError, TypeError, AttributeError, LookupError)


class GuardedInboundMixin:
    """Runs anymail's checks and parsing with every failure a client can cause answered as a 4xx."""

    def post(self, request, *args, **kwargs):
        try:
            AnymailBasicAuthMixin.validate_request(self, request)  # the shared secret first, before reading anything
        except AnymailWebhookValidationFailure as exc:
            return _plain(401, f"Not authorised: {exc}.")
        try:
            self.run_validators(request)  # the provider's own signature checks, if it has any
        except AnymailWebhookValidationFailure as exc:
            return _plain(403, f"Refused: {exc}.")
        except _UNREADABLE as exc:
            logger.info("Unreadable inbound mail post to %s: %r", self.esp_name, exc)
            return _plain(400, f"This request could not be read as inbound mail from {self.esp_name}.")
        try:
            events = list(self.parse_events(request))
        except (
            AnymailError,
            ImproperlyConfigured,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            LookupError,
        ) as exc:
            logger.info("Unreadable inbound mail post to %s: %r", self.esp_name, exc)
            return _plain(400, f"This request could not be read as inbound mail from {self.esp_name}.")
        if not events:
            return _plain(400, "This request holds no e-mail.")
        for event in events:
            if getattr(event, "message", None) is None or "@" not in sender_address(event.message):
                return _plain(400, "An e-mail in this request has no sender (From) address.")
            try:
                event.message.text, event.message.html  # noqa: B018 (decoded now, so the handler cannot fail on it)
            except (LookupError, UnicodeError, ValueError, AssertionError):
                return _plain(400, "An e-mail in this request could not be decoded.")
        for event in events:
            self.signal.send(sender=self.__class__, event=event, esp_name=self.esp_name)
        return HttpResponse("Received.\n", content_type="text/plain; charset=utf-8")


class RawMimeInboundView(GuardedInboundMixin, AnymailBaseWebhookView):
    """The message itself as the body (``Content-Type: message/rfc822``), from any provider or relay."""

    esp_name = "raw MIME"
    signal = inbound

    def parse_events(self, request):
        if not request.body.strip():
            raise ValueError("empty body")
        message = AnymailInboundMessage.parse_raw_mime_bytes(request.body)
        if message.defects and not message.keys():
            raise ValueError(f"not a MIME message: {message.defects}")
        return [AnymailInboundEvent(event_type=EventType.INBOUND, message=message, esp_event=request)]


def _guarded(view_class):
    """A view for one inbound URL: 404 while no secret is set or the provider is not configured; else the view."""
    if not issubclass(view_class, GuardedInboundMixin):
        view_class = type(f"Guarded{view_class.__name__}", (GuardedInboundMixin, view_class), {})
    view = view_class.as_view()

    @csrf_exempt
    def inbound_view(request, *args, **kwargs):
        if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
            return _plain(404, "Replying by e-mail is not set up on this site (INBOUND_MAIL_SECRET is unset).")
        try:
            return view(request, *args, **kwargs)
        except ImproperlyConfigured as exc:  # e.g. Mailgun's signing key unset: this provider is not in use
            logger.warning("Inbound mail posted to an unconfigured provider: %s", exc)
            return _plain(404, f"Inbound mail from {view_class.esp_name} is not set up on this site.")

    return inbound_view


def _provider_patterns():
    """anymail's inbound URL for each provider, under our own prefix and guarded."""
    patterns = []
    for pattern in anymail_urls.urlpatterns:
        name = pattern.name or ""
        view_class = getattr(pattern.callback, "view_class", None)
        # Mandrill's one URL mixes tracking events in; "sendinblue" is Brevo's old name; anymail no longer supports
        # SendGrid (its views warn on every request).
        if view_class is None or not name.endswith("_inbound_webhook") or name.startswith(("sendinblue", "sendgrid")):
            continue
        route = str(pattern.pattern).replace("/inbound", "")  # /mail/inbound/postmark/, not …/postmark/inbound/
        if isinstance(pattern.pattern, RegexPattern):
            patterns.append(re_path(route, _guarded(view_class), name=name))
        else:
            patterns.append(path(route, _guarded(view_class), name=name))
    return patterns


raw_mime = _guarded(RawMimeInboundView)
