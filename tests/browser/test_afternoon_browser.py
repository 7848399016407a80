"""Issue 13 in Chromium: runs that say what they solved, infeasible runs that say why, compact
least-power layouts, sign-up, sweep tables and distinct colours, read off the rendered pages."""

import json
import re

import pytest

from tests.browser.conftest import CHROMIUM  # noqa: F401 - same browser as the other tests
from tests.browser.test_planner_browser import PASSWORD, log_in

SPEC = {
    "rack_types": [{"rack_type": "std-42u", "count": 2}],
    "servers": [{"server_model": "ampereone-a192"}, {"server_model": "8x-h100-sxm"}],
    "models": [{"model_class": "llama-3.1-8b", "min": 100}, {"model_class": "llama-3.1-70b"}],
}
SHOTS = "/tmp/issue13-{}.png"


@pytest.fixture
def owner(django_user_model):
    from inventory.seed import load_seed_catalog

    load_seed_catalog()
    return django_user_model.objects.create_user("owner", password=PASSWORD)


def scenario(owner, name: str, spec: dict | None = None, problem: dict | None = None):
    from planner.models import Scenario

    return Scenario.objects.create(name=name, owner=owner, spec=spec, problem=problem)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_compare_shows_the_inputs_that_differ(live_server, page, owner):
    from planner.runs.queueing import queue_run

    hall = scenario(owner, "Hall A - 20x 15 kW", SPEC)
    runs = []
    for change in ({}, {"slo_tps": 20}, {"precision_bits": 4}):
        hall.spec = {**SPEC, **change}
        hall.save()
        runs.append(queue_run(hall))
    log_in(page, live_server.url, "owner")
    page.goto(f"{live_server.url}/compare/?runs={','.join(str(r.pk) for r in runs)}")
    table = page.locator("#compare-inputs")
    table.wait_for()
    rows = {
        row.get_attribute("data-input"): row.locator("td").all_inner_texts()
        for row in table.locator("tbody tr").all()
    }
    assert rows == {
        "slo_tps": ["≥ 10 tokens/s", "≥ 20 tokens/s", "≥ 10 tokens/s"],
        "precision_bits": ["8-bit", "8-bit", "4-bit"],
    }
    headers = table.locator("thead th").all_inner_texts()[1:]
    assert len(set(headers)) == 3 and all(h.startswith("#") for h in headers)
    page.screenshot(path=SHOTS.format("compare"), full_page=True)
    assert not page.console_errors


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_infeasible_run_shows_its_diagnosis(live_server, page, owner):
    from planner.runs.queueing import queue_run

    spec = {**SPEC, "rack_types": [{"rack_type": "std-42u", "count": 20}],
            "models": [{"model_class": "llama-3.1-8b", "min": 2000},
                       {"model_class": "llama-3.1-70b", "min": 5000}]}
    run = queue_run(scenario(owner, "Hall with minimums", spec))
    log_in(page, live_server.url, "owner")
    page.goto(f"{live_server.url}/runs/{run.pk}/")
    assert page.locator("#run-state").inner_text() == "Infeasible"
    text = page.locator("#diagnosis-text").inner_text()
    assert "llama-3.1-70b needs at least 5,000 sessions" in text
    assert page.locator("#diagnosis-changes li").count() >= 1
    assert page.locator("#diagnosis-models tbody tr").count() == 2
    page.screenshot(path=SHOTS.format("infeasible"), full_page=True)
    page.goto(f"{live_server.url}/scenarios/{run.scenario_id}/")
    assert page.locator("#runs [data-outcome=infeasible]").inner_text().startswith("Infeasible")


def campus(objective: str) -> dict:
    return {
        "rack_types": [{"name": "campus-42u-30kw", "u": 42, "power_kw": 30, "reserved_u": 2,
                        "reserved_kw": 1.0, "count": 1200}],
        "servers": [
            {"name": "ampereone-a192", "u": 1, "power_w": 577, "sessions": {"llama-3.1-8b": 8}},
            {"name": "8x-mi300x", "u": 8, "power_w": 6697,
             "sessions": {"llama-3.1-8b": 8, "llama-3.1-70b": 8, "llama-3.1-405b": 2}},
        ],
        "demand": {"llama-3.1-405b": {"min": 164}, "llama-3.1-8b": {"min": 400}},
        "objective": objective,
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_min_power_layout_uses_the_fewest_racks(live_server, page, owner):
    from planner.runs.queueing import queue_run
    from planner.solver import solve

    fewest = solve(campus("min_racks"))["objective"]
    run = queue_run(scenario(owner, "Campus", problem=campus("min_power")))
    log_in(page, live_server.url, "owner")
    page.goto(f"{live_server.url}/runs/{run.pk}/")
    page.wait_for_selector("#result .elevation")
    assert page.locator("[data-total=racks-used]").inner_text() == f"{fewest:g} / 1,200"
    # Only rack groups with servers are drawn; together they hold every used rack.
    counts = [int(c) for c in page.locator(".elevation").evaluate_all(
        "els => els.map(e => e.dataset.count)")]
    assert sum(counts) == fewest and all(counts)
    page.screenshot(path=SHOTS.format("min-power"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sign_up_and_first_scenario(live_server, page):
    from inventory.models import ModelClass, ServerModel
    from inventory.seed import load_seed_catalog

    load_seed_catalog()
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill("newplanner")
    page.get_by_label("Email").fill("new@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/scenarios/new/$"))
    assert "1 × std-42u" in page.locator("#editor-preset").inner_text()
    page.get_by_label("Name", exact=True).fill("My first hall")
    page.get_by_label("Racks of std-42u").fill("2")
    for server in ServerModel.objects.exclude(name__in=["ampereone-a192", "8x-h100-sxm"]):
        page.get_by_label(server.name, exact=True).uncheck()
    for model in ModelClass.objects.exclude(name__in=["llama-3.1-8b", "llama-3.1-70b"]):
        page.get_by_label(model.name, exact=True).uncheck()
    page.get_by_label("Run name (optional)").fill("first try")
    page.get_by_role("button", name="Save and solve").click()
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    page.wait_for_selector("#run-state[data-state=succeeded]", timeout=30000)
    assert "first try" in page.locator("h1").inner_text()
    assert page.locator("#result .elevation").count() >= 1
    page.screenshot(path=SHOTS.format("first-scenario"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sweep_table_with_links(live_server, page, owner):
    hall = scenario(owner, "Sweep hall", SPEC)
    log_in(page, live_server.url, "owner")
    page.goto(f"{live_server.url}/scenarios/{hall.pk}/")
    page.get_by_label("Parameter").select_option("rack_count")
    page.get_by_label("Values (comma-separated)").fill("1, 4")
    page.get_by_label("Server options").select_option("both")
    page.get_by_role("button", name="Start sweep").click()
    page.wait_for_url(re.compile(r"/sweeps/\d+/$"))
    page.wait_for_function(
        "() => document.querySelectorAll('#sweep-table tbody tr').length === 6"
        " && !document.querySelector('#sweep-table [data-status=queued],"
        " #sweep-table [data-status=running]')", timeout=60000)
    statuses = page.locator("#sweep-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.status)")
    assert "infeasible" in statuses and "succeeded" in statuses
    assert page.locator("#sweep-table tbody tr td:nth-child(2)").all_inner_texts().count(
        "all candidates") == 2
    page.screenshot(path=SHOTS.format("sweep"), full_page=True)
    link = page.locator("#sweep-table tbody tr").first.locator("a")
    target = link.get_attribute("href")
    link.click()
    page.wait_for_url(re.compile(re.escape(target) + "$"))
    assert "sweep #" in page.locator("h1").inner_text()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_legend_swatch_differs(live_server, page, owner):
    from inventory.models import ServerModel
    from planner.runs.queueing import queue_run

    # The first fourteen air-cooled servers of the catalog (std-42u is an air-cooled rack).
    names = ServerModel.objects.exclude(cooling="liquid").order_by("id").values_list(
        "name", flat=True)[:14]
    servers = [{"server_model": name} for name in names]
    spec = {**SPEC, "servers": servers, "rack_types": [{"rack_type": "std-42u", "count": 12}],
            "models": [{"model_class": "llama-3.1-8b", "max": 40},
                       {"model_class": "llama-3.1-70b", "max": 40},
                       {"model_class": "llama-3.1-405b", "max": 8},
                       {"model_class": "llama-3.2-1b", "max": 200}]}
    run = queue_run(scenario(owner, "Many servers", spec))
    log_in(page, live_server.url, "owner")
    page.goto(f"{live_server.url}/runs/{run.pk}/")
    figure_id = f"run-{run.pk}-sessions"
    page.wait_for_selector(f"#{figure_id} .main-svg")
    traces = page.evaluate(
        "(id) => document.getElementById(id).data.map(t => [t.name, t.marker.color,"
        " (t.marker.pattern || {}).shape || ''])", figure_id)
    assert len(traces) >= 2
    swatches = [(colour, shape) for _, colour, shape in traces]
    assert len(set(swatches)) == len(swatches), json.dumps(traces)
    # The elevation legend: one distinct colour per placed server, models as numbered hatches.
    legend = page.locator("[data-server-legend]").evaluate_all(
        "items => items.map(i => i.dataset.colour)")
    assert len(legend) == len(set(legend)) == len(traces)
    hatches = page.locator("[data-model-legend] .swatch").evaluate_all(
        "items => items.map(i => i.className + i.innerText)")
    assert len(hatches) == len(set(hatches))
    # The catalog's named pairs never share a colour in the editor either.
    page.goto(f"{live_server.url}/scenarios/new/")
    editor = page.locator(".editor .swatch").evaluate_all(
        "items => items.map(i => getComputedStyle(i).backgroundColor)")
    assert len(editor) == len(set(editor)) == ServerModel.objects.count()
    page.goto(f"{live_server.url}/runs/{run.pk}/")
    page.locator(".elevations").screenshot(path=SHOTS.format("colours"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_editor_tables_narrow_to_what_the_planner_looks_for(live_server, page, owner):
    """Find and "Ticked only" hide rows of the editor's long catalog tables; hidden rows still
    post, Enter in the search box does not submit, and the count says what is shown."""
    from inventory.models import ServerModel
    from planner.models import Scenario

    log_in(page, live_server.url, "owner")
    page.goto(f"{live_server.url}/scenarios/new/")
    servers = page.locator("#server-table tbody tr")
    total = ServerModel.objects.count()
    find = page.get_by_label("Find servers")
    find.fill("h200")
    find.press("Enter")
    assert page.url.endswith("/scenarios/new/")  # not submitted
    shown = [row.get_attribute("data-find") for row in servers.all() if row.is_visible()]
    assert shown and all("h200" in text for text in shown)
    h200_count = ServerModel.objects.filter(name__contains="h200").count()
    assert len(shown) == h200_count
    bar = page.locator("[data-table-filter=server-table]")
    assert bar.locator("[data-filter-count]").inner_text() == (
        f"Showing {h200_count} of {total} · 3 ticked")
    page.get_by_label("8x-h200-sxm", exact=True).check()
    assert bar.locator("[data-filter-count]").inner_text().endswith("· 4 ticked")
    find.fill("")
    bar.get_by_label("Ticked only").check()
    ticked = sorted(row.get_attribute("data-find").split()[0]
                    for row in servers.all() if row.is_visible())
    assert ticked == ["8x-h100-sxm", "8x-h200-sxm", "8x-l40s", "ampereone-a192"]
    models = page.locator("[data-table-filter=model-table]")
    models.get_by_label("Find models").fill("qwen3")
    assert all("qwen3" in row.get_attribute("data-find")
               for row in page.locator("#model-table tbody tr").all() if row.is_visible())
    page.get_by_label("Name", exact=True).fill("Filtered editor")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/scenarios/\d+/$"))
    spec = Scenario.objects.get(name="Filtered editor").spec
    assert sorted(s["server_model"] for s in spec["servers"]) == ticked
    assert {m["model_class"] for m in spec["models"]} >= {"llama-3.1-8b", "llama-3.1-70b"}
    assert page.console_errors == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_plan_racks_from_the_capacity_page(live_server, page, owner):
    """From a filtered capacity page to the editor with its servers and models: only those
    rows show (Ticked only starts on), and solving sizes the hall with them."""
    from inventory.models import ModelClass

    log_in(page, live_server.url, "owner")
    page.goto(f"{live_server.url}/capacity/?accelerator=nvidia-h200-sxm&per_server=8"
              "&min_params_b=60&max_params_b=80&slo_tps=20")
    page.locator("#plan-racks").click()
    page.wait_for_url(re.compile(r"/scenarios/new/\?"))
    shown = sorted(row.get_attribute("data-find").split()[0]
                   for row in page.locator("#server-table tbody tr").all() if row.is_visible())
    assert shown == ["8x-h200-sxm", "dgx-h200"]
    in_range = ModelClass.objects.filter(parameters_b__gte=60, parameters_b__lte=80).count()
    assert page.locator("[data-table-filter=model-table] [data-filter-count]").inner_text() == (
        f"Showing {in_range} of {ModelClass.objects.count()} · {in_range} ticked")
    page.get_by_label("Name", exact=True).fill("H200 hall")
    page.get_by_role("button", name="Save and solve").click()
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    page.wait_for_selector("#run-state[data-state=succeeded]", timeout=30000)
    assert "dgx-h200" in page.locator("#result").inner_text() or (
        "8x-h200-sxm" in page.locator("#result").inner_text())
    assert page.console_errors == []
