"""Page summaries and rack elevations of a layout (planner/reports/summary.py)."""

import pytest

from planner import charts
from planner.reports.summary import KWH_PER_BANANA, elevations, energy_per_day, summarise
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
