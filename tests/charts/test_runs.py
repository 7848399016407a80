"""Figures of solved layouts, comparisons and sweeps (planner/charts/runs.py)."""

import pandas as pd
import plotly.graph_objects as go

from planner import charts
from planner.charts import figure_data

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
    assert fig.layout.xaxis.type is None  # a budget from 10 to 20 kW: a plain axis
    # Values stepped by factors (prompt tokens 256 to 16,384) sit evenly on a log axis.
    prompts = pd.DataFrame([{"server": "gpu", "x": x, "y": 1.0} for x in (256, 1024, 16384)])
    log = charts.sweep_figure(prompts, COLOURS, "t", "Prompt tokens per request", "Sessions")
    assert log.layout.xaxis.type == "log" and list(log.layout.xaxis.tickvals) == [256, 1024, 16384]


def test_figure_data_is_json_with_the_white_theme():
    metrics = pd.DataFrame([{"run": "#1", "x": 2.0}])
    data = charts.figure_data(charts.compare_metric_figure(metrics, "x", "X", "units"))
    assert data["layout"]["template"]["layout"]["plot_bgcolor"] == "white"
    assert data["layout"]["yaxis"]["title"]["text"] == "units"
    assert data["data"][0]["y"] == [2.0]


def test_tco_breakdown_stacks_parts_per_model_with_units():
    parts = pd.DataFrame(
        [
            {"model": "a", "part": "Servers", "usd": 1000.0},
            {"model": "a", "part": "Energy over the life", "usd": 250.0},
            {"model": "b", "part": "Servers", "usd": 4000.0},
        ]
    )
    fig = charts.tco_breakdown_figure(parts, "TCO", 3)
    assert [t.name for t in fig.data] == ["Servers", "Energy over the life"]
    assert list(fig.data[0].y) == [1000.0, 4000.0] and list(fig.data[1].y) == [250.0, 0.0]
    assert fig.layout.barmode == "stack"
    assert fig.layout.yaxis.title.text == "USD over 3 years"
    assert fig.layout.yaxis.tickformat == "$,.0f" and "$%{y:,.0f}" in fig.data[0].hovertemplate
    assert fig.layout.xaxis.title.text


def test_axes_group_thousands_unless_a_chart_sets_its_own_format():
    plain = figure_data(go.Figure(go.Bar(x=["a"], y=[8000])))
    assert plain["layout"]["template"]["layout"]["yaxis"]["tickformat"] == ","
    own = figure_data(
        go.Figure(go.Bar(x=["a"], y=[8000]), layout={"yaxis": {"tickformat": "$,.0f"}}))
    assert own["layout"]["yaxis"]["tickformat"] == "$,.0f"  # the chart's own format wins


def test_compare_metric_labels_keep_their_precision_and_the_axis_starts_at_zero():
    metrics = pd.DataFrame({"run": ["#1", "#2"], "usd": [0.01234, None]})
    fig = charts.compare_metric_figure(
        metrics, "usd", "$ per million", "USD", value_format=",.4f", prefix="$", digits=4)
    assert list(fig.data[0].text) == ["$0.0123", "n/a"]
    assert fig.layout.yaxis.tickformat == "," and fig.layout.yaxis.tickprefix == "$"
    assert fig.layout.yaxis.rangemode == "tozero"  # no negative axis when every run is n/a
