"""What a run solved, in a planner's words: its key inputs, and which of them differ between runs.

Pure (plain dicts in, plain dicts out, no Django). A run built from a scenario spec reads its
inputs from the spec it kept (planner.models.Run.spec); a raw problem v1 reads them from the
problem itself, so every run can say what it solved.
"""

from typing import Any

from planner.capacity import defaults

OBJECTIVE_LABELS = {
    "max_sessions": "most sessions",
    "min_power": "least power",
    "min_cost": "least cost",
    "min_racks": "fewest racks",
}

#: The inputs every run lists, in the order the pages show them.
INPUT_LABELS = {
    "objective": "Objective",
    "slo_tps": "SLO (tokens/s per session)",
    "precision_bits": "Weight precision",
    "capacity_policy": "Capacity policy",
    "context_tokens": "Context (tokens)",
    "workload": "Requests (prompt + output tokens)",
    "racks": "Racks",
    "servers": "Candidate servers",
    "models": "Models (min–max × weight)",
    "hall_power_kw": "Hall power cap",
    "time_limit_s": "Time budget",
    "method": "Method",
}


def _count(n: int) -> str:
    return f"{n:,}"


def _racks(rack_types: list[dict], key: str) -> str:
    return ", ".join(f"{_count(r.get('count', 1))} × {r[key]}" for r in rack_types)


def _servers(servers: list[dict], key: str) -> str:
    parts = []
    for server in servers:
        available = server.get("available")
        parts.append(server[key] + ("" if available is None else f" (≤ {_count(available)})"))
    return ", ".join(parts)


def _request_shape(workload: dict) -> str:
    """'1,024 + 256' with the targets a planner set beside it (TTFT, KV bits, prefix hits)."""
    text = f"{_count(workload['input_tokens'])} + {_count(workload['output_tokens'])}"
    if workload.get("ttft_s") is not None:
        text += f", first token ≤ {float(workload['ttft_s']):g} s"
    if workload.get("kv_precision_bits") not in (None, 16):
        text += f", {workload['kv_precision_bits']}-bit KV"
    if workload.get("prefix_cache_hit_rate"):
        text += f", {float(workload['prefix_cache_hit_rate']):.0%} prefix-cache hits"
    if workload.get("serving_stack") not in (None, defaults.DEFAULT_SERVING_STACK):
        text += f", {defaults.SERVING_STACK_NAMES[workload['serving_stack']]}"
    if workload.get("requests_per_second") is not None:
        text += f", {float(workload['requests_per_second']):,.6g} requests/s"
    return text


def workload_words(workloads: dict[str, dict]) -> str:
    """One request shape when every model shares it, else each model's."""
    shapes = {model: _request_shape(w) for model, w in workloads.items()}
    if len(set(shapes.values())) == 1:
        return next(iter(shapes.values()))
    return "; ".join(f"{model}: {shape}" for model, shape in shapes.items())


def _demand(model: str, lo: int, hi: int | None, weight: float | None) -> str:
    text = model
    if lo or hi is not None:
        text += f" ({_count(lo or 0)}–{'∞' if hi is None else _count(hi)})"
    if weight is not None and weight != 1:
        text += f" ×{weight:g}"
    return text


def run_inputs(
    spec: dict[str, Any] | None, problem: dict[str, Any], settings: dict[str, Any] | None = None
) -> dict[str, str]:
    """The run's key inputs as display strings, keyed as INPUT_LABELS (absent ones omitted)."""
    settings = settings or {}
    capacity = problem.get("x-capacity") or {}
    source = spec if spec is not None else capacity
    inputs: dict[str, str] = {}
    objective = (spec or problem).get("objective") or problem.get("objective") or "max_sessions"
    inputs["objective"] = OBJECTIVE_LABELS.get(objective, objective)
    if source.get("slo_tps") is not None:
        inputs["slo_tps"] = f"≥ {float(source['slo_tps']):g} tokens/s"
    if source.get("precision_bits") is not None:
        inputs["precision_bits"] = f"{source['precision_bits']}-bit"
    policy = source.get("capacity_policy") or source.get("policy")
    if policy:
        inputs["capacity_policy"] = policy
    if source.get("context_tokens") is not None:
        inputs["context_tokens"] = _count(int(source["context_tokens"]))
    # The calibrated policy sizes each model by its requests (planner.bridge.problems).
    if capacity.get("workloads"):
        inputs["workload"] = workload_words(capacity["workloads"])
    if spec is not None:
        inputs["racks"] = _racks(spec.get("rack_types", []), "rack_type")
        inputs["servers"] = _servers(spec.get("servers", []), "server_model")
        inputs["models"] = ", ".join(
            _demand(m["model_class"], m.get("min", 0), m.get("max"), m.get("weight"))
            for m in spec.get("models", [])
        )
    else:
        inputs["racks"] = _racks(problem.get("rack_types", []), "name")
        inputs["servers"] = _servers(problem.get("servers", []), "name")
        inputs["models"] = ", ".join(
            _demand(model, d.get("min", 0), d.get("max"), d.get("weight"))
            for model, d in (problem.get("demand") or {}).items()
        )
    hall = (spec or {}).get("hall_power_kw", problem.get("hall_power_kw"))
    inputs["hall_power_kw"] = "none" if hall is None else f"{float(hall):,.6g} kW"
    limit = settings.get("time_limit_s", problem.get("time_limit_s"))
    if limit is not None:
        inputs["time_limit_s"] = f"{float(limit):g} s"
    inputs["method"] = settings.get("method") or problem.get("method") or "exact"
    return inputs


def differing_inputs(inputs: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Rows `{"key", "label", "values"}` for each input whose value is not the same in all runs.

    An input one run lacks counts as "n/a" for it, so a raw problem beside a spec shows up too.
    """
    rows = []
    keys = list(dict.fromkeys(key for run in inputs for key in run))
    for key in sorted(keys, key=lambda k: list(INPUT_LABELS).index(k)):
        values = [run.get(key, "n/a") for run in inputs]
        if len(set(values)) > 1:
            rows.append({"key": key, "label": INPUT_LABELS[key], "values": values})
    return rows


def default_run_name(spec: dict[str, Any] | None, problem: dict[str, Any]) -> str:
    """A short name from the inputs a planner varies most: SLO, precision, objective, racks."""
    inputs = run_inputs(spec, problem)
    parts = [
        inputs.get("slo_tps", "").replace("≥ ", "SLO ").replace(" tokens/s", ""),
        inputs.get("precision_bits", ""),
        inputs["objective"],
    ]
    racks = (spec or {}).get("rack_types") or problem.get("rack_types", [])
    total = sum(r.get("count", 1) for r in racks)
    parts.append(f"{_count(total)} rack{'s' if total != 1 else ''}")
    return " · ".join(p for p in parts if p)[:200]
