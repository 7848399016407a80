"""Figures of solved layouts, comparisons and sweeps (planner/charts/runs.py)."""

import pandas as pd

from planner import charts

COLOURS = charts.server_colours(["cpu", "gpu"])


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
