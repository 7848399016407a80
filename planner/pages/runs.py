"""Run pages: live progress, the result (totals, elevations, charts, BOM) and comparisons."""

import pandas as pd
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from planner import charts
from planner.access import can_view, is_owner, recently_shared, visible_runs
from planner.history import run_version
from planner.models import Run
from planner.pages.colours import catalog_colours
from planner.reports.bom import bom_csv, bom_xlsx, bom_zip, build_bom
from planner.reports.inputs import INPUT_LABELS, differing_inputs, run_inputs
from planner.reports.progress import describe_progress
from planner.reports.summary import elevations, model_patterns, power_trains, summarise
from planner.reports.tco import breakdown, compute_tco

COMPARE_MIN, COMPARE_MAX = 2, 6


def visible_run(request: HttpRequest, pk: int) -> Run:
    run = get_object_or_404(Run.objects.select_related("scenario"), pk=pk)
    if not can_view(request, run.scenario):
        raise Http404("No run here")  # do not tell others that the run exists
    return run


def inputs_of(run: Run) -> dict[str, str]:
    """The run's key inputs (what it solved), from the spec and settings it kept."""
    return run_inputs(run.spec, run.problem, run.solver_settings)


def settings_of(run: Run) -> dict[str, str]:
    """The run's inputs by label: the settings section of its BOM."""
    return {INPUT_LABELS[key]: value for key, value in inputs_of(run).items()}


def labelled_inputs(run: Run) -> list[dict[str, str]]:
    return [
        {"key": key, "label": INPUT_LABELS[key], "value": value}
        for key, value in inputs_of(run).items()
    ]


def result_context(run: Run, colours: dict[str, str]) -> dict:
    """Everything the result partial shows for a finished run with a layout."""
    result = run.result or {}
    summary = summarise(run.problem, result)
    placed = pd.DataFrame(
        [
            {
                "server": item["server"],
                "model": item["model"],
                "sessions": item["sessions"] * group["count"],
            }
            for group in result.get("racks", [])
            for item in group["servers"]
        ],
        columns=["server", "model", "sessions"],
    )
    figure = charts.layout_sessions_figure(placed, colours, "Sessions per model, by server")
    bom = build_bom(run.problem, result, settings_of(run))
    return {
        "run": run,
        "summary": summary,
        "elevations": elevations(run.problem, result, colours),
        "bom": bom,
        "tco": bom["tco"],
        "tco_figure": tco_figure(bom["tco"]),
        "tco_figure_id": f"run-{run.pk}-tco",
        "tco_figure_data_id": f"run-{run.pk}-tco-data",
        "sessions_figure": charts.figure_data(figure),
        "figure_id": f"run-{run.pk}-sessions",
        "figure_data_id": f"run-{run.pk}-sessions-data",
        "colours": colours,
        "model_patterns": model_patterns(result),
        "power_trains": power_trains(result),
        "placed_servers": {name for name, n in summary.servers_by_name.items() if n},
    }


def tco_figure(tco: dict) -> dict | None:
    """The cost-breakdown chart's data: TCO per model by cost part (None without prices)."""
    if tco["breakdown"] is None or not tco["by_model"]:
        return None
    parts = pd.DataFrame(
        [
            {"model": model, "part": part, "usd": usd}
            for model, figures in tco["by_model"].items()
            for part, usd in breakdown(figures)
        ],
        columns=["model", "part", "usd"],
    )
    years = tco["settings"]["years"]
    title = "Total cost of ownership per model, by cost"
    return charts.figure_data(charts.tco_breakdown_figure(parts, title, years))


def status_payload(run: Run) -> dict:
    now = timezone.now()
    elapsed = None
    if run.started_at:
        elapsed = ((run.finished_at or now) - run.started_at).total_seconds()
    objective = (run.problem or {}).get("objective", "max_sessions")
    return {
        "id": run.pk,
        "view": describe_progress(
            objective,
            run.progress or {},
            time_limit_s=(run.solver_settings or {}).get("time_limit_s"),
            elapsed_s=elapsed,
            finished=run.is_finished,
        ),
        "objective": objective,
        "status": run.status,
        "outcome": run.outcome,
        "outcome_label": run.outcome_label,
        "finished": run.is_finished,
        "progress": run.progress or {},
        "error": run.error,
        "elapsed_s": elapsed,
        "queued_s": (now - run.queued_at).total_seconds() if run.queued_at else None,
        "result_status": (run.result or {}).get("status"),
        "reason": (run.result or {}).get("reason"),
    }


def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = visible_run(request, pk)
    context = {
        "run": run,
        "status": status_payload(run),
        "scenario": run.scenario,
        "inputs": labelled_inputs(run),
        "owner": is_owner(request.user, run.scenario),
        # None for runs queued before history was kept: the page then says nothing of it.
        "version": run_version(run),
    }
    if run.has_layout:
        context.update(result_context(run, catalog_colours()))
    template = "planner/_result.html" if request.GET.get("fragment") else "planner/run.html"
    return render(request, template, context)


def run_status(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(status_payload(visible_run(request, pk)))


def run_bom(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in {"csv", "xlsx", "zip"}:
        raise Http404("BOM comes as .csv, .zip (tidy CSV files) or .xlsx")
    run = visible_run(request, pk)
    if not run.has_layout:
        raise Http404("The run has no layout")
    bom = build_bom(run.problem, run.result, settings_of(run))
    filename = f"run-{run.pk}-bom.{fmt}"
    if fmt == "csv":
        response = HttpResponse(bom_csv(bom), content_type="text/csv; charset=utf-8")
    elif fmt == "zip":
        response = HttpResponse(bom_zip(bom), content_type="application/zip")
    else:
        response = HttpResponse(
            bom_xlsx(bom),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def run_rename(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner names a run and notes why it was made (what it tried)."""
    run = visible_run(request, pk)
    if not is_owner(request.user, run.scenario):
        raise Http404("No run here")
    name = request.POST.get("name", "").strip()[:200]
    run.name = name or run.name
    run.note = request.POST.get("note", "").strip()[:10_000]
    run.save(update_fields=["name", "note"])
    messages.success(request, "Run name and note saved.")
    return redirect("planner:run", pk=run.pk)


def run_label(run: Run) -> str:
    return run.label[:60]


def compare_context(runs: list[Run], colours: dict[str, str]) -> dict:
    """Frames, figures and table rows comparing runs that have layouts."""
    rows, sessions, servers = [], [], []
    for run in runs:
        summary = summarise(run.problem, run.result or {})
        tco = compute_tco(run.problem, run.result or {})
        label = run_label(run)
        rows.append(
            {
                "run": label,
                "run_obj": run,
                "summary": summary,
                "tco": tco,
                "tco_usd": tco["total"]["tco_usd"],
                "usd_per_million_tokens": tco["total"]["usd_per_million_tokens"],
                "usd_per_million_tokens_by_model": {
                    model: figures["usd_per_million_tokens"]
                    for model, figures in tco["by_model"].items()
                },
                "sessions_per_kw": summary.sessions_per_kw,
                "sessions_per_u": summary.sessions_per_u,
                "capex_per_session_usd": summary.capex_per_session_usd,
                "used_kw": summary.used_kw,
                "used_u": summary.used_u,
            }
        )
        sessions += [
            {"run": label, "model": model, "sessions": n}
            for model, n in summary.sessions_by_model.items()
        ]
        servers += [
            {"run": label, "server": name, "count": n}
            for name, n in summary.servers_by_name.items()
            if n
        ]
    metrics = pd.DataFrame(rows)
    inputs = differing_inputs([inputs_of(run) for run in runs])
    figures = [
        (
            "sessions",
            charts.compare_sessions_figure(
                pd.DataFrame(sessions, columns=["run", "model", "sessions"]),
                "Concurrent sessions per model",
            ),
        ),
        (
            "servers",
            charts.compare_servers_figure(
                pd.DataFrame(servers, columns=["run", "server", "count"]),
                colours,
                "Servers placed, by server model",
            ),
        ),
        (
            "per-kw",
            charts.compare_metric_figure(
                metrics, "sessions_per_kw", "Sessions per kW", "Sessions per kW of server power"
            ),
        ),
        (
            "per-u",
            charts.compare_metric_figure(
                metrics, "sessions_per_u", "Sessions per U", "Sessions per rack unit used"
            ),
        ),
        (
            "capex",
            charts.compare_metric_figure(
                metrics,
                "capex_per_session_usd",
                "Capex per session",
                "USD per session",
                value_format=",.0f",
                prefix="$",
            ),
        ),
        (
            "per-m-tokens",
            charts.compare_metric_figure(
                metrics,
                "usd_per_million_tokens",
                "$ per million output tokens (TCO over the life)",
                "USD per million tokens",
                value_format=",.4f",
                prefix="$",
                digits=6,
            ),
        ),
        (
            "tco",
            charts.compare_metric_figure(
                metrics,
                "tco_usd",
                "Total cost of ownership",
                "USD over the life",
                value_format=",.0f",
                prefix="$",
            ),
        ),
        ("kw", charts.compare_metric_figure(metrics, "used_kw", "Power used", "kW (servers)")),
        ("u", charts.compare_metric_figure(metrics, "used_u", "Space used", "U (servers)")),
    ]
    models = list(dict.fromkeys(row["model"] for row in sessions))
    return {
        "rows": rows,
        "models": models,
        "differing_inputs": inputs,
        "figures": [
            {
                "id": f"compare-{key}",
                "data_id": f"compare-{key}-data",
                "figure": charts.figure_data(fig),
            }
            for key, fig in figures
        ],
    }


def compare(request: HttpRequest) -> HttpResponse:
    error = ""
    try:
        ids = [int(part) for part in request.GET.get("runs", "").split(",") if part.strip()]
    except ValueError:
        ids, error = [], "Runs are given by their numbers, e.g. ?runs=3,7."
    # At most a few more than can be compared: a long list is refused below, not looked up.
    ids = list(dict.fromkeys(ids))[: COMPARE_MAX + 1]
    runs = [run for run in visible_runs(request, ids) if run.has_layout]
    context: dict = {"runs": runs, "asked": ids}
    if not error and ids and len(runs) < len(ids):
        error = "Some runs are not visible to you or have no layout; they are left out."
    if len(ids) > COMPARE_MAX:
        error = f"Compare at most {COMPARE_MAX} runs."
        runs = runs[:COMPARE_MAX]
    if len(runs) >= COMPARE_MIN:
        context.update(compare_context(runs, catalog_colours()))
    elif ids and not error:
        error = f"Pick {COMPARE_MIN} to {COMPARE_MAX} runs."
    context["error"] = error
    context["pickable"] = pickable_runs(request)
    return render(request, "planner/compare.html", context)


def pickable_runs(request: HttpRequest) -> list[Run]:
    """Finished runs with a layout the viewer may compare: own, then shared ones opened."""

    scenarios = []
    if request.user.is_authenticated:
        scenarios += list(request.user.scenarios.all()[:20])
    scenarios += recently_shared(request.session)
    return list(
        Run.objects.filter(scenario__in=scenarios, status=Run.Status.SUCCEEDED)
        .select_related("scenario")
        .exclude(result__totals=None)[:50]
    )


def compare_url(run_ids: list[int]) -> str:
    return f"{reverse('planner:compare')}?runs={','.join(str(i) for i in run_ids)}"
