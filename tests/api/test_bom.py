"""The BOM's JSON / CSV / XLSX answers (the pure computation: tests/reports/test_bom.py)."""
import io

import openpyxl
import pandas as pd
import pytest

from planner import solver
from planner.models import Run, Scenario
from planner.reports.bom import build_bom
from tests.example_layout import TWO_SKUS


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
    # The first three sheets as before; tco, placement and settings added (issues 14 and 13).
    assert book.sheetnames == ["servers", "rack_groups", "totals", "tco", "placement", "settings"]
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


@pytest.mark.django_db
def test_run_detail_and_bom_return_the_tco(user_client, solved_run):
    run = user_client.get(f"/api/v1/runs/{solved_run.pk}").json()
    expected = build_bom(TWO_SKUS, solved_run.result)["tco"]
    assert run["tco"] == expected
    assert run["tco"]["total"]["capex_servers_usd"] == solved_run.result["totals"]["cost_usd"]
    bom = user_client.get(f"/api/v1/runs/{solved_run.pk}/bom").json()
    assert bom["tco"] == expected
    queued = Run.objects.create(scenario=solved_run.scenario, problem=TWO_SKUS)
    assert user_client.get(f"/api/v1/runs/{queued.pk}").json()["tco"] is None
