"""What every chart shares: one colour (and pattern) per server model, a cheap layout, the theme
at the end."""

import colorsys
import functools
import json
from collections.abc import Sequence

import plotly.graph_objects as go

#: Twelve hues readable by colour-blind readers: Okabe & Ito's eight (black swapped for a
#: grey-blue) and four of Paul Tol's "muted" set (https://personal.sron.nl/~pault/).
BASE_PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#332288",
    "#44AA99",
    "#882255",
    "#999933",
    "#5D6D7E",
)
#: Each round through the hues shifts lightness (mixed with black < 0, with white > 0) and
#: carries a bar pattern, so two servers never share a swatch: 12 hues x 7 tiers = 84 colours.
TIERS = ((0.0, ""), (-0.45, "/"), (0.5, "."), (-0.7, "x"), (0.72, "\\"), (-0.25, "+"), (0.3, "-"))


def _mix(hex_colour: str, amount: float) -> str:
    """`hex_colour` mixed with black (amount < 0) or white (amount > 0) by |amount|."""
    rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    target = 255 if amount > 0 else 0
    mixed = [round(c + (target - c) * abs(amount)) for c in rgb]
    return "#" + "".join(f"{c:02X}" for c in mixed)


def _palette() -> tuple[tuple[str, str], ...]:
    """(colour, pattern) for each catalog position, all colours distinct."""
    out: list[tuple[str, str]] = []
    for amount, pattern in TIERS:
        for hue in BASE_PALETTE:
            colour = _mix(hue, amount)
            if colour not in {c for c, _ in out}:
                out.append((colour, pattern))
    return tuple(out)


STYLES = _palette()
PALETTE = tuple(colour for colour, _ in STYLES)
PATTERN_OF = dict(STYLES)


def _extra_colour(i: int, taken: set[str]) -> str:
    """Past the palette: hues a golden angle apart, nudged until unused."""
    while True:
        hue = (i * 0.381966) % 1.0
        r, g, b = colorsys.hls_to_rgb(hue, 0.35 + 0.3 * ((i // 7) % 2), 0.55)
        colour = "#" + "".join(f"{round(c * 255):02X}" for c in (r, g, b))
        if colour not in taken:
            return colour
        i += 1


def server_colours(server_names: Sequence[str]) -> dict[str, str]:
    """A distinct, stable colour per server model, by its position in the catalog's order."""
    colours: dict[str, str] = {}
    for i, name in enumerate(server_names):
        colours[name] = PALETTE[i] if i < len(PALETTE) else _extra_colour(i, set(colours.values()))
    return colours


def pattern_for(colour: str | None) -> str:
    """The bar pattern that goes with a palette colour ('' for solid), the second channel."""
    return PATTERN_OF.get(colour or "", "")


#: Lines (sweeps) carry the tier as a dash style instead of a bar pattern.
DASHES = {
    "": "solid",
    "/": "dash",
    ".": "dot",
    "x": "dashdot",
    "\\": "longdash",
    "+": "longdashdot",
    "-": "5px,2px,1px,2px",
}


def server_marker(colour: str | None) -> dict:
    """A bar marker in a server's colour and pattern."""
    return {"color": colour, "pattern": {"shape": pattern_for(colour), "solidity": 0.35}}


def server_line(colour: str | None) -> dict:
    """A line in a server's colour and dash style."""
    return {"color": colour, "dash": DASHES[pattern_for(colour)]}


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
    template = json.loads(figure.to_json())["layout"]["template"]
    # Thousands separators on every axis that does not set its own format ("8,000", not
    # "8000"); d3's bare "," keeps small and fractional values as they are.
    for axis in ("xaxis", "yaxis"):
        template["layout"].setdefault(axis, {})["tickformat"] = ","
    return template


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
                marker=server_marker(colours.get(server)),
                hovertemplate=(
                    f"<b>%{{fullData.name}}</b><br>%{{x}}: %{{y:,}} {unit}<extra></extra>"
                ),
            )
        )
