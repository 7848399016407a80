"""Pure figures of a layout: totals, elevations, BOM rows and the comparison charts."""

import pandas as pd
import pytest

from planner import charts
from planner.reports.bom import build_bom
from planner.reports.summary import KWH_PER_BANANA, elevations, energy_per_day, summarise
from planner.solver import solve

PROBLEM = {
    "rack_types": [
        {
            "name": "std-42u",
            "u": 42,
            "power_kw": 12.5,
            "reserved_u": 2,
            "reserved_kw": 1.0,
            "count": 3,
        }
    ],
    "servers": [
        {
            "name": "cpu",
            "u": 1,
            "power_w": 577,
            "cost_usd": 10000,
            "sessions": {"small": 64, "mid": 8},
        },
        {
            "name": "gpu",
            "u": 8,
            "power_w": 6297,
            "cost_usd": 250000,
            "sessions": {"mid": 56, "big": 8},
        },
    ],
    "demand": {"big": {"min": 8}, "mid": {"min": 56}},
    "hall_power_kw": None,
    "objective": "max_sessions",
}
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


def test_bom_counts_match_totals(result):
    bom = build_bom(PROBLEM, result)
    by_server = result["totals"]["by_server"]
    assert {row["server"]: row["count"] for row in bom["servers"]} == {
        name: n for name, n in by_server.items() if n
    }
    assert bom["totals"]["price_usd"] == result["totals"]["cost_usd"]


def test_layout_sessions_figure_one_colour_per_server():
    placed = pd.DataFrame(
        [
            {"server": "cpu", "model": "small", "sessions": 100},
            {"server": "gpu", "model": "big", "sessions": 16},
            {"server": "cpu", "model": "small", "sessions": 28},
        ]
    )
    fig = charts.layout_sessions_figure(placed, COLOURS, "t")
    traces = {t.name: t for t in fig.data}
    assert list(traces["cpu"].y) == [128, 0] and list(traces["gpu"].y) == [0, 16]
    assert traces["gpu"].marker.color == COLOURS["gpu"]
    assert fig.layout.yaxis.title.text and fig.layout.xaxis.title.text


def test_compare_figures():
    sessions = pd.DataFrame(
        [
            {"run": "#1", "model": "a", "sessions": 5},
            {"run": "#2", "model": "a", "sessions": 7},
            {"run": "#2", "model": "b", "sessions": 1},
        ]
    )
    fig = charts.compare_sessions_figure(sessions, "t")
    assert [list(t.y) for t in fig.data] == [[5, 0], [7, 1]]
    metrics = pd.DataFrame([{"run": "#1", "x": 2.0}, {"run": "#2", "x": None}])
    bar = charts.compare_metric_figure(metrics, "x", "X", "units")
    assert list(bar.data[0].y) == [2.0, None] and bar.data[0].text[1] == "n/a"
    servers = pd.DataFrame([{"run": "#1", "server": "gpu", "count": 3}])
    stacked = charts.compare_servers_figure(servers, COLOURS, "s")
    assert stacked.data[0].marker.color == COLOURS["gpu"]


def test_sweep_figure_lines_per_server():
    points = pd.DataFrame(
        [
            {"server": "cpu", "x": 20, "y": 2000},
            {"server": "cpu", "x": 10, "y": 1000},
            {"server": "gpu", "x": 10, "y": None},
        ]
    )
    fig = charts.sweep_figure(points, COLOURS, "t", "Rack budget (kW)", "Sessions")
    assert [t.name for t in fig.data] == ["cpu", "gpu"]
    assert list(fig.data[0].x) == [10, 20] and list(fig.data[1].y) == [None]


def test_figure_data_is_json_with_the_white_theme():
    metrics = pd.DataFrame([{"run": "#1", "x": 2.0}])
    data = charts.figure_data(charts.compare_metric_figure(metrics, "x", "X", "units"))
    assert data["layout"]["template"]["layout"]["plot_bgcolor"] == "white"
    assert data["layout"]["yaxis"]["title"]["text"] == "units"
    assert data["data"][0]["y"] == [2.0]


def test_scaled_layout_is_valid_for_the_scaled_hall(result):
    from bench.layouts import scale_layout, scale_problem
    from planner.solver import check_layout

    bigger = scale_layout(result, 5)
    assert check_layout(scale_problem(PROBLEM, 5), bigger) == []
    assert bigger["totals"]["sessions"] == 5 * result["totals"]["sessions"]
