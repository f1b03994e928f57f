"""Settings read from the environment fail loudly, and production passes Django's deployment checks."""

import datetime as dt
import json
import os
import re
import subprocess
from pathlib import Path
from unittest import mock

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from qa_site.settings.env import env_bool, env_int, env_list, env_str, env_url
from tests.manage_cli import manage

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "qa_site.settings.production",
    "SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
    "ALLOWED_HOSTS": "answers.example.org",
    "BASE_URL": "https://answers.example.org",
    "DATABASE_URL": "sqlite:////tmp/qa-check-deploy.sqlite3",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "EMAIL_URL": "smtp://mailer:secret@mail.example.org:587",
}
REQUIRED = ["DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "BASE_URL", "EMAIL_URL"]


@pytest.mark.parametrize("value", ["maybe", "2", "yess"])
def test_env_bool_rejects_values_that_are_not_booleans(monkeypatch, value):
    monkeypatch.setenv("QA_FLAG", value)
    with pytest.raises(ImproperlyConfigured, match="QA_FLAG"):
        env_bool("QA_FLAG")


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("true", True), ("Off", False), ("no", False)])
def test_env_bool_reads_common_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("QA_FLAG", value)
    assert env_bool("QA_FLAG") is expected


def test_env_int_rejects_words_and_values_below_the_minimum(monkeypatch):
    monkeypatch.setenv("QA_N", "ten")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("QA_N", 3)
    monkeypatch.setenv("QA_N", "-1")
    with pytest.raises(ImproperlyConfigured, match="below the minimum"):
        env_int("QA_N", 3, minimum=0)


def test_required_values_must_be_present(monkeypatch):
    monkeypatch.delenv("QA_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="QA_REQUIRED is required"):
        env_str("QA_REQUIRED")
    assert env_list("QA_REQUIRED", ["a"]) == ["a"]


@pytest.mark.parametrize("value", ["mysql://db/x", "localhost:5432", "postgres://"])
def test_database_url_must_be_sqlite_or_postgres_with_a_host(monkeypatch, value):
    monkeypatch.setenv("QA_DB", value)
    with pytest.raises(ImproperlyConfigured):
        env_url("QA_DB", schemes=("sqlite", "postgres", "postgresql"))


def _manage(*args, env):
    return manage(*args, env=env, forget=PRODUCTION_ENV)


def test_production_settings_pass_the_deployment_checks():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", REQUIRED)
def test_production_refuses_to_start_without_each_required_variable(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert f"need these environment variables, which are not set: {missing} (" in result.stderr
    others = [name for name in REQUIRED if name != missing]
    assert not any(re.search(rf"(?<![A-Z_]){name} \(", result.stderr) for name in others), "only the missing one"


def test_production_names_every_missing_variable_at_once():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k not in ("REDIS_URL", "EMAIL_URL")}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "not set: REDIS_URL (Redis for the job queue" in result.stderr
    assert "; EMAIL_URL (where mail goes" in result.stderr


def test_production_refuses_a_short_secret_key():
    result = _manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": "too-short-" * 4})
    assert result.returncode != 0
    assert "SECRET_KEY is 40 characters long; production needs at least 50" in result.stderr


def _settings_in(env, *names):
    code = (
        "from django.conf import settings; import json; "
        f"print(json.dumps({{n: str(getattr(settings, n, None)) for n in {names!r}}}))"
    )
    result = _manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_uses_redis_for_jobs_and_cache_never_fakeredis():
    found = _settings_in(PRODUCTION_ENV, "RQ_QUEUES", "CACHES")
    assert "redis://127.0.0.1:6379/15" in found["RQ_QUEUES"]
    assert "'ASYNC': False" not in found["RQ_QUEUES"]
    assert "Fake" not in found["RQ_QUEUES"] + found["CACHES"]
    assert "qa_site.resilience.ResilientRedisCache" in found["CACHES"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://mailer:s%40cret@mail.example.org:2525",
            {
                "EMAIL_BACKEND": "smtp",
                "EMAIL_HOST": "mail.example.org",
                "EMAIL_PORT": "2525",
                "EMAIL_HOST_PASSWORD": "s@cret",
                "EMAIL_USE_TLS": "True",
                "EMAIL_USE_SSL": "False",
            },
        ),
        ("smtps://mailer:pw@mail.example.org", {"EMAIL_BACKEND": "smtp", "EMAIL_PORT": "465", "EMAIL_USE_SSL": "True"}),
        ("console://", {"EMAIL_BACKEND": "console"}),
        ("file:///tmp/qa-mail", {"EMAIL_BACKEND": "filebased", "EMAIL_FILE_PATH": "/tmp/qa-mail"}),
    ],
)
def test_email_url_chooses_where_mail_goes(url, expected):
    found = _settings_in({**PRODUCTION_ENV, "EMAIL_URL": url}, *expected)
    for name, value in expected.items():
        assert value in found[name], (name, found[name])


@pytest.mark.parametrize("url", ["mailto://x@y", "smtp://", "file://relative/dir", "console"])
def test_a_bad_email_url_stops_start_up_naming_it(url):
    result = _manage("check", env={**PRODUCTION_ENV, "EMAIL_URL": url})
    assert result.returncode != 0
    assert "EMAIL_URL" in result.stderr


def test_database_connections_are_reused_and_checked_by_default():
    found = _settings_in(PRODUCTION_ENV, "DATABASES")
    assert "'CONN_MAX_AGE': 600" in found["DATABASES"]
    assert "'CONN_HEALTH_CHECKS': True" in found["DATABASES"]


def test_a_typo_in_an_environment_variable_stops_start_up():
    result = _manage("check", env={**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "yes please"})
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT='yes please' is not a boolean" in result.stderr


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"PORT": "8123"}, "http://127.0.0.1:8123"),
        ({"HOST": "0.0.0.0", "PORT": "9000"}, "http://127.0.0.1:9000"),
        ({"BASE_URL": "https://answers.example.org"}, "https://answers.example.org"),
    ],
)
def test_make_run_gives_links_the_address_it_serves_on(variables, expected):
    """`make run` exports BASE_URL (used in e-mails, feeds and widget snippets) from its HOST and PORT."""
    env = {k: v for k, v in os.environ.items() if k not in ("BASE_URL", "HOST", "PORT")}
    overrides = [f"{name}={value}" for name, value in variables.items() if name != "BASE_URL"]
    if "BASE_URL" in variables:
        env["BASE_URL"] = variables["BASE_URL"]
    result = subprocess.run(
        ["make", "-s", "--eval=show-base-url: ; @echo $$BASE_URL", "show-base-url", *overrides],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == expected, result.stderr


@pytest.mark.parametrize("time_of_day", [dt.time(8, 59, 55), dt.time(9, 0, 3), dt.time(17, 0, 0)])
def test_the_system_checks_pass_at_any_time_of_day(time_of_day):
    # CI once ran the checks at 09:00:0x and Django warned that the office hours' default was a fixed time.
    moment = dt.datetime.combine(dt.date(2026, 12, 7), time_of_day, tzinfo=dt.UTC)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        messages = checks.run_checks(include_deployment_checks=False)
    assert [m.id for m in messages if m.level >= checks.WARNING] == []
