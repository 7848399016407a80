"""Sweeps: one scenario parameter over a range, solved as a Celery group of ordinary runs.

`variant_specs` (pure) turns a spec, a parameter and values into one spec per value × server
option; `start_sweep` stores one Run per variant (`queue_variant_runs`: one INSERT for all)
and fans them out with `celery.group`; `cancel_sweep` revokes what has not started. Progress
is the number of finished runs. Benchmarks and fault tests call these functions.

Small variants (a few racks and servers: a solve of milliseconds) travel in chunks of
CHUNK_RUNS run ids per message (`solve_runs`), so the broker round trip and the task
bookkeeping are paid once per chunk, not per run; larger ones get a message each (`solve_run`),
so the workers share them out one by one.
"""

import copy
import logging
from dataclasses import dataclass

from celery import group
from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from planner.bridge.problems import SPEC_DEFAULTS, build_problem, model_workload, validate_spec
from planner.capacity import KV_PRECISIONS
from planner.history import current_version
from planner.models import Run, Scenario, Sweep
from planner.runs.queueing import run_settings
from planner.tasks import solve_run, solve_runs

logger = logging.getLogger(__name__)

PARAMETERS = {choice.value for choice in Sweep.Parameter}
MAX_VALUES = 12
PRECISIONS = (4, 8, 16)
#: A run is small, and may share a message, when its racks x server options is at most this
#: (the exact method then solves in milliseconds).
SMALL_RUN_RACKS_X_SERVERS = 16
#: A chunk of small runs is claimed, solved and stored with three statements whatever its size
#: (planner.runs.execution.execute_runs); 25 runs of a few ms each keep a message well under a
#: second, so two worker processes still share a 100-run sweep evenly.
CHUNK_RUNS = 25
#: What the sweep form offers for each parameter until the planner types other values.
DEFAULT_VALUES = {
    "rack_budget_kw": "8, 10, 12.5, 15, 20, 25",
    "slo_tps": "5, 10, 20, 40",
    "precision_bits": "4, 8, 16",
    "rack_count": "1, 2, 4, 8",
    "input_tokens": "256, 1024, 4096, 16384",
    "ttft_s": "0.25, 0.5, 1, 2",
    "output_tokens": "64, 256, 1024, 4096",
    "kv_precision_bits": "16, 8, 4",
}
WHOLE_NUMBERS = {"precision_bits", "rack_count", "input_tokens", "output_tokens",
                 "kv_precision_bits"}
#: Parameters of each model's workload: they change a figure under the calibrated policy only.
WORKLOAD_PARAMETERS = {"input_tokens", "ttft_s", "output_tokens", "kv_precision_bits"}


class SweepError(ValueError):
    pass


@dataclass(frozen=True)
class Variant:
    value: float
    server: str
    spec: dict
    rack_budget_kw: float | None = None  # set only when sweeping the rack budget


def parse_values(parameter: str, text: str) -> list[float]:
    """'10, 20, 40' -> [10, 20, 40], checked for the parameter (a clear message otherwise)."""
    if parameter not in PARAMETERS:
        raise SweepError(f"unknown parameter {parameter!r}")
    try:
        values = [float(part) for part in text.replace(";", ",").split(",") if part.strip()]
    except ValueError as exc:
        raise SweepError("values are numbers separated by commas, e.g. 10, 20, 40") from exc
    if not 2 <= len(values) <= MAX_VALUES:
        raise SweepError(f"give 2 to {MAX_VALUES} values")
    if any(v <= 0 for v in values):
        raise SweepError("values must be greater than 0")
    if parameter in WHOLE_NUMBERS and any(v != int(v) for v in values):
        raise SweepError("values must be whole numbers for this parameter")
    if parameter == "precision_bits" and any(int(v) not in PRECISIONS for v in values):
        raise SweepError("precision is 4, 8 or 16 bits")
    if parameter == "kv_precision_bits" and any(int(v) not in KV_PRECISIONS for v in values):
        raise SweepError(f"KV-cache precision is {' or '.join(map(str, KV_PRECISIONS))} bits")
    values = list(dict.fromkeys(values))
    return [int(v) if parameter in WHOLE_NUMBERS else v for v in values]


#: How a sweep picks its server options: each candidate alone, all candidates together (the
#: solver picks the mix), or both.
SERVER_OPTIONS = {
    "each": "each candidate server alone",
    "together": "all candidate servers together",
    "both": "each alone and all together",
}
TOGETHER = "all candidates"


def server_options(spec: dict, mode: str = "each") -> list[tuple[str, list[dict]]]:
    """(label, candidate servers) per server option of a sweep."""
    if mode not in SERVER_OPTIONS:
        raise SweepError(f"server options are one of {', '.join(SERVER_OPTIONS)}")
    alone = [(server["server_model"], [server]) for server in spec["servers"]]
    together = [(TOGETHER, list(spec["servers"]))]
    if mode == "each" or len(spec["servers"]) == 1:
        return alone
    return together if mode == "together" else alone + together


def variant_specs(
    spec: dict, parameter: str, values: list[float], mode: str = "each"
) -> list[Variant]:
    """One spec per value × server option (the spec with only that option's servers)."""
    variants = []
    for value in values:
        for label, servers in server_options(spec, mode):
            varied = copy.deepcopy(spec)
            varied["servers"] = servers
            budget = None
            if parameter == "slo_tps":
                varied["slo_tps"] = value
            elif parameter == "precision_bits":
                varied["precision_bits"] = int(value)
            elif parameter == "rack_count":
                # The whole count goes to the first rack type: "how many racks" of the hall's kind.
                varied["rack_types"] = [{**varied["rack_types"][0], "count": int(value)}]
            elif parameter == "rack_budget_kw":
                budget = float(value)
            elif parameter in WORKLOAD_PARAMETERS:
                # Every model's requests: "what if prompts grow to 8k" for the whole mix.
                number = int(value) if parameter in WHOLE_NUMBERS else float(value)
                varied["models"] = [
                    {**request_shape(varied, m), parameter: number} for m in varied["models"]
                ]
            variants.append(Variant(value, label, varied, budget))
    return variants


def request_shape(spec: dict, entry: dict) -> dict:
    """A model entry with its prompt and output tokens written out, as its spec sizes it: a
    model sized by the spec's context keeps that prompt when only its output is swept (and
    the other way round), instead of falling back to the documented defaults."""
    if "input_tokens" in entry and "output_tokens" in entry:
        return entry
    workload = model_workload({**SPEC_DEFAULTS, **spec}, entry)
    return {"input_tokens": workload.input_tokens, "output_tokens": workload.output_tokens,
            **entry}


def variant_problem(variant: Variant, sweep_id: int) -> dict:
    """The problem v1 of one variant, tagged with its sweep."""
    problem = build_problem(variant.spec)
    if variant.rack_budget_kw is not None:
        for rack in problem["rack_types"]:
            # A budget at or below the reserve leaves no usable power: keep the problem valid.
            rack["power_kw"] = max(variant.rack_budget_kw, rack.get("reserved_kw", 0) + 0.001)
    problem["x-sweep"] = {"id": sweep_id, "value": variant.value, "server": variant.server}
    return problem


def variant_name(sweep: Sweep, variant: Variant) -> str:
    """`sweep #4: SLO (tokens/s per session) = 20 · 8x-h100-sxm`: what the variant varied."""
    label = Sweep.Parameter(sweep.parameter).label
    return f"sweep #{sweep.pk}: {label} = {variant.value:g} · {variant.server}"[:200]


def start_sweep(
    scenario: Scenario, parameter: str, values: list[float], mode: str = "each"
) -> Sweep:
    """Store the sweep and its runs, then send them once they are committed."""
    if scenario.spec is None:
        raise SweepError("sweeps need a scenario made in catalog terms (a spec)")
    policy = scenario.spec.get("capacity_policy", SPEC_DEFAULTS["capacity_policy"])
    if parameter in WORKLOAD_PARAMETERS and policy != "calibrated":
        label = Sweep.Parameter(parameter).label.lower()
        raise SweepError(
            f"the {label} changes figures under the calibrated capacity policy only; this "
            f"scenario uses the {policy} policy (edit it to sweep this)"
        )
    with transaction.atomic():
        sweep = Sweep.objects.create(scenario=scenario, parameter=parameter, values=values)
        variants = variant_specs(scenario.spec, parameter, values, mode)
        version = current_version(scenario)
        runs = []
        for variant in variants:
            problem = variant_problem(variant, sweep.pk)
            runs.append(
                Run(
                    scenario=scenario,
                    problem=problem,
                    spec=validate_spec(variant.spec),
                    solver_settings=run_settings(problem),
                    name=variant_name(sweep, variant),
                    scenario_version=version,
                )
            )
        run_ids = queue_variant_runs(runs)
        sweep.variants = [
            {"value": variant.value, "server": variant.server, "run": run_id}
            for variant, run_id in zip(variants, run_ids, strict=True)
        ]
        sweep.save(update_fields=["variants"])
    return sweep


def queue_variant_runs(runs: list[Run]) -> list[int]:
    """Store the unsaved queued runs (one INSERT) and send them in chunks when the transaction
    commits; returns the run ids in the runs' order."""
    created = Run.objects.bulk_create(runs)
    run_ids = [run.pk for run in created]
    batches = chunks(run_ids, [run.problem for run in created])
    transaction.on_commit(lambda: send_chunks(batches))
    return run_ids


def is_small(problem: dict) -> bool:
    racks = sum(int(rack.get("count") or 1) for rack in problem.get("rack_types", []))
    return racks * len(problem.get("servers", [])) <= SMALL_RUN_RACKS_X_SERVERS


def chunks(run_ids: list[int], problems: list[dict]) -> list[list[int]]:
    """Small runs in chunks of CHUNK_RUNS, every other run on its own."""
    small = [rid for rid, p in zip(run_ids, problems, strict=True) if is_small(p)]
    large = [[rid] for rid, p in zip(run_ids, problems, strict=True) if not is_small(p)]
    return large + [small[i:i + CHUNK_RUNS] for i in range(0, len(small), CHUNK_RUNS)]


def send_chunks(batches: list[list[int]]) -> None:
    """One message per chunk; then each run records its message's id, all in one UPDATE (a run
    without one was never sent: requeue_stale_runs sends it soon).

    A broker that is down must not fail the request that started the sweep (its runs are
    committed): as in `send_run`, the runs stay queued without a task id and the periodic check
    (requeue_stale_runs) sends them once RUN_UNSENT_LIMIT_S has passed.
    """
    signatures = [
        solve_run.s(batch[0]) if len(batch) == 1 else solve_runs.s(batch) for batch in batches
    ]
    try:
        result = group(signatures).apply_async()
    except Exception:  # noqa: BLE001 - kombu/redis raise many kinds; the check retries
        logger.warning("sweep runs %s not sent (broker unavailable); the periodic check will "
                       "retry", [run_id for batch in batches for run_id in batch], exc_info=True)
        return
    sent = [(batch, child.id) for batch, child in zip(batches, result.results or [],
                                                       strict=False) if child.id]
    if sent:
        Run.objects.filter(pk__in=[pk for batch, _ in sent for pk in batch], task_id="").update(
            task_id=Case(*(When(pk__in=batch, then=Value(task_id)) for batch, task_id in sent),
                         default=Value(""))
        )


def sweep_runs(sweep: Sweep) -> dict[int, Run]:
    return Run.objects.in_bulk([v["run"] for v in sweep.variants])


def progress(sweep: Sweep) -> dict:
    runs = sweep_runs(sweep).values()
    done = sum(1 for run in runs if run.is_finished)
    return {
        "done": done,
        "total": len(sweep.variants),
        "finished": done == len(sweep.variants),
        "cancelled": sweep.cancelled,
    }


def cancel_sweep(sweep: Sweep) -> int:
    """Revoke the runs that have not started and mark them failed; returns how many."""
    queued = Run.objects.filter(pk__in=[v["run"] for v in sweep.variants], status=Run.Status.QUEUED)
    task_ids = [task_id for task_id in queued.values_list("task_id", flat=True) if task_id]
    if task_ids:
        solve_run.app.control.revoke(task_ids)
    count = queued.update(
        status=Run.Status.FAILED, error="cancelled with its sweep", finished_at=timezone.now()
    )
    sweep.cancelled = True
    sweep.save(update_fields=["cancelled"])
    return count


def sweep_points(sweep: Sweep) -> list[dict]:
    """One point per variant: value, server option, its run and outcome, sessions, sessions per
    kW, capex and racks used (None: no layout, or no price)."""
    runs = sweep_runs(sweep)
    points = []
    for variant in sweep.variants:
        run = runs.get(variant["run"])
        totals = (run.result or {}).get("totals") if run else None
        sessions = totals["sessions"] if totals else None
        power_kw = totals["power_kw"] if totals else None
        points.append(
            {
                "x": variant["value"],
                "server": variant["server"],
                "run": variant["run"],
                "outcome": run.outcome if run else "missing",
                "sessions": sessions,
                "sessions_per_kw": sessions / power_kw if sessions and power_kw else None,
                "capex_usd": totals.get("cost_usd") if totals else None,
                "racks_used": totals.get("racks_used") if totals else None,
                "power_kw": power_kw,
            }
        )
    return points


TABLE_COLUMNS = (
    "value", "server_option", "status", "sessions", "sessions_per_kw", "capex_usd", "racks_used",
    "power_kw", "run",
)


def sweep_table(sweep: Sweep) -> list[dict]:
    """The sweep's table, one row per variant (value, server option, status, figures, run id)."""
    return [
        {
            "value": point["x"],
            "server_option": point["server"],
            "status": point["outcome"],
            "sessions": point["sessions"],
            "sessions_per_kw": None if point["sessions_per_kw"] is None
            else round(point["sessions_per_kw"], 3),
            "capex_usd": point["capex_usd"],
            "racks_used": point["racks_used"],
            "power_kw": point["power_kw"],
            "run": point["run"],
        }
        for point in sweep_points(sweep)
    ]
