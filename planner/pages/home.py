"""The home page and the seed study page. Thin, as every page: they gather rows, call the
bridge and the figure functions, and render."""

import pandas as pd
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from planner import charts
from planner.access import recently_shared
from planner.bridge.study import seed_study
from planner.models import Scenario
from planner.pages.colours import catalog_colours


def home(request: HttpRequest) -> HttpResponse:
    scenarios = (
        Scenario.objects.filter(owner=request.user)[:20] if request.user.is_authenticated else []
    )
    shared = [s for s in recently_shared(request.session) if s.owner_id != request.user.pk]
    return render(request, "planner/home.html", {"scenarios": scenarios, "shared": shared})


def study(request: HttpRequest) -> HttpResponse:
    table = seed_study()
    frame = pd.DataFrame([cell.__dict__ for cell in table.cells])
    figure = charts.study_figure(
        frame,
        catalog_colours(),
        f"Concurrent sessions per {table.rack.u_height}U, {table.rack.budget_kw:g} kW rack",
        slo_tps=table.slo_tps,
        precision_bits=table.precision_bits,
    )
    rows = [
        {"server": server, "cells": [table.cell(server.name, model.name) for model in table.models]}
        for server in table.servers
    ]
    return render(
        request,
        "planner/study.html",
        {"table": table, "rows": rows, "figure": charts.figure_data(figure)},
    )
