"""Accounts: login attempts throttled per username and per address, password rules, and the
security headers every page carries (a CSP without inline scripts, nosniff, referrer policy,
no framing)."""
import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def lockout_after_three(settings):
    settings.AXES_FAILURE_LIMIT = 3


def log_in(client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password},
                       REMOTE_ADDR=address)


def test_failed_logins_lock_the_username_from_any_address(client, user):
    answers = [log_in(client, "planner", "wrong").status_code for _ in range(3)]
    assert answers == [200, 200, 429]  # the form again, then locked at the limit
    # Locked: even the right password, even from another address.
    assert log_in(client, "planner", PASSWORD, "10.0.0.2").status_code == 429
    assert "_auth_user_id" not in client.session
    # Other users are not affected from other addresses.
    from django.contrib.auth.models import User

    User.objects.create_user("other", password=PASSWORD)
    assert log_in(client, "other", PASSWORD, "10.0.0.3").status_code == 302


def test_failed_logins_lock_the_address_for_every_username(client, user):
    answers = [log_in(client, name, "wrong", "10.0.0.9").status_code for name in "abc"]
    assert answers == [200, 200, 429]
    assert log_in(client, "planner", PASSWORD, "10.0.0.9").status_code == 429
    assert log_in(client, "planner", PASSWORD, "10.0.0.10").status_code == 302


def test_a_successful_login_resets_the_count(client, user):
    for _ in range(2):
        log_in(client, "planner", "wrong")
    assert log_in(client, "planner", PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        log_in(client, "planner", "wrong")
    assert log_in(client, "planner", PASSWORD).status_code == 302


def test_the_admin_login_is_throttled_too(client, user):
    for _ in range(3):
        client.post("/admin/login/", {"username": "planner", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "planner", "password": PASSWORD})
    assert response.status_code == 429


@pytest.mark.parametrize("password", ["short-pw", "123456789012345", "password1234",
                                      "planner1234"])
def test_weak_passwords_are_refused(user, password):
    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_a_long_unusual_password_is_accepted(user):
    validate_password("copper-rack-47-quietly", user)


def page_urls(user) -> list[str]:
    from planner import solver
    from planner.models import Run, Scenario
    from tests.api.test_solve_api import STUDY_PROBLEM

    scenario = Scenario.objects.create(name="pages", owner=user, problem=STUDY_PROBLEM)
    run = Run.objects.create(scenario=scenario, problem=STUDY_PROBLEM, status="succeeded",
                             result=solver.solve(STUDY_PROBLEM))
    return ["/", "/study/", "/capacity/", "/scenarios/new/", f"/scenarios/{scenario.pk}/",
            f"/runs/{run.pk}/",
            f"/compare/?runs={run.pk}", scenario.get_share_path(), "/accounts/login/",
            "/admin/login/", "/api/v1/docs/", "/api/v1/redoc/", "/api/v1/accelerators"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>",
                           re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def test_every_page_sends_the_security_headers_and_no_inline_script(client, seed_catalog,
                                                                    user):
    urls = page_urls(user)
    client.force_login(user)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        csp = response["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
        assert directives["script-src"] == "'self'", url  # no 'unsafe-inline', no eval
        assert directives["default-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        if response["Content-Type"].startswith("text/html"):
            html = response.content.decode()
            assert not INLINE_SCRIPT.search(html), (url, INLINE_SCRIPT.search(html))
            assert not EVENT_HANDLER.search(html), (url, EVENT_HANDLER.search(html))


def test_the_swagger_start_up_script_is_a_file(client):
    response = client.get("/api/v1/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
