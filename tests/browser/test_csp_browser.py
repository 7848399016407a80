"""The pages, their Plotly figures and the API docs work under the Content-Security-Policy:
Chromium reports no violation, and it would (a deliberately inline script is reported)."""
import pytest

from tests.browser.test_planner_browser import PASSWORD, log_in

WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def violations(page) -> list[str]:
    return page.evaluate("() => window.__violations")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_and_figures_raise_no_csp_violation(live_server, page, django_user_model):
    from inventory.seed import load_seed_catalog
    from planner import solver
    from planner.models import Run, Scenario
    from tests.api.test_solve_api import STUDY_PROBLEM

    load_seed_catalog()
    user = django_user_model.objects.create_user("csp", password=PASSWORD)
    scenario = Scenario.objects.create(name="csp", owner=user, problem=STUDY_PROBLEM)
    run = Run.objects.create(scenario=scenario, problem=STUDY_PROBLEM, status="succeeded",
                             result=solver.solve(STUDY_PROBLEM))
    page.add_init_script(WATCH)
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    log_in(page, live_server.url, "csp")
    figures = {"/study/": "#study-chart", "/capacity/": ".js-plotly-plot",
               f"/runs/{run.pk}/": "#result .elevation", f"/scenarios/{scenario.pk}/": "main",
               scenario.get_share_path(): "main", "/api/v1/docs/": "#swagger-ui .info",
               "/admin/": "#content"}
    for path, drawn in figures.items():
        response = page.goto(f"{live_server.url}{path}")
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_selector(drawn, timeout=20000)
        page.wait_for_load_state("networkidle")
        assert violations(page) == [], path
    assert page.console_errors == [], (page.console_errors, missing)

    # The watch works: an inline script is refused and reported.
    page.evaluate("() => { const s = document.createElement('script');"
                  " s.textContent = 'window.ran = 1'; document.body.appendChild(s); }")
    page.wait_for_function("() => window.__violations.length > 0")
    assert page.evaluate("() => window.ran") is None
    assert violations(page)[0].startswith("script-src")
