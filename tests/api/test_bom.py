"""The BOM: the pure computation, and its JSON / CSV / XLSX answers."""
import io

import openpyxl
import pandas as pd
import pytest

from planner import solver
from planner.models import Run, Scenario
from planner.reports.bom import bom_csv, build_bom

TWO_SKUS = {
    "rack_types": [{"name": "std-42u", "u": 42, "power_kw": 12.5, "reserved_u": 2,
                    "reserved_kw": 1.0, "count": 3}],
    "servers": [
        {"name": "cpu-1u", "u": 1, "power_w": 577, "cost_usd": 20000,
         "sessions": {"small": 64}},
        {"name": "gpu-8u", "u": 8, "power_w": 6297, "cost_usd": 300000,
         "sessions": {"big": 8}},
    ],
    "demand": {"big": {"min": 8}, "small": {"min": 0}},
    "objective": "max_sessions",
}


def test_bom_adds_up_to_the_solver_totals():
    result = solver.solve(TWO_SKUS)
    bom = build_bom(TWO_SKUS, result)
    totals = result["totals"]
    assert bom["totals"]["servers"] == totals["servers"]
    assert bom["totals"]["u"] == totals["u"]
    assert bom["totals"]["kw"] == pytest.approx(totals["power_kw"])
    assert bom["totals"]["price_usd"] == pytest.approx(totals["cost_usd"])
    assert bom["totals"]["sessions_by_model"] == {
        m: n for m, n in result["sessions"].items() if n
    }
    assert bom["totals"]["racks"] == 3
    by_sku = {s["server"]: s for s in bom["servers"]}
    assert by_sku["gpu-8u"]["count"] == totals["by_server"]["gpu-8u"]
    assert by_sku["gpu-8u"]["price_usd"] == 300000 * by_sku["gpu-8u"]["count"]
    assert by_sku["cpu-1u"]["u"] == by_sku["cpu-1u"]["count"]
    group_servers = sum(line["servers"] for g in bom["rack_groups"] for line in g["lines"])
    assert group_servers == totals["servers"]


def test_unpriced_sku_makes_the_total_price_unknown():
    problem = {**TWO_SKUS, "servers": [{**TWO_SKUS["servers"][0], "cost_usd": None},
                                       TWO_SKUS["servers"][1]]}
    bom = build_bom(problem, solver.solve(problem))
    assert bom["totals"]["price_usd"] is None


def test_csv_has_one_section_column_and_every_table():
    bom = build_bom(TWO_SKUS, solver.solve(TWO_SKUS))
    frame = pd.read_csv(io.StringIO(bom_csv(bom)))
    assert list(frame.columns)[0] == "section"
    assert set(frame["section"]) == {"servers", "rack_groups", "totals"}


@pytest.fixture
def solved_run(user):
    scenario = Scenario.objects.create(name="two skus", owner=user, problem=TWO_SKUS)
    result = solver.solve(TWO_SKUS)
    return Run.objects.create(scenario=scenario, problem=TWO_SKUS, result=result,
                              status="succeeded")


@pytest.mark.django_db
def test_bom_as_json_csv_and_xlsx(user_client, solved_run):
    base = f"/api/v1/runs/{solved_run.pk}/bom"
    as_json = user_client.get(base)
    assert as_json.status_code == 200 and as_json["Content-Type"] == "application/json"
    expected = build_bom(TWO_SKUS, solved_run.result)
    assert as_json.json()["totals"] == expected["totals"]
    assert user_client.get(f"{base}.json").json()["totals"] == expected["totals"]

    for response in (user_client.get(f"{base}.csv"),
                     user_client.get(base, HTTP_ACCEPT="text/csv")):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        frame = pd.read_csv(io.BytesIO(response.content))
        servers = frame[frame["section"] == "servers"]
        assert int(servers["count"].sum()) == expected["totals"]["servers"]

    xlsx = user_client.get(f"{base}.xlsx")
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in xlsx["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["servers", "rack_groups", "totals"]
    totals = pd.read_excel(io.BytesIO(xlsx.content), sheet_name="totals")
    assert int(totals["servers"][0]) == expected["totals"]["servers"]


@pytest.mark.django_db
def test_bom_errors_are_json(user_client, solved_run):
    queued = Run.objects.create(scenario=solved_run.scenario, problem=TWO_SKUS)
    response = user_client.get(f"/api/v1/runs/{queued.pk}/bom.xlsx")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/json" and response.json()["detail"]
    assert user_client.get(f"/api/v1/runs/{solved_run.pk}/bom.pdf").status_code == 404
    user_client.force_authenticate(None)
    assert user_client.get(f"/api/v1/runs/{solved_run.pk}/bom.csv").status_code == 401
