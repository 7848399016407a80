"""Figures of what a layout costs: its TCO by cost part and model."""

import pandas as pd
import plotly.graph_objects as go

from planner.charts.style import plain_layout

# Cost parts are not servers: a sequence of their own, so server colours keep meaning servers.
COST_SHADES = ("#1b3a5c", "#3a7ca5", "#81c3d7", "#E69F00", "#a9a9a9")


def tco_breakdown_figure(parts: pd.DataFrame, title: str, years: float) -> go.Figure:
    """Stacked bars of TCO per model, one colour per cost part (servers, racks, energy, ...).

    `parts` has columns model, part, usd (in the parts' order of appearance).
    """
    fig = go.Figure()
    models = list(dict.fromkeys(parts["model"]))
    indexed = parts.set_index(["model", "part"])["usd"]
    for i, part in enumerate(dict.fromkeys(parts["part"])):
        fig.add_trace(
            go.Bar(
                name=part,
                x=models,
                y=[float(indexed.get((model, part), 0.0)) for model in models],
                marker_color=COST_SHADES[i % len(COST_SHADES)],
                hovertemplate=(
                    "<b>%{fullData.name}</b><br>%{x}: $%{y:,.0f}<extra></extra>"
                ),
            )
        )
    fig.layout = plain_layout(
        title=title,
        barmode="stack",
        xaxis_title="Model",
        yaxis={"title": {"text": f"USD over {years:g} years"}, "tickformat": "$,.0f"},
        legend_title="Cost",
        margin={"t": 60, "r": 20, "b": 60, "l": 90},
        height=380,
    )
    return fig
