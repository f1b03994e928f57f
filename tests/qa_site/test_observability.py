"""Request ids, the request log (plain or JSON), job lines, gunicorn's settings, and Sentry with nothing personal."""

import gzip
import http.client
import http.server
import io
import json
import logging
import os
import runpy
import socket
import subprocess
import sys
import textwrap
import threading
import time
from logging.config import DictConfigurator
from pathlib import Path

import brotli
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse

from qa_site.observability import current_request_id, init_sentry, mask_secrets
from qa_site.settings.env import env_choice, env_float

ROOT = Path(__file__).resolve().parents[2]
# Production's required variables, as tests/qa_site/test_settings.py sets them, and the two it will soon require.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "qa_site.settings.production",
    "SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
    "ALLOWED_HOSTS": "answers.example.org",
    "BASE_URL": "https://answers.example.org",
    "DATABASE_URL": "sqlite:////tmp/qa-check-deploy.sqlite3",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "EMAIL_URL": "console://",
}
view_log = logging.getLogger("tests.observability")


def _logs_inside(request):
    view_log.warning("Logged inside the view")
    return HttpResponse(f"request id {current_request_id()}")


# The site's own URLs follow: its middleware reverses some of them.
urlpatterns = [path("inside/", _logs_inside), path("", include("qa_site.urls"))]


@pytest.fixture
def json_log():
    """A handler like LOGGING's console handler, with the JSON formatter, on a few loggers; returns the parsed lines."""
    stream = io.StringIO()
    configurator = DictConfigurator({})
    handler = logging.StreamHandler(stream)
    handler.setFormatter(configurator.configure_formatter(dict(settings.LOGGING["formatters"]["json"])))
    for name in settings.LOGGING["handlers"]["console"]["filters"]:
        handler.addFilter(configurator.configure_filter(dict(settings.LOGGING["filters"][name])))
    names = ("qa_site.requests", "qa_site.jobs", "tests.observability", "django.request")
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)

    def lines(logger_name=None):
        parsed = [json.loads(line) for line in stream.getvalue().splitlines()]
        return [line for line in parsed if logger_name in (None, line["logger"])]

    lines.raw = stream.getvalue
    yield lines
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def _clean_env(**extra):
    """This process's environment without anything that changes which services or settings a child uses."""
    prefixes = ("SENTRY_", "LOG_", "DATABASE_URL", "REDIS_URL", "ELASTICSEARCH_URL", "EMAIL_URL", "DJANGO_SETTINGS")
    return {**{k: v for k, v in os.environ.items() if not k.startswith(prefixes)}, **extra}


def _python(code_or_path, *, env, timeout=120):
    args = [str(code_or_path)] if isinstance(code_or_path, Path) else ["-c", code_or_path]
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- Request ids


@pytest.mark.urls(__name__)
def test_a_sane_request_id_from_the_proxy_is_kept_and_echoed(client):
    response = client.get("/inside/", headers={"X-Request-ID": "edge-7f3a.b_c-9"})
    assert response["X-Request-ID"] == "edge-7f3a.b_c-9"
    assert response.content == b"request id edge-7f3a.b_c-9"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("incoming", [None, "", "x" * 65, "two words", "<script>", "a/b", "ünïcode", "id\r\nX: 1"])
def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(client, incoming):
    headers = {} if incoming is None else {"X-Request-ID": incoming}
    response = client.get("/inside/", headers=headers)
    made = response["X-Request-ID"]
    assert len(made) == 32
    assert int(made, 16) >= 0
    assert response.content == f"request id {made}".encode()
    assert client.get("/inside/")["X-Request-ID"] != made


def test_outside_a_request_there_is_no_request_id():
    assert current_request_id() is None


# --- The request log


@pytest.mark.urls(__name__)
def test_each_request_logs_one_json_line_with_its_id_user_method_path_status_and_duration(client, alice, json_log):
    client.force_login(alice)
    client.get("/inside/?q=what+my+client+told+me", headers={"X-Request-ID": "req-alice-1"})

    (line,) = json_log("qa_site.requests")
    duration = line.pop("duration_ms")
    assert 0 <= duration < 10_000
    assert line.pop("time").endswith("+00:00")
    assert line == {
        "level": "INFO",
        "logger": "qa_site.requests",
        "message": f"GET /inside/ 200 {duration}ms user={alice.pk}",
        "request_id": "req-alice-1",
        "user_id": alice.pk,
        "method": "GET",
        "path": "/inside/",
        "status": 200,
    }
    assert "alice@example.test" not in json_log.raw()
    assert "client" not in json_log.raw()


@pytest.mark.urls(__name__)
def test_an_anonymous_request_is_logged_with_no_user(client, json_log):
    client.post("/inside/")
    (line,) = json_log("qa_site.requests")
    assert (line["method"], line["path"], line["status"], line["user_id"]) == ("POST", "/inside/", 200, None)


@pytest.mark.urls(__name__)
def test_a_record_logged_inside_the_view_carries_the_request_id(client, json_log):
    client.get("/inside/", headers={"X-Request-ID": "req-inside-2"})
    (line,) = json_log("tests.observability")
    assert (line["message"], line["level"], line["request_id"]) == ("Logged inside the view", "WARNING", "req-inside-2")


def test_paths_are_logged_without_query_strings_and_with_their_tokens_masked(client, site_tree, json_log):
    client.get("/search/", {"q": "tenant eviction Mrs Pemberton"})
    client.get("/alerts/unsubscribe/SeCrEtUnSuB123:1vXyZ:abcDEF/")
    client.get("/network/join/InViTe456:1vXyZ:ghiJKL/")
    client.get("/feeds/key/FeedKey7890abcdef.rss")

    assert [line["path"] for line in json_log("qa_site.requests")] == [
        "/search/",
        "/alerts/unsubscribe/<token>/",
        "/network/join/<token>/",
        "/feeds/key/<token>.rss",
    ]
    # Django's own lines for the 4xx responses are masked too.
    assert [line["message"] for line in json_log("django.request")] == [
        "Bad Request: /alerts/unsubscribe/<token>/",
        "Not Found: /network/join/<token>/",
        "Not Found: /feeds/key/<token>.rss",
    ]
    for secret in ("Pemberton", "SeCrEtUnSuB123", "InViTe456", "FeedKey7890abcdef"):
        assert secret not in json_log.raw()


def _every_url_pattern(resolver=None, namespace=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _every_url_pattern(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names = set(getattr(pattern.pattern, "converters", {})) | set(pattern.pattern.regex.groupindex)
            yield f"{namespace}{pattern.name}", names


def test_every_url_with_a_token_key_or_uid_in_its_path_is_masked():
    secret_names = {"token", "key", "uidb36", "uidb64"}
    checked = []
    for name, parameters in _every_url_pattern():
        if parameters & secret_names:
            url = reverse(name, kwargs=dict.fromkeys(parameters, "Sekr3tValue0123"))
            assert "Sekr3tValue0123" not in mask_secrets(url), f"{name} ({url}) carries a token the log would show"
            checked.append(name)
    assert {"alerts:unsubscribe", "network:invitation", "feeds:key_rss", "account_confirm_email"} <= set(checked)


def test_mask_secrets_leaves_ordinary_paths_and_replaces_email_addresses():
    assert mask_secrets("/accounts/password/reset/key/done/") == "/accounts/password/reset/key/done/"
    assert mask_secrets("/questions/12/") == "/questions/12/"
    assert mask_secrets("duplicate key (email)=(jo.bloggs+x@mail.example.co.uk)") == "duplicate key (email)=(<email>)"


# --- Job lines (the outbox's runner logs these on qa_site.jobs)


def test_a_job_line_has_its_extra_fields_as_top_level_json_keys(json_log):
    extra = {"job": "feeds.tasks.send_alerts", "job_id": "7f0c2b", "outcome": "retry", "duration_ms": 412.5}
    logging.getLogger("qa_site.jobs").info("Job %s: %s", extra["job"], extra["outcome"], extra=extra)

    (line,) = json_log("qa_site.jobs")
    line.pop("time")
    assert line == {
        "level": "INFO",
        "logger": "qa_site.jobs",
        "message": "Job feeds.tasks.send_alerts: retry",
        **extra,
    }


def test_a_record_orjson_cannot_write_is_still_one_json_line(json_log):
    """Lines are written with orjson, which refuses integers beyond 64 bits and keys that are not strings: such a
    record is written by the standard json module instead, not lost."""
    extra = {"count": 2**70, "by_id": {7: "seven"}, "who": "Zoë"}
    logging.getLogger("qa_site.jobs").warning("Odd values", extra=extra)
    logging.getLogger("qa_site.jobs").info("Plain")

    odd, plain = json_log("qa_site.jobs")
    assert (odd["message"], odd["count"], odd["by_id"], odd["who"]) == ("Odd values", 2**70, {"7": "seven"}, "Zoë")
    assert plain["message"] == "Plain"
    assert "Zoë" in json_log.raw()  # UTF-8 either way, not \u escapes


def test_log_format_json_writes_one_json_object_per_line_end_to_end():
    script = textwrap.dedent(
        """
        import django
        django.setup()
        from django.http import HttpResponse
        from django.test import Client, override_settings
        from django.urls import include, path
        urlpatterns = [path("ping/", lambda request: HttpResponse("pong")), path("", include("qa_site.urls"))]
        with override_settings(ROOT_URLCONF="__main__"):
            Client().get("/ping/?q=private+words", headers={"X-Request-ID": "probe-json-1"})
        """
    )
    result = _python(script, env=_clean_env(DJANGO_SETTINGS_MODULE="qa_site.settings.test", LOG_FORMAT="json"))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    (line,) = [line for line in lines if line["logger"] == "qa_site.requests"]
    assert (line["request_id"], line["path"], line["status"], line["user_id"]) == ("probe-json-1", "/ping/", 200, None)


def test_production_logs_json_unless_told_otherwise():
    code = "import django; django.setup(); from django.conf import settings as s; print(s.LOGGING['handlers'])"
    result = _python(code, env=_clean_env(**PRODUCTION_ENV))
    assert result.returncode == 0, result.stderr
    assert "'formatter': 'json'" in result.stdout
    result = _python(code, env=_clean_env(**PRODUCTION_ENV, LOG_FORMAT="text"))
    assert "'formatter': 'text'" in result.stdout


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LOG_FORMAT", "xml", "LOG_FORMAT='xml' is not one of: text, json."),
        ("LOG_LEVEL", "chatty", "LOG_LEVEL='chatty' is not one of: DEBUG, INFO, WARNING, ERROR, CRITICAL."),
        ("SENTRY_DSN", "sentry.example.org/1", "SENTRY_DSN must start with one of http://, https://"),
        ("SENTRY_DSN", "https://sentry.example.org/1", "SENTRY_DSN='https://sentry.example.org/1' is not a Sentry DSN"),
        ("SENTRY_TRACES_SAMPLE_RATE", "10%", "SENTRY_TRACES_SAMPLE_RATE='10%' is not a number."),
    ],
)
def test_a_bad_logging_or_sentry_variable_stops_start_up_naming_it(name, value, message):
    result = _python(
        "import django; django.setup()",
        env=_clean_env(DJANGO_SETTINGS_MODULE="qa_site.settings.test", SENTRY_DSN="http://pk@127.0.0.1:9/1")
        | {name: value},
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_env_choice_and_env_float_read_and_refuse(monkeypatch):
    monkeypatch.setenv("QA_FORMAT", "JSON")
    assert env_choice("QA_FORMAT", "text", choices=("text", "json")) == "json"
    monkeypatch.setenv("QA_RATE", "1.5")
    with pytest.raises(ImproperlyConfigured, match=r"QA_RATE=1.5 is outside 0.0–1.0"):
        env_float("QA_RATE", 0.0, minimum=0.0, maximum=1.0)
    monkeypatch.delenv("QA_RATE")
    assert env_float("QA_RATE", 0.0) == 0.0


# --- gunicorn


def test_gunicorn_conf_reads_its_settings_from_the_environment(monkeypatch):
    for name, value in {
        "PORT": "9100",
        "WEB_CONCURRENCY": "3",
        "WEB_THREADS": "4",
        "FORWARDED_ALLOW_IPS": "10.0.0.2",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (conf["bind"], conf["workers"], conf["threads"]) == ("0.0.0.0:9100", 3, 4)
    assert (conf["forwarded_allow_ips"], conf["accesslog"], conf["errorlog"]) == ("10.0.0.2", None, "-")
    assert (conf["timeout"], conf["graceful_timeout"]) == (30, 20)
    assert conf["logconfig_dict"]["loggers"]["gunicorn.access"] == {
        "level": "CRITICAL",
        "handlers": [],
        "propagate": False,
    }

    monkeypatch.setenv("LOG_FORMAT", "text")
    assert "logconfig_dict" not in runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    monkeypatch.setenv("WEB_CONCURRENCY", "0")
    with pytest.raises(ImproperlyConfigured, match="WEB_CONCURRENCY=0 is below the minimum of 1"):
        runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_check_config_loads_the_conf_and_the_application():
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "-c", "gunicorn.conf.py", "qa_site.wsgi"],
        cwd=ROOT,
        env=_clean_env(**PRODUCTION_ENV),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_gunicorn_serving_production_logs_json_lines_and_no_access_log(tmp_path):
    port = _free_port()
    env = _clean_env(**PRODUCTION_ENV) | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "XDG_RUNTIME_DIR": str(tmp_path),  # gunicorn's control socket, apart from any other gunicorn's
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "qa_site.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status = None
        deadline = time.monotonic() + 60
        while status is None and time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                # Plain HTTP to production settings: SecurityMiddleware answers with a redirect to https.
                connection.request("GET", "/search/?q=secret+words", headers={"Host": "answers.example.org"})
                status = connection.getresponse().status
                connection.close()
            except ConnectionRefusedError:
                time.sleep(0.2)
        assert status == 301
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=60)
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert stdout == ""
    # gunicorn's own messages and Python's warnings (whitenoise's, here: no collectstatic) are JSON lines too.
    assert (
        {"gunicorn.error", "qa_site.requests"}
        <= {line["logger"] for line in lines}
        <= {
            "gunicorn.error",
            "qa_site.requests",
            "py.warnings",
        }
    )
    (request_line,) = [line for line in lines if line["logger"] == "qa_site.requests"]
    assert (request_line["path"], request_line["status"]) == ("/search/", 301)
    assert "secret words" not in stderr
    assert "secret+words" not in stderr


# --- Sentry

PROBE = """
import json
import logging
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server

import django

django.setup()

import sentry_sdk
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

EMAIL, NOTE = os.environ["PROBE_EMAIL"], os.environ["PROBE_NOTE"]  # not argv, which events carry


class ObservabilityProbeError(Exception):
    pass


@csrf_exempt
def explode(request, token):
    note = request.POST["note"]  # read, as a form view would
    assert request.user.email == EMAIL and note == NOTE
    logging.getLogger("qa_site.probe").error("Probe logged an error before failing")
    raise ObservabilityProbeError("the probe view failed on purpose")


urlpatterns = [path("network/join/<str:token>/", explode), path("", include("qa_site.urls"))]


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


with override_settings(MIGRATION_MODULES={app.label: None for app in apps.get_app_configs()}):
    call_command("migrate", run_syncdb=True, verbosity=0)
user = get_user_model().objects.create_user(email=EMAIL, password="probe-password-1")
client = Client()
client.force_login(user)
session = client.cookies[settings.SESSION_COOKIE_NAME].value

statuses = []
with override_settings(ROOT_URLCONF="__main__"):
    server = make_server("127.0.0.1", 0, WSGIHandler(), handler_class=Quiet)

    def post():
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.server_port}/network/join/probe-invite-token-42/?q=probe-query-words",
            data=urllib.parse.urlencode({"note": NOTE}).encode(),
            headers={
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}",
                "Authorization": "Bearer probe-bearer-secret",
                "X-Request-ID": "probe-request-1",
                "X-Forwarded-For": "203.0.113.77",
            },
        )
        try:
            statuses.append(urllib.request.urlopen(request).status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    thread = threading.Thread(target=post)
    thread.start()
    server.handle_request()  # in this thread, which holds the in-memory database
    thread.join()
    server.server_close()
sentry_sdk.flush()
active = sentry_sdk.get_client().is_active()
print(json.dumps({"session": session, "statuses": statuses, "active": active, "port": server.server_port}))
"""


@pytest.fixture
def sentry_inbox():
    """A stand-in for Sentry's ingestion: records the (decompressed) envelopes POSTed to /api/<project>/envelope/."""

    class Inbox(list):
        port = None

    received = Inbox()

    class Ingest(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            elif self.headers.get("Content-Encoding") == "br":  # sentry-sdk's choice when brotli is installed
                body = brotli.decompress(body)
            else:
                assert self.headers.get("Content-Encoding") in (None, "identity"), self.headers
            received.append((self.path, body))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ingest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received.port = server.server_port
    yield received
    server.shutdown()
    server.server_close()
    thread.join()


def _events(envelopes):
    """The event payloads in Sentry envelopes (newline-separated JSON: a header, then item headers and payloads)."""
    events = []
    for _path, body in envelopes:
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


def test_sentry_reports_errors_with_nothing_personal(sentry_inbox, tmp_path):
    email, note = "probe.person.7731@example.test", "Marjorie Pettigrew-Oduya of 14 Lantern Row"
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    env = _clean_env(
        DJANGO_SETTINGS_MODULE="qa_site.settings.test",
        SENTRY_DSN=f"http://publickey@127.0.0.1:{sentry_inbox.port}/1",
        SENTRY_ENVIRONMENT="ci",
        PYTHONPATH=str(ROOT),  # the script lives in tmp_path
        PROBE_EMAIL=email,
        PROBE_NOTE=note,
    )
    result = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert (outcome["statuses"], outcome["active"]) == ([500], True)

    assert {path for path, _body in sentry_inbox} == {"/api/1/envelope/"}
    everything = b"\n".join(body for _path, body in sentry_inbox)
    for secret in (
        email,
        "probe.person.7731",
        note,
        "Pettigrew",
        outcome["session"],
        "probe-bearer-secret",
        "probe-invite-token-42",
        "probe-query-words",
        "203.0.113.77",
        "probe-password-1",
    ):
        assert secret.encode() not in everything, f"{secret!r} reached Sentry"

    events = _events(sentry_inbox)
    (crash,) = [event for event in events if "exception" in event]
    (exception,) = crash["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("ObservabilityProbeError", "the probe view failed on purpose")
    assert crash["environment"] == "ci"
    assert crash["tags"]["request_id"] == "probe-request-1"
    assert crash["request"]["url"] == f"http://127.0.0.1:{outcome['port']}/network/join/<token>/"
    assert "user" not in crash
    assert not {"cookies", "data", "query_string"} & set(crash["request"])
    assert not {"cookie", "authorization", "x-forwarded-for"} & {h.lower() for h in crash["request"]["headers"]}
    assert all(not frame.get("vars") for frame in exception["stacktrace"]["frames"])
    (logged,) = [event for event in events if "exception" not in event]
    assert logged["logentry"]["message"] == "Probe logged an error before failing"
    assert logged["tags"]["request_id"] == "probe-request-1"


@pytest.mark.parametrize("dsn", [None, ""])
def test_sentry_stays_off_without_a_dsn(dsn):
    env = _clean_env(DJANGO_SETTINGS_MODULE="qa_site.settings.test")
    if dsn is not None:
        env["SENTRY_DSN"] = dsn
    code = "import django; django.setup(); import sentry_sdk; print(sentry_sdk.get_client().is_active())"
    result = _python(code, env=env)
    assert (result.returncode, result.stdout) == (0, "False\n"), result.stderr


def test_a_dsn_without_a_key_is_refused_before_sentry_starts():
    with pytest.raises(ImproperlyConfigured, match=r"SENTRY_DSN='http://127.0.0.1/1' is not a Sentry DSN"):
        init_sentry(dsn="http://127.0.0.1/1", environment="test")
