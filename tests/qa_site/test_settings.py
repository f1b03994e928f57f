"""Settings read from the environment fail loudly, and production passes Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from qa_site.settings.env import env_bool, env_int, env_list, env_str, env_url

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "qa_site.settings.production",
    "SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
    "ALLOWED_HOSTS": "answers.example.org",
    "BASE_URL": "https://answers.example.org",
    "DATABASE_URL": "sqlite:////tmp/qa-check-deploy.sqlite3",
}


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
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_a_typo_in_an_environment_variable_stops_start_up():
    result = _manage("check", env={**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "yes please"})
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT='yes please' is not a boolean" in result.stderr
