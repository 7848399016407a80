"""The bill of materials, pure (planner/reports/bom.py)."""

import io

import pandas as pd
import pytest

from planner import solver
from planner.reports.bom import bom_csv, build_bom
from planner.solver import solve
from tests.example_layout import PROBLEM, TWO_SKUS


@pytest.fixture(scope="module")
def result():
    return solve(PROBLEM)


def test_bom_counts_match_totals(result):
    bom = build_bom(PROBLEM, result)
    by_server = result["totals"]["by_server"]
    assert {row["server"]: row["count"] for row in bom["servers"]} == {
        name: n for name, n in by_server.items() if n
    }
    assert bom["totals"]["price_usd"] == result["totals"]["cost_usd"]


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
