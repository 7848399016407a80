"""The capacity matrix: sessions per server × model, coloured by what binds."""

import textwrap

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


# Lines of at most 90 characters. Whitespace other than spaces and tabs is made a space here,
# as `textwrap` would do one character at a time (its `str.translate` is most of the cost of
# wrapping ~7,600 explanations on the every-pair page).
_HOVER_WRAPPER = textwrap.TextWrapper(width=90, replace_whitespace=False)
_OTHER_WHITESPACE = str.maketrans("\n\x0b\x0c\r", "    ")


def _wrap_for_hover(text: str) -> str:
    if any(character in text for character in "\n\x0b\x0c\r"):
        text = text.translate(_OTHER_WHITESPACE)
    return "<br>".join(_HOVER_WRAPPER.wrap(text)) or " "


# Above this many models a cell is narrower than a four-digit number at a legible size: the
# numbers are left to the hover (and the table) instead of drawn unreadably small, which is
# also most of the browser's drawing time on the every-pair matrix (~7,600 cells).
MAX_MODELS_WITH_NUMBERS = 20
# Above this many servers the figure is taller than a screen: model names go on top, where
# the reader starts, and the colour key keeps a screen's height at the top right instead of
# spreading its nine labels over the whole figure.
MAX_SERVERS_BELOW_THE_FOLD = 20
KEY_HEIGHT_PX = 360
ROW_HEIGHT_PX = 38


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
    height = max(420, 60 + ROW_HEIGHT_PX * len(servers))
    tall = len(servers) > MAX_SERVERS_BELOW_THE_FOLD
    key = {
        "title": {"text": "Binding limit"},
        "tickvals": list(range(n)),
        "ticktext": [binding_limit_words(limit) for limit in limits],
    }
    if tall:
        key |= {"lenmode": "pixels", "len": KEY_HEIGHT_PX, "yanchor": "top", "y": 1}
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=models,
            y=servers,
            text=text,
            texttemplate="%{text}" if len(models) <= MAX_MODELS_WITH_NUMBERS else None,
            customdata=custom,
            zmin=-0.5,
            zmax=n - 0.5,
            colorscale=colorscale,
            xgap=2,
            ygap=2,
            colorbar=key,
            hovertemplate=(
                "<b>%{y} × %{x}</b>: %{text} sessions per server"
                "<br>%{customdata[0]}, bound by %{customdata[1]}"
                "<br>%{customdata[2]}<extra></extra>"
            ),
        )
    )
    # A tall figure's title stays at its top edge, above the model names.
    heading = {"text": title} | (
        {"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 12}} if tall else {}
    )
    fig.update_layout(
        title=heading,
        xaxis={"title": {"text": "Model"}, "side": "top" if tall else "bottom"},
        yaxis_title="Server",
        yaxis={"autorange": "reversed"},
        margin={"t": 240 if tall else 70, "r": 20, "b": 60, "l": 160},
        height=height + (170 if tall else 0),
    )
    return fig
