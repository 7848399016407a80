"""Usable U and kW under 2N feeds, derating and cooling: the result page, its elevations, the
BOM and the API all show the figure the solver enforced, never power_kw − reserved_kw."""
import pytest
from django.urls import reverse

from planner import solver
from planner.models import Run, Scenario
from planner.reports.bom import build_bom
from planner.reports.summary import elevations, summarise

# 10 kW over two feeds: 5 kW a feed x 80 % = 4 kW, less 1 kW reserved = 3 kW usable; the
# naive figure would be 10 - 1 = 9 kW. With cooling_kw 3.5 the cooling binds: 3.5 - 1 = 2.5.
HALL = {
    "rack_types": [
        {"name": "2n-derated", "u": 42, "power_kw": 10.0, "reserved_u": 2, "reserved_kw": 1.0,
         "feeds": "2N", "derating_pct": 80, "count": 2},
        {"name": "2n-cooled", "u": 42, "power_kw": 10.0, "reserved_u": 2, "reserved_kw": 1.0,
         "feeds": "2N", "derating_pct": 80, "cooling_kw": 3.5, "count": 1},
    ],
    "servers": [{"name": "box", "u": 2, "power_w": 500, "sessions": {"m": 10}}],
    "demand": {"m": {}},
    "objective": "max_sessions",
}
USABLE_KW = {"2n-derated": 3.0, "2n-cooled": 2.5}


@pytest.fixture
def solved():
    result = solver.solve(HALL)
    assert solver.has_layout(result)
    return result


def test_summary_elevations_and_bom_read_the_solver_figures(solved):
    summary = summarise(HALL, solved)
    assert summary.usable_kw == pytest.approx(2 * 3.0 + 2.5)
    assert summary.usable_u == 3 * 40
    for elevation in elevations(HALL, solved, {}):
        assert elevation.usable_kw == pytest.approx(USABLE_KW[elevation.rack_type])
    for group in build_bom(HALL, solved)["rack_groups"]:
        assert group["usable_kw_per_rack"] == pytest.approx(USABLE_KW[group["rack_type"]])
        assert group["usable_u_per_rack"] == 40


def test_older_results_without_the_figures_use_the_solver_rule(solved):
    older = {**solved, "totals": {k: v for k, v in solved["totals"].items()
                                  if k not in {"usable_u", "usable_kw", "by_server_model"}},
             "racks": [{k: v for k, v in g.items() if k not in {"usable_u", "usable_kw"}}
                       for g in solved["racks"]]}
    assert summarise(HALL, older).usable_kw == pytest.approx(8.5)
    assert {e.rack_type: e.usable_kw for e in elevations(HALL, older, {})} == USABLE_KW


@pytest.mark.django_db
def test_result_page_and_api_show_three_kw_not_nine(client, user, solved):
    scenario = Scenario.objects.create(name="2N hall", owner=user, problem=HALL)
    run = Run.objects.create(scenario=scenario, problem=HALL, result=solved,
                             status=Run.Status.SUCCEEDED)
    client.force_login(user)
    html = client.get(reverse("planner:run", kwargs={"pk": run.pk})).content.decode()
    assert "/ 8.50 kW" in html  # hall: 2 x 3 kW + 2.5 kW
    assert "of 3.00 kW used" in html and "of 2.50 kW used" in html
    assert "of 9.00 kW" not in html
    detail = client.get(f"/api/v1/runs/{run.pk}").json()
    groups = {g["rack_type"]: g for g in detail["result"]["racks"]}
    assert {name: g["usable_kw"] for name, g in groups.items()} == USABLE_KW
    assert detail["result"]["totals"]["usable_kw"] == pytest.approx(8.5)
    bom = client.get(f"/api/v1/runs/{run.pk}/bom").json()
    assert {g["rack_type"]: g["usable_kw_per_rack"] for g in bom["rack_groups"]} == USABLE_KW
