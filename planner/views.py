"""Pages. Thin: they gather rows, call the pure core and the figure functions, and render."""
import json

import pandas as pd
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from inventory.models import ServerModel
from planner import charts
from planner.models import Scenario
from planner.study import seed_study


def catalog_colours() -> dict[str, str]:
    names = ServerModel.objects.order_by("id").values_list("name", flat=True)
    return charts.server_colours(list(names))


def home(request: HttpRequest) -> HttpResponse:
    from planner.sharing import recently_shared

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
        {"table": table, "rows": rows, "figure": json.loads(figure.to_json())},
    )
