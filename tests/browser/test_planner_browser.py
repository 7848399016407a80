"""The planner's afternoon in Chromium: edit, solve, read, share, duplicate, compare, revoke."""

import re

import pytest

from tests.browser.conftest import CHROMIUM  # noqa: F401 - same browser as the study test

PASSWORD = "a-long-test-password"


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def chart_traces(page, element_id: str) -> list:
    page.wait_for_selector(f"#{element_id} .main-svg")
    return page.evaluate(
        "(id) => document.getElementById(id).data.map(t => [t.name, t.x, t.y])", element_id
    )


def solve_and_wait(page) -> int:
    page.get_by_role("button", name="Save and solve").click()
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    page.wait_for_selector("#run-state[data-state=succeeded]", timeout=30000)
    page.wait_for_selector("#result .elevation")
    return int(re.search(r"/runs/(\d+)/", page.url).group(1))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_edit_solve_share_duplicate_compare_revoke(live_server, browser, page, django_user_model):
    from inventory.seed import load_seed_catalog
    from planner.models import Run, Scenario

    load_seed_catalog()
    django_user_model.objects.create_user("owner", password=PASSWORD)
    django_user_model.objects.create_user("viewer", password=PASSWORD)
    base = live_server.url

    # Create a scenario through the form: two seed racks, AmpereOne and H100, three models.
    log_in(page, base, "owner")
    page.get_by_role("link", name="New scenario").first.click()
    page.get_by_label("Name", exact=True).fill("Browser hall")
    page.get_by_label("Racks of std-42u").fill("2")
    from inventory.models import ModelClass, ServerModel

    for server in ServerModel.objects.exclude(name__in=["ampereone-a192", "8x-h100-sxm"]):
        page.get_by_label(server.name, exact=True).uncheck()
    wanted_models = ["llama-3.2-1b", "llama-3.2-3b", "llama-3.1-8b"]
    for model in ModelClass.objects.exclude(name__in=wanted_models):
        page.get_by_label(model.name, exact=True).uncheck()
    # A max below the min is refused beside the field, and what was typed stays.
    page.get_by_label("Minimum sessions of llama-3.1-8b").fill("100")
    page.get_by_label("Maximum sessions of llama-3.1-8b").fill("10")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_selector(".field-error")
    assert "max must not be below min" in page.locator(".field-error").first.inner_text()
    assert page.get_by_label("Name", exact=True).input_value() == "Browser hall"
    assert page.get_by_label("Racks of std-42u").input_value() == "2"
    page.screenshot(path="/tmp/issue6-editor.png", full_page=True)
    page.get_by_label("Maximum sessions of llama-3.1-8b").fill("")
    first_run = solve_and_wait(page)

    run = Run.objects.get(pk=first_run)
    assert run.status == Run.Status.SUCCEEDED
    traces = chart_traces(page, f"run-{first_run}-sessions")
    drawn = {(name, x): y for name, xs, ys in traces for x, y in zip(xs, ys, strict=True)}
    expected: dict = {}
    for group in run.result["racks"]:
        for item in group["servers"]:
            key = (item["server"], item["model"])
            expected[key] = expected.get(key, 0) + item["sessions"] * group["count"]
    assert {k: v for k, v in drawn.items() if v} == expected
    assert page.locator("#result .elevation .count").first.inner_text().startswith("×")
    assert page.locator("[data-total=sessions]").inner_text().replace(",", "") == str(
        run.result["totals"]["sessions"]
    )

    # The shared link, in a fresh context without login, shows the same figure.
    scenario = Scenario.objects.get(name="Browser hall")
    share_url = f"{base}{scenario.get_share_path()}"
    anonymous = browser.new_context(viewport={"width": 1366, "height": 900})
    guest = anonymous.new_page()
    guest_errors: list[str] = []
    guest.on("console", lambda m: guest_errors.append(m.text) if m.type == "error" else None)
    guest.on("pageerror", lambda exc: guest_errors.append(str(exc)))
    guest.goto(share_url)
    assert chart_traces(guest, f"run-{first_run}-sessions") == traces

    # Duplicate to edit: asks the guest to log in, then copies into the viewer's scenarios.
    guest.get_by_role("button", name="Duplicate to edit").click()
    guest.wait_for_url(re.compile(r"/accounts/login/"))
    guest.get_by_label("Username").fill("viewer")
    guest.get_by_label("Password").fill(PASSWORD)
    guest.get_by_role("button", name="Log in").click()
    guest.wait_for_url(share_url)
    guest.get_by_role("button", name="Duplicate to edit").click()
    guest.wait_for_url(re.compile(r"/scenarios/\d+/edit/$"))
    copy = Scenario.objects.get(owner__username="viewer")
    assert copy.spec == scenario.spec
    assert guest.get_by_label("Name", exact=True).input_value() == "Browser hall (copy)"

    # A second run with three racks, then compare the two from the scenario page.
    page.goto(f"{base}/scenarios/{scenario.pk}/edit/")
    page.get_by_label("Racks of std-42u").fill("3")
    second_run = solve_and_wait(page)
    page.goto(f"{base}/scenarios/{scenario.pk}/")
    page.get_by_label(f"Compare run {first_run}").check()
    page.get_by_label(f"Compare run {second_run}").check()
    page.get_by_role("button", name="Compare ticked runs").click()
    page.wait_for_url(re.compile(r"/compare/\?runs="))
    sessions = chart_traces(page, "compare-sessions")
    assert len(sessions) == 2
    runs = {r.pk: r for r in Run.objects.filter(pk__in=[first_run, second_run])}
    by_label = {name: sum(v or 0 for v in ys) for name, _, ys in sessions}
    assert sorted(by_label.values()) == sorted(
        r.result["totals"]["sessions"] for r in runs.values()
    )
    per_kw = chart_traces(page, "compare-per-kw")
    assert len(per_kw) == 1 and len(per_kw[0][2]) == 2

    # The comparison's URL reproduces it for the viewer, who opened the share link.
    guest.goto(page.url)
    assert len(chart_traces(guest, "compare-sessions")) == 2

    # A sweep of the rack count: one line per server option, drawn once the group finishes.
    page.goto(f"{base}/scenarios/{scenario.pk}/")
    page.get_by_label("Parameter").select_option("rack_count")
    assert page.get_by_label("Values (comma-separated)").input_value() == "1, 2, 4, 8"
    page.get_by_role("button", name="Start sweep").click()
    page.wait_for_url(re.compile(r"/sweeps/\d+/$"))
    # Infeasible variants (a minimum one rack cannot meet) are marked by a trace of their own.
    lines = [t for t in chart_traces(page, "sweep-sessions") if t[0] != "infeasible (no layout)"]
    assert sorted(name for name, _, _ in lines) == ["8x-h100-sxm", "ampereone-a192"]
    assert all(xs == [1, 2, 4, 8] for _, xs, _ in lines)
    page.screenshot(path="/tmp/issue6-sweep.png", full_page=True)

    # Regenerating the token: the old link answers 404.
    page.goto(f"{base}/scenarios/{scenario.pk}/")
    page.get_by_role("button", name=re.compile("Make a new link")).click()
    page.wait_for_load_state()
    response = guest.goto(share_url)
    assert response.status == 404
    new_url = page.locator("#share-url").input_value()
    assert new_url != share_url

    page.screenshot(path="/tmp/issue6-scenario.png", full_page=True)
    page.goto(f"{base}/runs/{second_run}/")
    page.wait_for_selector("#result .elevation")
    page.screenshot(path="/tmp/issue6-result.png", full_page=True)
    page.goto(f"{base}/compare/?runs={first_run},{second_run}")
    page.wait_for_selector("#compare-u .main-svg")
    page.screenshot(path="/tmp/issue6-compare.png", full_page=True)
    anonymous.close()
    assert page.console_errors == []
    # The 404 page itself logs "Failed to load resource"; nothing else may fail.
    assert [e for e in guest_errors if "404" not in e] == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_progress_page_polls_until_the_worker_finishes(live_server, page, django_user_model):
    """A queued run's page shows "Queued", then swaps the result in without a reload."""
    from inventory.seed import load_seed_catalog
    from planner.bridge.problems import scenario_problem
    from planner.models import Run, Scenario
    from planner.tasks import solve_run

    load_seed_catalog()
    django_user_model.objects.create_user("owner", password=PASSWORD)
    scenario = Scenario.objects.create(
        name="Queued hall",
        owner=django_user_model.objects.get(username="owner"),
        spec={
            "rack_types": [{"rack_type": "std-42u"}],
            "servers": [{"server_model": "ampereone-a192"}],
            "models": [{"model_class": "llama-3.2-1b"}],
        },
    )
    # Stored but not sent: as if every worker were busy.
    run = Run.objects.create(scenario=scenario, problem=scenario_problem(scenario))
    log_in(page, live_server.url, "owner")
    page.goto(f"{live_server.url}/runs/{run.pk}/")
    assert page.locator("#run-state").get_attribute("data-state") == "queued"
    page.evaluate("() => { window.notReloaded = true; }")
    solve_run(run.pk)  # the task's own code, run here as a worker would
    page.wait_for_selector("#run-state[data-state=succeeded]", timeout=15000)
    traces = chart_traces(page, f"run-{run.pk}-sessions")
    assert traces == [["ampereone-a192", ["llama-3.2-1b"], [1216]]]
    assert page.evaluate("() => window.notReloaded") is True
    assert page.locator("#progress-fill").get_attribute("style") == "width: 100%;"
    assert page.console_errors == []
