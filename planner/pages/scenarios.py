"""Scenario pages: the editor, the owner's page, solving, sharing and duplicating."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from inventory.models import RackType
from inventory.seed import seed_data
from planner import solver
from planner.access import (
    duplicate_scenario,
    is_owner,
    owned_scenario,
    regenerate_share_token,
    remember_shared,
)
from planner.bridge.problems import (
    SPEC_DEFAULTS,
    SPEC_MAX_MODELS,
    ScenarioSpecError,
    sizes_by_requests,
    workload_figures,
)
from planner.capacity.defaults import DEFAULT_INPUT_TOKENS, DEFAULT_OUTPUT_TOKENS
from planner.models import Run, Scenario, Sweep
from planner.pages.colours import catalog_colours
from planner.pages.forms import CapacitySettingsForm, ScenarioForm
from planner.pages.runs import inputs_of, result_context
from planner.reports.inputs import workload_words
from planner.runs.queueing import queue_run
from planner.runs.sweeps import DEFAULT_VALUES, SERVER_OPTIONS

#: How many of a scenario's runs its page lists (latest first), with what each solved.
HISTORY_RUNS = 50
KEY_INPUTS = ("objective", "slo_tps", "precision_bits", "capacity_policy", "racks", "hall_power_kw")


def key_inputs(run: Run) -> dict[str, str]:
    """The inputs a scenario's run list shows beside each run."""
    inputs = inputs_of(run)
    shown = {key: inputs[key] for key in KEY_INPUTS if key in inputs}
    if shown.get("hall_power_kw") == "none":
        del shown["hall_power_kw"]
    else:
        shown["hall_power_kw"] = f"hall cap {shown.get('hall_power_kw')}"
    return shown


def capacity_initial(query, initial: dict) -> tuple[dict, list[str]]:
    """The editor started from a capacity page's query ("Plan racks with these"): that page's
    servers and models ticked, its settings and request shape, and what was done, in words.
    A query the capacity page would refuse leaves `initial` as it is, and says so."""
    capacity = CapacitySettingsForm.from_query(query)
    if not capacity.is_valid():
        return initial, ["The capacity settings in the link are not valid; the editor starts "
                         "as a new scenario."]
    q = capacity.cleaned_data
    study = seed_data()["study"]
    servers = {s.pk for s in capacity.chosen_servers(study["server_models"])}
    models = capacity.chosen_models(study["model_classes"])
    ticked = {m.pk for m in models[:SPEC_MAX_MODELS]}
    started = {key: value for key, value in initial.items() if not key.endswith("_use")}
    started.update(
        slo_tps=q["slo_tps"], precision_bits=q["precision"], capacity_policy=q["policy"],
        kv_precision_bits=q["kv_precision"], serving_stack=q["serving_stack"],
        context_tokens=q["context"],
    )  # fmt: skip
    for server in capacity.all_servers:
        started[f"server_{server.pk}_use"] = server.pk in servers
    for model in capacity.all_models:
        started[f"model_{model.pk}_use"] = model.pk in ticked
        started[f"model_{model.pk}_input_tokens"] = q["input_tokens"]
        started[f"model_{model.pk}_output_tokens"] = q["output_tokens"]
        started[f"model_{model.pk}_ttft_s"] = q["ttft_s"]
    racks = " + ".join(f"{count} × {name}" for name, count in rack_counts(started))
    notes = [f"From the capacity page: its {len(servers):,} servers and {len(ticked):,} models "
             f"ticked, with its settings and request, in the seed study's hall ({racks}). "
             "Change any of it before saving."]
    if len(models) > SPEC_MAX_MODELS:
        notes.append(f"The page showed {len(models):,} models; a scenario takes at most "
                     f"{SPEC_MAX_MODELS}, so the {SPEC_MAX_MODELS} smallest are ticked.")
    return started, notes


def rack_counts(initial: dict) -> list[tuple[str, int]]:
    """The racks an editor's initial values set, by name."""
    return [(rack.name, initial[f"rack_{rack.pk}_count"]) for rack in RackType.objects.all()
            if initial.get(f"rack_{rack.pk}_count")]


def default_initial() -> dict:
    """A new scenario starts as the seed study's hall: its rack, servers and models ticked (the
    catalog holds far more; a spec takes at most 20 models)."""
    form = ScenarioForm()
    study = seed_data()["study"]
    initial = {"name": "New scenario"}
    racks = [r for r in form.rack_types if r.name == study["rack_type"]] or form.rack_types[:1]
    for rack in racks:
        initial[f"rack_{rack.pk}_count"] = 1
    for server in form.servers:
        if server.name in study["server_models"]:
            initial[f"server_{server.pk}_use"] = True
    for model in form.models:
        if model.name in study["model_classes"]:
            initial[f"model_{model.pk}_use"] = True
        # The documented request shape, as the capacity page and the API default to it.
        initial[f"model_{model.pk}_input_tokens"] = DEFAULT_INPUT_TOKENS
        initial[f"model_{model.pk}_output_tokens"] = DEFAULT_OUTPUT_TOKENS
    return initial


def save_and_maybe_solve(request: HttpRequest, form: ScenarioForm, scenario: Scenario | None):
    if scenario is None:
        scenario = Scenario(owner=request.user)
    scenario.name = form.cleaned_data["name"]
    scenario.description = form.cleaned_data["description"]
    scenario.spec = form.spec
    scenario.problem = None
    scenario.save()
    if "solve" in request.POST:
        return solve_and_redirect(request, scenario)
    messages.success(request, "Scenario saved.")
    return redirect("planner:scenario", pk=scenario.pk)


def solve_and_redirect(request: HttpRequest, scenario: Scenario):
    try:
        run = queue_run(
            scenario,
            requested_by=request.user,
            name=request.POST.get("run_name", ""),
            note=request.POST.get("run_note", ""),
        )
    except ScenarioSpecError as exc:
        messages.error(request, f"This scenario no longer builds: {exc}")
        return redirect("planner:scenario-edit", pk=scenario.pk)
    except solver.ProblemError as exc:
        messages.error(request, f"Not solved: {exc.reason}")
        return redirect("planner:scenario", pk=scenario.pk)
    return redirect("planner:run", pk=run.pk)


@login_required
def scenario_new(request: HttpRequest) -> HttpResponse:
    initial, notes = default_initial(), []
    if request.GET:  # "Plan racks with these" on the capacity page
        initial, notes = capacity_initial(request.GET, initial)
    form = ScenarioForm(request.POST or None, initial=initial, colours=catalog_colours())
    if request.method == "POST" and form.is_valid():
        return save_and_maybe_solve(request, form, None)
    return render(
        request, "planner/scenario_form.html", {"form": form, "scenario": None, "notes": notes}
    )


@login_required
def scenario_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = owned_scenario(request, pk)
    if scenario.spec is None:
        messages.error(request, "This scenario holds a raw problem v1; edit it through the API.")
        return redirect("planner:scenario", pk=scenario.pk)
    initial = ScenarioForm.initial_from_spec(scenario.name, scenario.description, scenario.spec)
    form = ScenarioForm(
        request.POST or None, initial=initial, colours=catalog_colours(),
        saved_spec=scenario.spec,
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        return save_and_maybe_solve(request, form, scenario)
    return render(request, "planner/scenario_form.html", {"form": form, "scenario": scenario})


def requests_words(spec: dict | None) -> str | None:
    """The request shape a spec sizes its models by (prompt + output tokens and targets), for
    the summary; None for a raw problem or a spec sized by sessions alone."""
    if spec is None:
        return None
    filled = {**SPEC_DEFAULTS, **spec}
    return workload_words(workload_figures(filled)) if sizes_by_requests(filled) else None


def scenario_page_context(request: HttpRequest, scenario: Scenario) -> dict:
    # Sweep variants are runs too; they live on their sweep's page, not in this list.
    runs = list(scenario.runs.exclude(problem__has_key="x-sweep")[:HISTORY_RUNS])
    for run in runs:
        run.key_inputs = key_inputs(run)
    latest = next(
        (
            r
            for r in runs
            if r.status == Run.Status.SUCCEEDED and r.has_layout
        ),
        None,
    )
    context = {
        "scenario": scenario,
        "runs": runs,
        "sweeps": list(scenario.sweeps.all()[:10]),
        "latest": latest,
        "owner": is_owner(request.user, scenario),
        "requests": requests_words(scenario.spec),
    }
    if latest is not None:
        context.update(result_context(latest, catalog_colours()))
    return context


@login_required
def scenario_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = owned_scenario(request, pk)
    context = scenario_page_context(request, scenario)
    context["share_url"] = request.build_absolute_uri(scenario.get_share_path())
    context["sweep_server_options"] = list(SERVER_OPTIONS.items())
    context["retention_days"] = f"{settings.SCENARIO_RETENTION_DAYS:g}"
    context["sweep_parameters"] = [
        {"value": choice.value, "label": choice.label, "default": DEFAULT_VALUES[choice.value]}
        for choice in Sweep.Parameter
    ]
    return render(request, "planner/scenario.html", context)


@login_required
@require_POST
def scenario_solve(request: HttpRequest, pk: int) -> HttpResponse:
    return solve_and_redirect(request, owned_scenario(request, pk))


@login_required
@require_POST
def scenario_regenerate_token(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = owned_scenario(request, pk)
    regenerate_share_token(scenario)
    messages.success(request, "New share link made; the old one no longer opens.")
    return redirect("planner:scenario", pk=scenario.pk)


def shared_scenario(request: HttpRequest, token: str) -> HttpResponse:
    scenario = get_object_or_404(Scenario, share_token=token)
    remember_shared(request.session, scenario)
    context = scenario_page_context(request, scenario)
    context["shared"] = True
    return render(request, "planner/shared.html", context)


@require_POST
def shared_duplicate(request: HttpRequest, token: str) -> HttpResponse:
    scenario = get_object_or_404(Scenario, share_token=token)
    if not request.user.is_authenticated:
        return redirect_to_login(scenario.get_share_path())
    copy = duplicate_scenario(scenario, request.user)
    messages.success(request, f"Copied “{scenario.name}” into your scenarios.")
    return redirect("planner:scenario-edit", pk=copy.pk)
