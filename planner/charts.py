"""Plotly figures built from pandas frames. Pure: no Django, so each is tested in isolation.

Every chart colours a server model the same way (`server_colours`), has a title and axis
titles with units.
"""
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
