"""The capacity page: a server × model matrix of sessions for chosen settings, and what the
catalog's corrected rows change against the seed study's. Thin around the capacity model."""
from dataclasses import dataclass
from urllib.parse import urlencode

import pandas as pd
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from inventory.models import ModelClass, RackType, ServerModel
from inventory.seed import seed_data
from planner import charts, solver
from planner.bridge.figures import capacity_report, measured_profiles, model_spec, server_spec
from planner.bridge.problems import SPEC_MAX_MODELS, rack_usable, single_model_problem
from planner.capacity.defaults import SERVING_STACK_NAMES
from planner.pages.forms import CapacitySettingsForm
from planner.reports.capacity_table import capacity_table


@dataclass(frozen=True)
class Correction:
    """One study row against its corrected row, for one model, in one rack."""

    what: str
    model: str
    study_server: str
    corrected_server: str
    study_per_server: int
    corrected_per_server: int
    study_servers_per_rack: int
    corrected_servers_per_rack: int
    study_per_rack: int
    corrected_per_rack: int
    study_used_kw: float
    corrected_used_kw: float

    @property
    def change_per_rack(self) -> int:
        return self.corrected_per_rack - self.study_per_rack


def rack_fill(
    rack: RackType, server: ServerModel, model: ModelClass, sessions: int
) -> tuple[int, int, float]:
    """(servers, sessions, kW used) in one rack for one server SKU serving one model."""
    if sessions <= 0:
        return 0, 0, 0.0
    result = solver.solve(single_model_problem(rack, server, model, sessions))
    servers = sum(g["count"] * s["count"] for g in result["racks"] for s in g["servers"])
    used_kw = sum(g["used_kw"] for g in result["racks"] if g["servers"])
    return servers, int(result["sessions"].get(model.name, 0)), round(used_kw, 3)


def corrections(
    settings_: dict,
    grid: float,
    shown_servers: set[str] | None = None,
    shown_models: set[str] | None = None,
) -> tuple[RackType | None, list[Correction]]:
    """What each corrected catalog row changes against the study's, model by model, in the
    study's rack. Pairs whose rows are not (or no longer) in the catalog are skipped, and so
    are those outside the page's filter: a pair neither of whose servers is shown, a model
    not shown (None = no filter)."""
    data = seed_data()
    rack = RackType.objects.filter(name=data["study"]["rack_type"]).first()
    if rack is None:
        return None, []
    names = [
        n for n in data["study"]["model_classes"] if shown_models is None or n in shown_models
    ]
    models = ModelClass.objects.in_bulk(names, field_name="name")
    out = []
    for pair in data["corrections"]["pairs"]:
        if shown_servers is not None and not {pair["study"], pair["corrected"]} & shown_servers:
            continue
        servers = ServerModel.objects.select_related("accelerator").in_bulk(
            [pair["study"], pair["corrected"]], field_name="name"
        )
        if len(servers) < 2:
            continue
        study, corrected = servers[pair["study"]], servers[pair["corrected"]]
        for name in names:
            model = models.get(name)
            if model is None:
                continue
            a = capacity_report(study, model, grid_g_co2_per_kwh=grid, **settings_)
            b = capacity_report(corrected, model, grid_g_co2_per_kwh=grid, **settings_)
            a_sessions, b_sessions = a["result"]["sessions"], b["result"]["sessions"]
            a_rack, b_rack = rack_fill(rack, study, model, a_sessions), rack_fill(
                rack, corrected, model, b_sessions
            )
            out.append(
                Correction(
                    pair["what"], name, study.name, corrected.name, a_sessions, b_sessions,
                    a_rack[0], b_rack[0], a_rack[1], b_rack[1], a_rack[2], b_rack[2],
                )
            )  # fmt: skip
    return rack, out


def figure_settings(form: CapacitySettingsForm) -> dict:
    """The capacity settings of a valid form, as `capacity_report` takes them."""
    q = form.cleaned_data
    return {
        "precision_bits": q["precision"],
        "slo_tps": q["slo_tps"],
        "context_tokens": q["context"],
        "policy": q["policy"],
        "workload": form.workload(),
    }


def chosen_pairs(form: CapacitySettingsForm) -> tuple[list[ServerModel], list[ModelClass]]:
    """The servers and models a valid form asks for (the seed study's when it names none).
    Only these pairs are computed: the whole catalog is ~7,600 reports (about 5 s in a browser)."""
    study = seed_data()["study"]
    return (form.chosen_servers(study["server_models"]),
            form.chosen_models(study["model_classes"]))


def pair_reports(
    servers: list[ServerModel], models: list[ModelClass], settings_: dict, grid: float
) -> list[list[dict]]:
    """One capacity report per server × model, row by row (server-major)."""
    profiles = measured_profiles(settings_["precision_bits"])  # one query, not one per pair
    model_specs = [model_spec(model) for model in models]  # once each, not once per pair
    return [
        [capacity_report(server, model, grid_g_co2_per_kwh=grid, profiles=profiles,
                         specs=(figures, model_figures), **settings_)
         for model, model_figures in zip(models, model_specs, strict=True)]
        for server, figures in ((server, server_spec(server)) for server in servers)
    ]


def capacity_csv(request: HttpRequest) -> HttpResponse:
    """The page's figures for the same query as CSV (planner/reports/capacity_table.py)."""
    form = CapacitySettingsForm.from_query(request.GET)
    if not form.is_valid():
        lines = [f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()]
        return HttpResponse("\n".join(["Bad capacity settings:", *lines]), status=400,
                            content_type="text/plain; charset=utf-8")
    servers, models = chosen_pairs(form)
    reports = pair_reports(servers, models, figure_settings(form), settings.GRID_CO2_G_PER_KWH)
    frame = capacity_table(report for row in reports for report in row)
    response = HttpResponse(frame.to_csv(index=False), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="capacity.csv"'
    return response


def capacity(request: HttpRequest) -> HttpResponse:
    form = CapacitySettingsForm.from_query(request.GET)
    if not form.is_valid():
        return render(request, "planner/capacity.html", {"form": form}, status=400)
    q = form.cleaned_data
    settings_ = figure_settings(form)
    grid = settings.GRID_CO2_G_PER_KWH
    servers, models = chosen_pairs(form)
    clear_query = urlencode(form.settings_query())
    view = {
        "form": form,
        "settings": q,
        "servers_shown": len(servers),
        "servers_total": len(form.all_servers),
        "models_shown": len(models),
        "models_total": len(form.all_models),
        "pairs_total": f"{len(form.all_servers) * len(form.all_models):,}",
        "server_filtered": form.server_filtered(),
        "model_filtered": form.model_filtered(),
        "clear_url": f"?{clear_query}",
        "csv_url": f"{reverse('planner:capacity-csv')}?{request.GET.urlencode()}",
        "all_url": f"?{clear_query}&all=on" if clear_query else "?all=on",
        "grid": grid,
        "spec_max_models": SPEC_MAX_MODELS,
    }
    shape = (
        f"{q['input_tokens']:,} + {q['output_tokens']:,} tokens per request, served by "
        f"{SERVING_STACK_NAMES[q['serving_stack']]}"
        if q["policy"] == "calibrated"
        else f"{q['context']:,}-token context"
    )
    view["shape"] = shape
    if not servers or not models:
        return render(request, "planner/capacity.html", view)
    rows, cells = [], []
    reports_by_server = pair_reports(servers, models, settings_, grid)
    for server, reports in zip(servers, reports_by_server, strict=True):
        row_cells = [{**report["result"], "energy": report["energy"]} for report in reports]
        cells.extend(row_cells)
        rows.append({"server": server, "cells": row_cells})
    frame = pd.DataFrame(
        cells, columns=["server", "model", "sessions", "label", "binding_limit", "explanation"]
    )
    figure = charts.capacity_matrix_figure(
        frame,
        f"Concurrent sessions per server at ≥ {q['slo_tps']:g} tokens/s, "
        f"{q['precision']}-bit weights, {shape} ({q['policy']} policy)",
    )
    rack, fixes = corrections(
        settings_, grid, {s.name for s in servers}, {m.name for m in models}
    )
    return render(
        request,
        "planner/capacity.html",
        {
            **view,
            "models": models,
            "rows": rows,
            "figure": charts.figure_data(figure),
            "rack": rack,
            "rack_usable": rack_usable(rack) if rack is not None else None,
            "corrections": fixes,
        },
    )
