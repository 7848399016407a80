"""Production settings come from the environment and pass `manage.py check --deploy`."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {
        "DEVELOPMENT", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "HTTPS", "SECURE_SSL_REDIRECT",
        "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests in this process
    }}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120,
    )


PRODUCTION = {
    "DEVELOPMENT": "0",
    "ALLOWED_HOSTS": "planner.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://planner.example.com",
    "USE_X_FORWARDED_PROTO": "1",
}


def test_check_deploy_is_clean_with_production_variables():
    completed = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50), **PRODUCTION,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "no issues" in completed.stdout


def test_production_refuses_to_start_without_a_secret_key():
    completed = manage("check", **PRODUCTION)
    assert completed.returncode != 0
    assert "SECRET_KEY must be set in production" in completed.stderr


def test_development_defaults_are_flagged_by_check_deploy():
    # The zero-setup defaults (development key, no HTTPS) must not pass as production.
    completed = manage("check", "--deploy", "--fail-level", "WARNING")
    assert completed.returncode != 0
    assert "SECRET_KEY" in completed.stderr + completed.stdout


def test_gunicorn_config_defaults_to_production():
    code = (
        "import os, runpy; os.environ.pop('DEVELOPMENT', None); "
        "runpy.run_path('gunicorn.conf.py'); print(os.environ['DEVELOPMENT'])"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert completed.stdout.strip() == "0", completed.stderr


def test_production_settings_values():
    code = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.DEBUG, settings.SESSION_COOKIE_SECURE, "
        "settings.CSRF_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS,"
        " settings.SECURE_PROXY_SSL_HEADER, settings.ALLOWED_HOSTS, settings.CSRF_TRUSTED_ORIGINS"
        "]))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HTTPS"}}
    env.update(PRODUCTION, SECRET_KEY="x" * 60, DJANGO_SETTINGS_MODULE="config.settings")
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == (
        '[false, true, true, true, 31536000, ["HTTP_X_FORWARDED_PROTO", "https"], '
        '["planner.example.com"], ["https://planner.example.com"]]'
    )
