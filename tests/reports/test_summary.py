"""Page summaries and rack elevations of a layout (planner/reports/summary.py)."""

import pytest

from planner import charts
from planner.reports.summary import (
    KWH_PER_BANANA,
    elevations,
    energy_per_day,
    sessions_by_server_model,
    sessions_range,
    summarise,
)
from planner.solver import solve
from tests.example_layout import PROBLEM

COLOURS = charts.server_colours(["cpu", "gpu"])


@pytest.fixture(scope="module")
def result():
    return solve(PROBLEM)




def test_summary_against_budgets(result):
    summary = summarise(PROBLEM, result)
    assert summary.usable_u == 3 * 40 and summary.usable_kw == pytest.approx(3 * 11.5)
    assert summary.sessions == result["totals"]["sessions"]
    assert summary.used_kw == result["totals"]["power_kw"]
    assert summary.energy_kwh_per_day == pytest.approx(summary.used_kw * 24)
    assert summary.bananas_per_day == pytest.approx(summary.used_kw * 24 / 0.1163)
    assert summary.capex_per_session_usd == pytest.approx(
        result["totals"]["cost_usd"] / summary.sessions
    )
    assert sum(summary.sessions_by_server.values()) == summary.sessions


def test_sessions_range_scales_each_estimate_by_its_own_ends(result):
    # No figure carries a range (a raw problem): no range.
    assert sessions_range(PROBLEM, result) is None
    assert summarise(PROBLEM, result).sessions_low is None
    rows = sessions_by_server_model(result)
    first = rows[0]
    per_server = first["sessions"] // first["servers"]
    figures = {first["server"]: {first["model"]: {
        "sessions": per_server, "sessions_low": per_server - 2, "sessions_high": per_server + 3,
    }}}  # fmt: skip
    problem = {**PROBLEM, "x-capacity": {"figures": figures}}
    total = sum(row["sessions"] for row in rows)
    low, high = sessions_range(problem, result)
    # Only the ranged figure moves, by its servers x its own ends; the rest stay as placed.
    assert (low, high) == (total - 2 * first["servers"], total + 3 * first["servers"])
    summary = summarise(problem, result)
    assert (summary.sessions_low, summary.sessions_high) == (low, high)


def test_energy_in_bananas():
    kwh, bananas = energy_per_day(1.0)
    assert kwh == 24 and bananas == pytest.approx(24 / KWH_PER_BANANA)


def test_elevation_slots_fill_the_rack(result):
    drawn = elevations(PROBLEM, result, COLOURS)
    assert sum(el.count for el in drawn) == 3
    for el in drawn:
        assert sum(slot.u for slot in el.slots) == 42
        assert el.slots[0].kind == "reserved" and el.slots[0].u == 2
        servers = [slot for slot in el.slots if slot.kind == "server"]
        assert {slot.colour for slot in servers} <= set(COLOURS.values())
