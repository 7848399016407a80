"""Figures of solved layouts: a run's sessions, comparisons of runs, sweeps."""

import pandas as pd
import plotly.graph_objects as go

from planner.charts.style import plain_layout, server_line, stacked_server_bars


def layout_sessions_figure(placed: pd.DataFrame, colours: dict[str, str], title: str) -> go.Figure:
    """Stacked bars of sessions per model in a layout, one colour per server model.

    `placed` has columns server, model, sessions (hall-wide: per-rack sessions × rack count).
    """
    fig = go.Figure()
    models = list(dict.fromkeys(placed["model"])) if len(placed) else []
    totals = (
        placed.groupby(["server", "model"], sort=False)["sessions"].sum() if len(placed) else None
    )
    servers = dict.fromkeys(placed["server"]) if len(placed) else {}
    stacked_server_bars(
        fig,
        models,
        {s: [int(totals.get((s, m), 0)) for m in models] for s in servers},
        colours,
        "sessions",
    )
    fig.layout = plain_layout(
        title=title,
        barmode="stack",
        xaxis_title="Model",
        yaxis_title="Concurrent sessions (hall)",
        legend_title="Server",
        margin={"t": 60, "r": 20, "b": 60, "l": 70},
        height=380,
    )
    return fig


def compare_sessions_figure(sessions: pd.DataFrame, title: str) -> go.Figure:
    """Grouped bars of sessions per model, one trace per run.

    `sessions` has columns run (label), model, sessions. Runs are told apart by a neutral
    sequence of blues so that the server colours keep meaning servers.
    """
    fig = go.Figure()
    models = list(dict.fromkeys(sessions["model"]))
    runs = list(dict.fromkeys(sessions["run"]))
    indexed = sessions.set_index(["run", "model"])["sessions"]
    for i, run in enumerate(runs):
        fig.add_trace(
            go.Bar(
                name=run,
                x=models,
                y=[int(indexed.get((run, model), 0)) for model in models],
                marker_color=RUN_SHADES[i % len(RUN_SHADES)],
                hovertemplate="<b>%{fullData.name}</b><br>%{x}: %{y:,} sessions<extra></extra>",
            )
        )
    fig.layout = plain_layout(
        title=title,
        barmode="group",
        xaxis_title="Model",
        yaxis_title="Concurrent sessions",
        legend_title="Run",
        margin={"t": 60, "r": 20, "b": 60, "l": 70},
        height=380,
    )
    return fig


#: A sweep's "all candidates together" option: black, which no server colour uses.
TOGETHER_COLOUR = "#000000"
RUN_SHADES = ("#1b3a5c", "#2f6690", "#3a7ca5", "#81c3d7", "#a9a9a9", "#5c5c5c")


def compare_metric_figure(
    metrics: pd.DataFrame,
    column: str,
    title: str,
    axis_title: str,
    *,
    value_format: str = ",.4g",
    prefix: str = "",
    digits: int = 3,
) -> go.Figure:
    """One bar per run of one metric (`metrics` has columns run and `column`); n/a = no bar.

    `value_format` (a Python/d3 format such as ",.0f") and `prefix` (e.g. "$") shape the labels
    and the hover; the axis ticks keep the prefix but only group thousands ("800", not
    "800.0"), and start at zero (every compared metric is a count, a share or a price).
    `digits` is how far values are rounded.
    """
    values = [None if pd.isna(v) else round(float(v), digits) for v in metrics[column]]
    fig = go.Figure(
        go.Bar(
            name=title,
            x=list(metrics["run"]),
            y=values,
            text=["n/a" if v is None else f"{prefix}{v:{value_format}}" for v in values],
            textposition="outside",
            marker_color=[RUN_SHADES[i % len(RUN_SHADES)] for i in range(len(metrics))],
            hovertemplate=f"%{{x}}: {prefix}%{{y:{value_format}}}<extra></extra>",
        )
    )
    fig.layout = plain_layout(
        title=title,
        xaxis_title="Run",
        yaxis={"title": {"text": axis_title}, "tickformat": ",", "tickprefix": prefix,
               "rangemode": "tozero"},
        showlegend=False,
        margin={"t": 60, "r": 20, "b": 60, "l": 70},
        height=320,
    )
    return fig


def compare_servers_figure(servers: pd.DataFrame, colours: dict[str, str], title: str) -> go.Figure:
    """Stacked bars of servers placed per run, one colour per server model.

    `servers` has columns run, server, count.
    """
    fig = go.Figure()
    runs = list(dict.fromkeys(servers["run"]))
    indexed = servers.set_index(["run", "server"])["count"]
    stacked_server_bars(
        fig,
        runs,
        {
            server: [int(indexed.get((run, server), 0)) for run in runs]
            for server in dict.fromkeys(servers["server"])
        },
        colours,
        "servers",
    )
    fig.layout = plain_layout(
        title=title,
        barmode="stack",
        xaxis_title="Run",
        yaxis_title="Servers placed",
        legend_title="Server",
        margin={"t": 60, "r": 20, "b": 60, "l": 70},
        height=320,
    )
    return fig


#: A sweep whose values span this factor or more is drawn on a log x axis.
LOG_AXIS_SPAN = 16


def sweep_figure(
    points: pd.DataFrame, colours: dict[str, str], title: str, x_title: str, y_title: str
) -> go.Figure:
    """One line per server option: `points` has columns server, x, y (y None = no layout) and
    optionally outcome; infeasible variants are marked with a cross on the x axis, so a gap in
    a line says why it is there."""
    fig = go.Figure()
    infeasible_x: list[float] = []
    infeasible_text: list[str] = []
    for server, rows in points.groupby("server", sort=False):
        rows = rows.sort_values("x")
        colour = colours.get(server, TOGETHER_COLOUR)
        fig.add_trace(
            go.Scatter(
                name=server,
                x=list(rows["x"]),
                y=[None if pd.isna(v) else float(v) for v in rows["y"]],
                mode="lines+markers",
                line=server_line(colour),
                marker={"color": colour},
            )
        )
        if "outcome" in rows:
            for x, outcome in zip(rows["x"], rows["outcome"], strict=True):
                if outcome == "infeasible":
                    infeasible_x.append(float(x))
                    infeasible_text.append(f"{server}: infeasible (no layout meets every min)")
    if infeasible_x:
        fig.add_trace(
            go.Scatter(
                name="infeasible (no layout)",
                x=infeasible_x,
                y=[0] * len(infeasible_x),
                mode="markers",
                marker={"symbol": "x-thin", "size": 12, "line": {"width": 2, "color": "#b00020"},
                        "color": "#b00020"},
                text=infeasible_text,
                hovertemplate="%{text}<br>x = %{x}<extra></extra>",
            )
        )
    fig.layout = plain_layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        legend_title="Server",
        margin={"t": 60, "r": 20, "b": 60, "l": 70},
        height=420,
    )
    xs = [float(x) for x in points["x"]]
    if xs and min(xs) > 0 and max(xs) / min(xs) >= LOG_AXIS_SPAN:
        # Values a planner steps by factors (256, 1,024, 4,096 prompt tokens) sit evenly.
        fig.update_xaxes(type="log", tickvals=sorted(set(xs)))
    return fig
