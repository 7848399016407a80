"""Plotly figures built from pandas frames. Pure: no Django, so each is tested in isolation.

Every chart colours a server model the same way (`server_colours`), has a title and axis
titles with units, and reaches the page through `figure_data` (the theme is added there once).
"""

from planner.charts.capacity import BINDING_COLOURS, capacity_matrix_figure
from planner.charts.costs import COST_SHADES, tco_breakdown_figure
from planner.charts.runs import (
    RUN_SHADES,
    compare_metric_figure,
    compare_servers_figure,
    compare_sessions_figure,
    layout_sessions_figure,
    sweep_figure,
)
from planner.charts.study import study_figure
from planner.charts.style import PALETTE, figure_data, server_colours

__all__ = [
    "BINDING_COLOURS",
    "COST_SHADES",
    "PALETTE",
    "RUN_SHADES",
    "capacity_matrix_figure",
    "compare_metric_figure",
    "compare_servers_figure",
    "compare_sessions_figure",
    "figure_data",
    "layout_sessions_figure",
    "server_colours",
    "study_figure",
    "tco_breakdown_figure",
    "sweep_figure",
]
