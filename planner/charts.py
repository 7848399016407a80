"""Plotly figures built from pandas frames. Pure: no Django, so each is tested in isolation.

Every chart colours a server model the same way (`server_colours`), has a title and axis
titles with units.
"""
import functools
import json
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

# Okabe-Ito-like palette: distinguishable for colour-blind readers, printable.
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
    "#7F7F7F", "#8C564B",
)


def server_colours(server_names: Sequence[str]) -> dict[str, str]:
    """A stable colour per server model, by its position in the catalog's order."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(server_names)}


def study_figure(
    cells: pd.DataFrame,
    colours: dict[str, str],
    title: str,
    *,
    slo_tps: float = 10.0,
    precision_bits: int = 8,
    log_axis: bool = True,
) -> go.Figure:
    """Grouped bars of sessions per rack: one group per model, one bar per server.

    `cells` has columns server, model, sessions_per_rack, servers_per_rack, binding. A cell
    that cannot be served shows no bar and an "n/a" label, rather than a misleading zero on a
    log axis.
    """
    fig = go.Figure()
    models = list(dict.fromkeys(cells["model"]))
    for server, rows in cells.groupby("server", sort=False):
        rows = rows.set_index("model").reindex(models)
        served = rows["sessions_per_rack"].fillna(0).astype(int)
        fig.add_trace(
            go.Bar(
                name=server,
                x=models,
                y=[value if value > 0 else None for value in served],
                text=[f"{value:,}" if value > 0 else "n/a" for value in served],
                textposition="outside",
                marker_color=colours.get(server),
                customdata=list(zip(rows["servers_per_rack"].fillna(0).astype(int),
                                    rows["binding"].fillna(""), strict=True)),
                hovertemplate=(
                    "<b>%{fullData.name}</b><br>%{x}: %{text} sessions per rack"
                    "<br>%{customdata[0]} servers, bound by %{customdata[1]}<extra></extra>"
                ),
            )
        )
    fig.update_layout(
        title=title,
        barmode="group",
        xaxis_title=f"Model ({precision_bits}-bit weights)",
        yaxis_title=f"Concurrent sessions per rack (≥ {slo_tps:g} tokens/s each)",
        legend_title="Server",
        template="plotly_white",
        margin={"t": 70, "r": 20, "b": 60, "l": 70},
        uniformtext_minsize=9,
    )
    if log_axis:
        fig.update_yaxes(type="log")
    return fig


# One colour per binding limit on the capacity matrix (planner.capacity BINDING_LIMITS order).
BINDING_COLOURS = {
    "does_not_fit": "#BBBBBB",
    "memory_capacity": "#0072B2",
    "memory_bandwidth": "#56B4E9",
    "compute": "#D55E00",
    "partitioning_rule": "#E69F00",
    "measured": "#009E73",
}


def _wrap_for_hover(text: str, width: int = 90) -> str:
    import textwrap

    return "<br>".join(textwrap.wrap(text, width)) or " "


def capacity_matrix_figure(cells: pd.DataFrame, title: str) -> go.Figure:
    """Heatmap of sessions per server: servers down, models across, coloured by binding limit.

    `cells` has columns server, model, sessions, label, binding_limit, explanation (one row
    per pair, in display order). The colour is the binding limit (a category, not a scale); the
    number in each cell is the session count; hovering shows the explanation.
    """
    limits = list(BINDING_COLOURS)
    servers = list(dict.fromkeys(cells["server"]))
    models = list(dict.fromkeys(cells["model"]))
    grid = cells.set_index(["server", "model"])
    z, text, custom = [], [], []
    for server in servers:
        z_row, text_row, custom_row = [], [], []
        for model in models:
            row = grid.loc[(server, model)]
            z_row.append(limits.index(row["binding_limit"]))
            text_row.append(f"{int(row['sessions']):,}")
            custom_row.append(
                [row["label"], row["binding_limit"].replace("_", " "),
                 _wrap_for_hover(row["explanation"])]
            )  # fmt: skip
        z.append(z_row)
        text.append(text_row)
        custom.append(custom_row)
    n = len(limits)
    colorscale = []
    for i, limit in enumerate(limits):
        colorscale += [[i / n, BINDING_COLOURS[limit]], [(i + 1) / n, BINDING_COLOURS[limit]]]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=models,
            y=servers,
            text=text,
            texttemplate="%{text}",
            customdata=custom,
            zmin=-0.5,
            zmax=n - 0.5,
            colorscale=colorscale,
            xgap=2,
            ygap=2,
            colorbar={
                "title": {"text": "Binding limit"},
                "tickvals": list(range(n)),
                "ticktext": [limit.replace("_", " ") for limit in limits],
            },
            hovertemplate=(
                "<b>%{y} × %{x}</b>: %{text} sessions per server"
                "<br>%{customdata[0]}, bound by %{customdata[1]}"
                "<br>%{customdata[2]}<extra></extra>"
            ),
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title="Model",
        yaxis_title="Server",
        yaxis={"autorange": "reversed"},
        template="plotly_white",
        margin={"t": 70, "r": 20, "b": 60, "l": 160},
        height=max(420, 60 + 38 * len(servers)),
    )
    return fig


def _layout(**fields) -> go.Layout:
    """A layout from plain keyword fields (`xaxis_title=...` becomes xaxis.title.text).

    Cheap on purpose: the theme is not set here but added once when the figure is turned into
    JSON (`figure_data`), because validating plotly's template on every figure costs ~40 ms.
    """
    layout: dict = {}
    for key, value in fields.items():
        if key.endswith("axis_title"):
            layout.setdefault(key.removesuffix("_title"), {})["title"] = {"text": value}
        elif key == "legend_title":
            layout["legend"] = {"title": {"text": value}}
        elif key == "title":
            layout["title"] = {"text": value}
        else:
            layout[key] = value
    return go.Layout(layout)


@functools.cache
def _theme() -> dict:
    # Built once per process through a figure, the one way plotly serialises a template.
    figure = go.Figure(layout={"template": "plotly_white"})
    return json.loads(figure.to_json())["layout"]["template"]


def figure_data(fig: go.Figure) -> dict:
    """The figure as JSON data for `json_script`, with the plotly_white theme."""
    data = json.loads(fig.to_json())
    data["layout"]["template"] = _theme()
    return data


def layout_sessions_figure(placed: pd.DataFrame, colours: dict[str, str], title: str) -> go.Figure:
    """Stacked bars of sessions per model in a layout, one colour per server model.

    `placed` has columns server, model, sessions (hall-wide: per-rack sessions × rack count).
    """
    fig = go.Figure()
    models = list(dict.fromkeys(placed["model"])) if len(placed) else []
    totals = (
        placed.groupby(["server", "model"], sort=False)["sessions"].sum() if len(placed) else None
    )
    for server in dict.fromkeys(placed["server"]) if len(placed) else []:
        values = [int(totals.get((server, model), 0)) for model in models]
        fig.add_trace(
            go.Bar(
                name=server,
                x=models,
                y=values,
                marker_color=colours.get(server),
                hovertemplate="<b>%{fullData.name}</b><br>%{x}: %{y:,} sessions<extra></extra>",
            )
        )
    fig.layout = _layout(
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
    fig.layout = _layout(
        title=title,
        barmode="group",
        xaxis_title="Model",
        yaxis_title="Concurrent sessions",
        legend_title="Run",
                margin={"t": 60, "r": 20, "b": 60, "l": 70},
        height=380,
    )
    return fig


RUN_SHADES = ("#1b3a5c", "#2f6690", "#3a7ca5", "#81c3d7", "#a9a9a9", "#5c5c5c")


def compare_metric_figure(
    metrics: pd.DataFrame, column: str, title: str, axis_title: str
) -> go.Figure:
    """One bar per run of one metric (`metrics` has columns run and `column`); n/a = no bar."""
    values = [None if pd.isna(v) else round(float(v), 3) for v in metrics[column]]
    fig = go.Figure(
        go.Bar(
            name=title,
            x=list(metrics["run"]),
            y=values,
            text=["n/a" if v is None else f"{v:,.4g}" for v in values],
            textposition="outside",
            marker_color=[RUN_SHADES[i % len(RUN_SHADES)] for i in range(len(metrics))],
            hovertemplate="%{x}: %{y:,.4g}<extra></extra>",
        )
    )
    fig.layout = _layout(
        title=title,
        xaxis_title="Run",
        yaxis_title=axis_title,
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
    for server in dict.fromkeys(servers["server"]):
        fig.add_trace(
            go.Bar(
                name=server,
                x=runs,
                y=[int(indexed.get((run, server), 0)) for run in runs],
                marker_color=colours.get(server),
                hovertemplate="<b>%{fullData.name}</b><br>%{x}: %{y:,} servers<extra></extra>",
            )
        )
    fig.layout = _layout(
        title=title,
        barmode="stack",
        xaxis_title="Run",
        yaxis_title="Servers placed",
        legend_title="Server",
                margin={"t": 60, "r": 20, "b": 60, "l": 70},
        height=320,
    )
    return fig


def sweep_figure(
    points: pd.DataFrame, colours: dict[str, str], title: str, x_title: str, y_title: str
) -> go.Figure:
    """One line per server option: `points` has columns server, x, y (y None = no layout)."""
    fig = go.Figure()
    for server, rows in points.groupby("server", sort=False):
        rows = rows.sort_values("x")
        fig.add_trace(
            go.Scatter(
                name=server,
                x=list(rows["x"]),
                y=[None if pd.isna(v) else float(v) for v in rows["y"]],
                mode="lines+markers",
                line={"color": colours.get(server)},
                marker={"color": colours.get(server)},
            )
        )
    fig.layout = _layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        legend_title="Server",
                margin={"t": 60, "r": 20, "b": 60, "l": 70},
        height=420,
    )
    return fig
