"""What every chart shares: one colour per server model, a cheap layout, the theme at the end."""

import functools
import json
from collections.abc import Sequence

import plotly.graph_objects as go

# Okabe-Ito-like palette: distinguishable for colour-blind readers, printable.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#7F7F7F",
    "#8C564B",
)


def server_colours(server_names: Sequence[str]) -> dict[str, str]:
    """A stable colour per server model, by its position in the catalog's order."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(server_names)}


def plain_layout(**fields) -> go.Layout:
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
def theme() -> dict:
    # Built once per process through a figure, the one way plotly serialises a template.
    figure = go.Figure(layout={"template": "plotly_white"})
    return json.loads(figure.to_json())["layout"]["template"]


def figure_data(fig: go.Figure) -> dict:
    """The figure as JSON data for `json_script`, with the plotly_white theme."""
    data = json.loads(fig.to_json())
    data["layout"]["template"] = theme()
    return data


def stacked_server_bars(
    fig: go.Figure,
    x: list[str],
    values: dict[str, list[int]],
    colours: dict[str, str],
    unit: str,
) -> None:
    """Add one stacked bar trace per server (in `values`' order), in the server's colour."""
    for server, ys in values.items():
        fig.add_trace(
            go.Bar(
                name=server,
                x=x,
                y=ys,
                marker_color=colours.get(server),
                hovertemplate=(
                    f"<b>%{{fullData.name}}</b><br>%{{x}}: %{{y:,}} {unit}<extra></extra>"
                ),
            )
        )
