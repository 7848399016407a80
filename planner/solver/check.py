"""Independent verification of a result against its problem.

Deliberately re-derives every figure from the problem and the result's rack groups with plain
arithmetic, sharing no code with the formulation or the layout step, so a bug there cannot hide
itself here. ``solve()`` runs it on every layout it returns, and the tests use it as an oracle.
"""

from __future__ import annotations

from typing import Any

from .problem import Problem, validate_problem

_LAYOUT_STATUSES = ("optimal", "feasible")


def _over(value: float, cap: float) -> bool:
    # Capacities are sums of floats; allow a relative millionth for representation noise only.
    return value > cap + 1e-6 * max(1.0, abs(cap))


def _differs(a: float, b: float, tol: float) -> bool:
    return abs(a - b) > tol * max(1.0, abs(a), abs(b))


def check_layout(problem: Problem | dict[str, Any], result: dict[str, Any]) -> list[str]:
    """Return every violation of ``problem``'s constraints (and result consistency) in ``result``.

    An empty list means the layout is valid: rack U, power (after derating and feed redundancy),
    cooling and weight budgets, rack counts, availability,
    hall cap, demand minimums, and the reported per-group, per-model, total and objective figures
    all agree with a recomputation. Results without a layout (infeasible, invalid, unknown) must
    list no racks. ``problem`` may be raw data; it is validated first.
    """
    if not isinstance(problem, Problem):
        problem = validate_problem(problem)
    out: list[str] = []
    status = result.get("status")
    groups = result.get("racks")
    if not isinstance(groups, list):
        return ["result has no 'racks' list"]
    if status not in _LAYOUT_STATUSES:
        if groups:
            out.append(f"status {status!r} must not list racks")
        return out

    racks = {r.name: r for r in problem.rack_types}
    servers = {s.name: s for s in problem.servers}
    racks_seen = dict.fromkeys(racks, 0)
    placed = dict.fromkeys(servers, 0)
    raw: dict[str, int] = {}
    total_w = 0.0
    total_u = 0
    total_cost: float | None = 0.0
    racks_used = 0

    for gi, group in enumerate(groups):
        where = f"racks[{gi}]"
        rack = racks.get(group.get("rack_type"))
        if rack is None:
            out.append(f"{where}: unknown rack type {group.get('rack_type')!r}")
            continue
        n = group.get("count")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            out.append(f"{where}: count must be a positive integer, got {n!r}")
            continue
        racks_seen[rack.name] += n
        u = 0
        w = 0.0
        kg = 0.0
        cost: float | None = 0.0
        for si, entry in enumerate(group.get("servers", [])):
            at = f"{where}.servers[{si}]"
            srv = servers.get(entry.get("server"))
            if srv is None:
                out.append(f"{at}: unknown server {entry.get('server')!r}")
                continue
            model, k = entry.get("model"), entry.get("count")
            per = dict(srv.sessions)
            if model not in per:
                out.append(f"{at}: server {srv.name!r} does not list model {model!r}")
                continue
            if not isinstance(k, int) or isinstance(k, bool) or k < 1:
                out.append(f"{at}: count must be a positive integer, got {k!r}")
                continue
            if entry.get("sessions") != k * per[model]:
                out.append(f"{at}: sessions {entry.get('sessions')} != {k} x {per[model]}")
            u += k * srv.u
            w += k * srv.power_w
            kg += k * (srv.weight_kg or 0.0)
            cost = None if cost is None or srv.cost_usd is None else cost + k * srv.cost_usd
            placed[srv.name] += k * n
            raw[model] = raw.get(model, 0) + k * per[model] * n
        cap_u = rack.u - rack.reserved_u
        # One feed carries the whole load under 2N; derating caps the load on the feeds.
        feed_kw = rack.power_kw / (2.0 if rack.feeds == "2N" else 1.0)
        cap_w = (feed_kw * rack.derating_pct / 100.0 - rack.reserved_kw) * 1000.0
        if u > cap_u:
            out.append(f"{where}: uses {u} U in a {rack.name!r} rack with {cap_u} U usable")
        if _over(w, cap_w):
            out.append(
                f"{where}: draws {w:g} W in a {rack.name!r} rack with {cap_w:g} W usable "
                f"(feeds {rack.feeds}, derating {rack.derating_pct:g} %)"
            )
        if rack.cooling_kw is not None and _over(
            w + rack.reserved_kw * 1000.0, rack.cooling_kw * 1000.0
        ):
            out.append(
                f"{where}: gives off {w:g} W + {rack.reserved_kw:g} kW reserved in a "
                f"{rack.name!r} rack cooled for {rack.cooling_kw:g} kW"
            )
        if rack.max_weight_kg is not None and _over(kg, rack.max_weight_kg):
            out.append(
                f"{where}: weighs {kg:g} kg in a {rack.name!r} rack rated {rack.max_weight_kg:g} kg"
            )
        if group.get("used_u") != u:
            out.append(f"{where}: used_u {group.get('used_u')} != {u}")
        if _differs(float(group.get("used_kw", -1)), w / 1000.0, 1e-3):
            out.append(f"{where}: used_kw {group.get('used_kw')} != {w / 1000.0:g}")
        total_u += n * u
        total_w += n * w
        total_cost = None if total_cost is None or cost is None else total_cost + n * cost
        racks_used += n if group.get("servers") else 0

    for name, rack in racks.items():
        if racks_seen[name] != rack.count:
            out.append(
                f"rack type {name!r}: layout lists {racks_seen[name]} racks, "
                f"problem has {rack.count}"
            )
    for name, srv in servers.items():
        if srv.available is not None and placed[name] > srv.available:
            out.append(f"server {name!r}: {placed[name]} placed, only {srv.available} available")
    if problem.hall_power_kw is not None and _over(total_w, problem.hall_power_kw * 1000.0):
        out.append(f"hall: servers draw {total_w:g} W, cap is {problem.hall_power_kw:g} kW")
    for d in problem.demand:
        if raw.get(d.model, 0) < d.min:
            out.append(f"model {d.model!r}: {raw.get(d.model, 0)} sessions < min {d.min}")

    reported = result.get("sessions", {})
    for model in set(reported) | set(raw):
        if reported.get(model, 0) != raw.get(model, 0):
            out.append(f"sessions[{model!r}] {reported.get(model)} != {raw.get(model, 0)}")

    capped = {}
    for model, value in raw.items():
        cap = problem.demand_for(model).max
        capped[model] = value if cap is None else min(value, cap)
    counted = result.get("counted_sessions", {})
    for model in set(counted) | set(capped):
        if counted.get(model, 0) != capped.get(model, 0):
            out.append(
                f"counted_sessions[{model!r}] {counted.get(model)} != {capped.get(model, 0)}"
            )

    if problem.objective == "max_sessions":
        expected = sum(problem.demand_for(m).weight * v for m, v in capped.items())
    elif problem.objective == "min_power":
        expected = total_w
    elif problem.objective == "min_racks":
        expected = racks_used
    else:
        expected = total_cost if total_cost is not None else float("nan")
    objective = result.get("objective")
    if not isinstance(objective, (int, float)) or _differs(float(objective), expected, 1e-6):
        out.append(f"objective {objective!r} != recomputed {expected:g}")

    totals = result.get("totals") or {}
    expect_totals = {
        "racks": sum(r.count for r in problem.rack_types),
        "racks_used": racks_used,
        "servers": sum(placed.values()),
        "u": total_u,
        "sessions": sum(raw.values()),
    }
    for key, value in expect_totals.items():
        if totals.get(key) != value:
            out.append(f"totals.{key} {totals.get(key)!r} != {value}")
    if _differs(float(totals.get("power_kw", -1)), total_w / 1000.0, 1e-3):
        out.append(f"totals.power_kw {totals.get('power_kw')!r} != {total_w / 1000.0:g}")
    if totals.get("by_server") != placed:
        out.append(f"totals.by_server {totals.get('by_server')!r} != {placed}")
    return out
