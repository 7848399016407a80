"""Sweep pages: start one from a scenario, watch its progress, read its lines, cancel it."""

import pandas as pd
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from planner import charts
from planner.access import can_view, is_owner, owned_scenario
from planner.bridge.problems import ScenarioSpecError
from planner.models import Sweep
from planner.pages.colours import catalog_colours
from planner.runs.sweeps import (
    TABLE_COLUMNS,
    SweepError,
    cancel_sweep,
    parse_values,
    progress,
    start_sweep,
    sweep_points,
    sweep_table,
)


@login_required
@require_POST
def sweep_start(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = owned_scenario(request, pk)
    parameter = request.POST.get("parameter", "")
    try:
        values = parse_values(parameter, request.POST.get("values", ""))
        sweep = start_sweep(scenario, parameter, values, request.POST.get("servers", "each"))
    except (SweepError, ScenarioSpecError) as exc:
        messages.error(request, f"Sweep not started: {exc}.")
        return redirect("planner:scenario", pk=scenario.pk)
    return redirect("planner:sweep", pk=sweep.pk)


def visible_sweep(request: HttpRequest, pk: int) -> Sweep:
    sweep = get_object_or_404(Sweep.objects.select_related("scenario"), pk=pk)
    if not can_view(request, sweep.scenario):
        raise Http404("No sweep here")
    return sweep


def sweep_figures(sweep: Sweep) -> list[dict]:
    points = pd.DataFrame(
        sweep_points(sweep), columns=["x", "server", "outcome", "sessions", "sessions_per_kw"]
    )
    label = Sweep.Parameter(sweep.parameter).label
    colours = catalog_colours()
    figures = [
        (
            "sessions",
            "sessions",
            "Concurrent sessions against " + label.split(" (")[0].lower(),
            "Concurrent sessions (hall)",
        ),
        (
            "per-kw",
            "sessions_per_kw",
            "Sessions per kW against " + label.split(" (")[0].lower(),
            "Sessions per kW of server power",
        ),
    ]
    drawn = []
    for key, column, title, y_title in figures:
        frame = points.rename(columns={column: "y"})[["server", "x", "y", "outcome"]]
        figure = charts.sweep_figure(frame, colours, title, label, y_title)
        drawn.append(
            {
                "id": f"sweep-{key}",
                "data_id": f"sweep-{key}-data",
                "figure": charts.figure_data(figure),
            }
        )
    return drawn


def sweep_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sweep = visible_sweep(request, pk)
    state = progress(sweep)
    context = {
        "sweep": sweep,
        "state": state,
        "scenario": sweep.scenario,
        "owner": is_owner(request.user, sweep.scenario),
        "parameter_label": Sweep.Parameter(sweep.parameter).label,
        "figures": sweep_figures(sweep) if state["done"] else [],
        "table": sweep_table(sweep),
        "server_options_label": server_options_label(sweep),
    }
    template = (
        "planner/_sweep_figures.html" if request.GET.get("fragment") else "planner/sweep.html"
    )
    return render(request, template, context)


def server_options_label(sweep: Sweep) -> str:
    options = list(dict.fromkeys(v["server"] for v in sweep.variants))
    return ", ".join(options)


def sweep_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The sweep's table as CSV: one row per variant, the run's id to open it."""
    sweep = visible_sweep(request, pk)
    frame = pd.DataFrame(sweep_table(sweep), columns=list(TABLE_COLUMNS))
    response = HttpResponse(frame.to_csv(index=False), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sweep-{sweep.pk}.csv"'
    return response


def sweep_status(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(progress(visible_sweep(request, pk)))


@login_required
@require_POST
def sweep_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    sweep = get_object_or_404(Sweep.objects.select_related("scenario"), pk=pk)
    if not is_owner(request.user, sweep.scenario):
        raise Http404("No sweep here")
    count = cancel_sweep(sweep)
    messages.success(request, f"Sweep cancelled; {count} runs that had not started were revoked.")
    return redirect("planner:sweep", pk=sweep.pk)
