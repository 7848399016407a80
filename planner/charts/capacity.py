"""The capacity matrix: sessions per server × model, coloured by what binds."""

import pandas as pd
import plotly.graph_objects as go

from planner.capacity.specs import binding_limit_words

# One colour per binding limit on the capacity matrix (planner.capacity BINDING_LIMITS order).
BINDING_COLOURS = {
    "does_not_fit": "#BBBBBB",
    "memory_capacity": "#0072B2",
    "memory_bandwidth": "#56B4E9",
    "compute": "#D55E00",
    "partitioning_rule": "#E69F00",
    "measured": "#009E73",
    "decode_rate": "#CC79A7",
    "ttft": "#F0E442",
    "serving_stack": "#000000",
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
    # A dict per pair, not `DataFrame.loc` per cell: .loc costs ~0.3 ms a lookup, which is
    # most of the figure's time on the whole catalog (~7,600 cells).
    grid = {(row["server"], row["model"]): row for row in cells.to_dict("records")}
    z, text, custom = [], [], []
    for server in servers:
        z_row, text_row, custom_row = [], [], []
        for model in models:
            row = grid[(server, model)]
            z_row.append(limits.index(row["binding_limit"]))
            text_row.append(f"{int(row['sessions']):,}")
            custom_row.append(
                [row["label"], binding_limit_words(row["binding_limit"]),
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
                "ticktext": [binding_limit_words(limit) for limit in limits],
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
        margin={"t": 70, "r": 20, "b": 60, "l": 160},
        height=max(420, 60 + 38 * len(servers)),
    )
    return fig
