"""What production tells its operators: one log line per request, a request id on every line, errors in Sentry.

Settings refer to this module by dotted path (the middleware, the logging filter, the JSON formatter) and call
``init_sentry`` when ``SENTRY_DSN`` is set. It imports no app, so settings may import it.

- ``RequestLogMiddleware`` takes the proxy's ``X-Request-ID`` when it is a sane token (else makes one), sends it
  back on the response, keeps it in a context variable for the request, and logs one line per request on
  ``qa_site.requests``: request id, user id (never the e-mail), method, path, status, duration in ms.
- Paths are logged without their query string, always: searches (``/search/?q=…``) are words people type about
  their clients, and widget addresses carry keys. Secret tokens inside paths (unsubscribe and invitation links,
  private feed keys, allauth's and Wagtail's e-mail and password links) are replaced by ``<token>`` by
  ``mask_secrets``, which also replaces e-mail addresses by ``<email>``.
- ``RequestIdFilter`` adds the request id to every record logged during the request (set on the console
  handler in ``LOGGING``), so an error or a job enqueued mid-request can be found with the request's line.
  ``MaskSecretsFilter`` masks the same tokens and e-mail addresses in every message (Django's own "Not Found: <path>").
- ``init_sentry`` turns Sentry on with nothing personal: no user, cookies, request bodies, query strings, local
  variables, client addresses or Authorization/Cookie/Referer headers, and the same masking of tokens and e-mail
  addresses in every string of an event (``scrub_event``).
"""

import contextvars
import json
import logging
import logging.config
import re
import time
import uuid

import sentry_sdk
from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.orjson import OrjsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
request_log = logging.getLogger("qa_site.requests")

_request_id = contextvars.ContextVar("request_id", default=None)
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# Secret tokens that travel in paths: what comes before the token, and the token. Found with
# `grep -rn "<str:token>\|<token>\|(?P<key>" */urls.py` and in allauth's and Wagtail's URL confs;
# tests/qa_site/test_observability.py checks that every URL with a token, key or uid parameter is covered.
_SEGMENT = r"[^/?#\s\"'<>]+"  # one path segment (signed tokens may hold "." and ":")
_TOKENS_IN_PATHS = [
    re.compile(before + token)
    for before, token in [
        (r"(/alerts/unsubscribe/)", _SEGMENT),  # feeds.alert_urls: one-click unsubscribe links in alert e-mails
        (r"(/network/join/)", _SEGMENT),  # qa_site.network.urls: invitation links
        (r"(/feeds/key/)", r"[-A-Za-z0-9_]+"),  # feeds.urls: a network's private feed key, then .rss or .atom
        (r"(/accounts/confirm-email/)", _SEGMENT),  # allauth: e-mail address confirmation
        (r"(/accounts/password/reset/key/)(?!done/)", _SEGMENT),  # allauth: password reset, <uidb36>-<key>
        (r"(/admin/password_reset/confirm/)", _SEGMENT + "/" + _SEGMENT),  # Wagtail: <uidb64>/<token>
    ]
]
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def mask_secrets(text):
    """``text`` with tokens in known paths replaced by ``<token>`` and e-mail addresses by ``<email>``."""
    if not text:
        return text
    for pattern in _TOKENS_IN_PATHS:
        text = pattern.sub(r"\1<token>", text)
    return _EMAIL.sub("<email>", text)


def current_request_id():
    """The id of the request being served in this thread, or None outside a request."""
    return _request_id.get()


class RequestLogMiddleware:
    """Outermost middleware: times the whole request and logs it once, with the user read afterwards."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        reset = _request_id.set(request_id)
        started = time.perf_counter()
        try:
            if sentry_sdk.get_client().is_active():
                sentry_sdk.set_tag("request_id", request_id)
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            path = mask_secrets(request.path)
            user = getattr(request, "user", None)  # set by AuthenticationMiddleware, unless a response came first
            user_id = user.pk if user is not None and user.is_authenticated else None
            request_log.info(
                "%s %s %s %sms user=%s",
                request.method,
                path,
                response.status_code,
                duration_ms,
                user_id,
                extra={
                    "request_id": request_id,
                    "user_id": user_id,
                    "method": request.method,
                    "path": path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
            return response
        finally:
            _request_id.reset(reset)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to each record logged while a request is being served."""

    def filter(self, record):
        request_id = _request_id.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


class MaskSecretsFilter(logging.Filter):
    """Masks tokens and e-mail addresses in messages: Django logs the path of every 4xx response ("Not Found: …")."""

    def filter(self, record):
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(OrjsonFormatter):
    """python-json-logger's formatter, writing with orjson (a request's line in half the time of the standard
    json module's), and with the standard module for a record orjson refuses (an integer beyond 64 bits, a key
    that is not a string), so that no line is lost."""

    def jsonify_log_record(self, log_data):
        try:
            return super().jsonify_log_record(log_data)
        except TypeError:
            return json.dumps(log_data, default=self.json_default, ensure_ascii=False)


LOG_FORMATS = ("text", "json")  # LOG_FORMAT's choices
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")  # LOG_LEVEL's choices

# The JSON formatter of LOGGING (LOG_FORMAT=json) and of gunicorn's own log: one object per line with time, level,
# logger and message, and any `extra={...}` fields (request_id, job, outcome, duration_ms…) as top-level keys.
JSON_FORMATTER = {
    "()": "qa_site.observability.JsonFormatter",
    "fmt": "%(levelname)s %(name)s %(message)s",
    "rename_fields": {"levelname": "level", "name": "logger"},
    "timestamp": "time",
    # Django attaches the request object to its 4xx and 5xx records: its repr holds the query string.
    "reserved_attrs": [*RESERVED_ATTRS, "request"],
}


def configure_logging(config):
    """Django's LOGGING_CONFIG: LOGGING, with Python's warnings sent through it (so JSON logs stay JSON)."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)


# --- Sentry

_DROPPED_HEADERS = {"authorization", "proxy-authorization", "cookie", "referer", "x-forwarded-for", "x-real-ip"}


def _mask_strings(value):
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {key: _mask_strings(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_strings(item) for item in value]
    return value


def scrub_event(event, hint=None):
    """Sentry's ``before_send``: removes what identifies people, whichever integration added it."""
    user = event.get("user")
    if user:
        for field in ("email", "username", "ip_address", "name"):
            user.pop(field, None)
        if not user:
            event.pop("user")
    request = event.get("request")
    if request:
        for field in ("cookies", "data", "query_string"):
            request.pop(field, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS}
        env = request.get("env")
        if isinstance(env, dict):
            env.pop("REMOTE_ADDR", None)
    extra = event.get("extra")
    if isinstance(extra, dict):
        extra.pop("request", None)  # a logged record's request object (Django's django.security.* records)
    return _mask_strings(event)


def init_sentry(*, dsn, environment, release=None, traces_sample_rate=0.0):
    """Turn Sentry on. ``dsn`` is the value of SENTRY_DSN; a malformed one stops start-up, naming the variable.

    ``release`` None lets the SDK take SENTRY_RELEASE or the git commit (``git rev-parse HEAD``), when there is one.
    """
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration, ignore_logger
    from sentry_sdk.integrations.rq import RqIntegration
    from sentry_sdk.utils import BadDsn, Dsn

    try:
        Dsn(dsn)
    except BadDsn as exc:
        raise ImproperlyConfigured(f"SENTRY_DSN={dsn!r} is not a Sentry DSN ({exc}).") from None
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        traces_sample_rate=traces_sample_rate,
        integrations=[
            DjangoIntegration(),
            RqIntegration(),
            # Records at INFO and above become breadcrumbs, ERROR and above events.
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
    )
    # Requests naming a host we do not serve are scanners; they are answered 400 and logged, not reported.
    ignore_logger("django.security.DisallowedHost")
