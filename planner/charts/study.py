"""The seed rack study's grouped bars."""

import pandas as pd
import plotly.graph_objects as go

from planner.charts.style import server_marker


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
                marker=server_marker(colours.get(server)),
                customdata=list(
                    zip(
                        rows["servers_per_rack"].fillna(0).astype(int),
                        rows["binding"].fillna(""),
                        strict=True,
                    )
                ),
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
        margin={"t": 70, "r": 20, "b": 60, "l": 70},
        uniformtext_minsize=9,
    )
    if log_axis:
        fig.update_yaxes(type="log")
    return fig
