"""Sign-up, password reset by e-mail, and the first user from the environment."""

import os
import re
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

PASSWORD = "a-long-test-password"


@pytest.mark.django_db
def test_sign_up_logs_in_and_opens_the_editor(client, seed_catalog):
    response = client.post(
        reverse("signup"),
        {"username": "newbie", "email": "n@example.org", "password1": PASSWORD,
         "password2": PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == reverse("planner:scenario-new")
    assert client.get(reverse("planner:scenario-new")).status_code == 200
    # A second account with the same e-mail, a short password: errors beside the fields.
    client.logout()
    html = client.post(
        reverse("signup"),
        {"username": "other", "email": "N@example.org", "password1": "short", "password2": "x"},
    ).content.decode()
    assert 'id="id_email-error"' in html and 'id="id_password2-error"' in html
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_sign_up_can_be_closed(client, settings):
    settings.SIGNUP_OPEN = False
    assert client.get(reverse("signup")).status_code == 404


@pytest.mark.django_db
def test_password_reset_by_email(client, django_user_model):
    django_user_model.objects.create_user("forgetful", "f@example.org", PASSWORD)
    assert "Forgot your password?" in client.get(reverse("login")).content.decode()
    client.post(reverse("password_reset"), {"email": "f@example.org"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]  # Django swaps the token for a session marker
    new = "another-long-password"
    done = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    # The login form, as a person signs in (django-axes needs the request to count attempts).
    signed_in = client.post(reverse("login"), {"username": "forgetful", "password": new})
    assert signed_in.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.parametrize(
    ("env", "backend"),
    [({"DEVELOPMENT": "1"}, "console"), ({"DEVELOPMENT": "0", "SECRET_KEY": "x" * 50}, "smtp")],
)
def test_reset_mails_go_to_the_console_in_development_and_smtp_in_production(env, backend):
    # The test runner swaps in its own backend, so read the settings in a fresh interpreter.
    code = "import config.settings as s; print(s.EMAIL_BACKEND)"
    out = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True,
        check=True,
    ).stdout
    assert out.strip() == f"django.core.mail.backends.{backend}.EmailBackend"


@pytest.mark.django_db
def test_ensureadmin_creates_the_first_user_once(monkeypatch, capsys):
    call_command("ensureadmin")
    assert "not set" in capsys.readouterr().out
    monkeypatch.setenv("RACK_PLANNER_ADMIN_USER", "admin")
    monkeypatch.setenv("RACK_PLANNER_ADMIN_PASSWORD", "short")
    with pytest.raises(CommandError, match="RACK_PLANNER_ADMIN_PASSWORD"):
        call_command("ensureadmin")
    monkeypatch.setenv("RACK_PLANNER_ADMIN_PASSWORD", PASSWORD)
    call_command("ensureadmin")
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.check_password(PASSWORD)
    monkeypatch.setenv("RACK_PLANNER_ADMIN_PASSWORD", "a-different-long-password")
    call_command("ensureadmin")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
