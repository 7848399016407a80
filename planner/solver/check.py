"""Independent verification of a result against its problem.

Deliberately re-derives every figure from the problem and the result's rack groups with plain
arithmetic, sharing no code with the formulation or the layout step, so a bug there cannot hide
itself here. ``solve()`` runs it on every layout it returns, and the tests use it as an oracle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .layout import LAYOUT_STATUSES
from .problem import Problem, RackType, Server, validate_problem


def _over(value: float, cap: float) -> bool:
    # Capacities are sums of floats; allow a relative millionth for representation noise only.
    return value > cap + 1e-6 * max(1.0, abs(cap))


def _differs(a: float, b: float, tol: float) -> bool:
    return abs(a - b) > tol * max(1.0, abs(a), abs(b))


@dataclass
class _Tally:
    """The problem's rows by name, and hall figures summed over the groups as they are checked."""

    racks: dict[str, RackType]
    servers: dict[str, Server]
    racks_seen: dict[str, int]
    placed: dict[str, int]
    raw: dict[str, int] = field(default_factory=dict)
    by_server_model: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    total_w: float = 0.0
    total_u: int = 0
    total_cost: float | None = 0.0
    racks_used: int = 0


@dataclass
class _Contents:
    """One rack's servers, summed: U, watts, kg, price (None if any is unpriced), sessions."""

    u: int = 0
    w: float = 0.0
    kg: float = 0.0
    cost: float | None = 0.0
    sessions: int = 0


def check_layout(problem: Problem | dict[str, Any], result: dict[str, Any]) -> list[str]:
    """Return every violation of ``problem``'s constraints (and result consistency) in ``result``.

    An empty list means the layout is valid: rack U, power (after derating and feed redundancy),
    cooling and weight budgets, rack counts, availability, hall cap, demand minimums, and the
    reported per-group, per-model, total and objective figures all agree with a recomputation.
    Results without a layout (infeasible, invalid, unknown) must list no racks. ``problem`` may
    be raw data; it is validated first. Figures added to result v1 later (``usable_u``,
    ``usable_kw``, group ``sessions``, ``totals.by_server_model``...) are checked when present,
    so results stored before them still pass.
    """
    if not isinstance(problem, Problem):
        problem = validate_problem(problem)
    status = result.get("status")
    groups = result.get("racks")
    if not isinstance(groups, list):
        return ["result has no 'racks' list"]
    if status not in LAYOUT_STATUSES:
        return [f"status {status!r} must not list racks"] if groups else []

    tally = _Tally(
        racks={r.name: r for r in problem.rack_types},
        servers={s.name: s for s in problem.servers},
        racks_seen=dict.fromkeys((r.name for r in problem.rack_types), 0),
        placed=dict.fromkeys((s.name for s in problem.servers), 0),
    )
    out: list[str] = []
    for gi, group in enumerate(groups):
        out += _check_group(problem, tally, f"racks[{gi}]", group)
    out += _check_hall(problem, tally)
    out += _check_sessions(problem, tally, result)
    out += _check_totals(problem, tally, result.get("totals") or {})
    out += _check_survival(problem, groups, result)
    out += _check_trains(problem, groups, result)
    if problem.budget_usd is not None:
        spent = _spent(problem, result, problem.budget_basis)
        if spent > problem.budget_usd * (1 + 1e-9):
            out.append(
                f"{problem.budget_basis} {spent:,.2f} USD is over budget_usd "
                f"{problem.budget_usd:,.2f}"
            )
    return out


def _spent(problem: Problem, result: dict[str, Any], basis: str) -> float:
    """USD of the layout recomputed from the groups and the problem's tco settings (docs/tco.md)."""
    t = problem.tco
    keep = 1.0 if basis == "capex" else 1.0 + t.years * t.maintenance_share_per_year
    hours = 0.0 if basis == "capex" else 8760 * t.years
    servers = {s.name: s for s in problem.servers}
    racks = {r.name: r for r in problem.rack_types}
    total = 0.0
    for group in result.get("racks", []):
        entries = group.get("servers") or []
        if not entries:
            continue
        rack = racks[group["rack_type"]]
        one = (t.rack_usd_per_position + t.rack_usd_per_kw * rack.power_kw) * keep
        for entry in entries:
            srv = servers[entry["server"]]
            bought = (srv.cost_usd or 0.0) + t.network_usd_per_server
            energy = srv.power_w / 1000 * t.pue * hours * t.electricity_usd_per_kwh
            one += entry["count"] * (bought * keep + energy)
        total += group["count"] * one
    return total


def _check_survival(
    problem: Problem, groups: list[dict[str, Any]], result: dict[str, Any]
) -> list[str]:
    """Sessions left after the worst single rack and server loss; the asked-for loss keeps mins.

    Recomputed from the groups alone: a rack's sessions of a model are its entries' sessions,
    a server's are its entry's sessions over its count.
    """
    total: dict[str, int] = {}
    worst_rack: dict[str, int] = {}
    worst_server: dict[str, int] = {}
    for group in groups:
        per_model: dict[str, int] = {}
        for entry in group.get("servers", []):
            model, k, n = entry.get("model"), entry.get("count"), entry.get("sessions")
            if not (_positive_int(k) and isinstance(n, int)):
                continue  # reported by _contents
            per_model[model] = per_model.get(model, 0) + n
            worst_server[model] = max(worst_server.get(model, 0), n // k)
        for model, n in per_model.items():
            total[model] = total.get(model, 0) + n * group.get("count", 0)
            worst_rack[model] = max(worst_rack.get(model, 0), n)
    left = {
        m: (total.get(m, 0) - worst_rack.get(m, 0), total.get(m, 0) - worst_server.get(m, 0))
        for m in problem.models
    }
    out = []
    reported = result.get("exposure")
    if reported is not None:
        for m, (after_rack, after_server) in left.items():
            got = reported.get(m, {})
            if got.get("after_worst_rack") != after_rack:
                out.append(
                    f"exposure[{m!r}].after_worst_rack {got.get('after_worst_rack')} != "
                    f"{after_rack}"
                )
            if got.get("after_worst_server") != after_server:
                out.append(
                    f"exposure[{m!r}].after_worst_server {got.get('after_worst_server')} != "
                    f"{after_server}"
                )
    kind = {"n_plus_1_rack": 0, "n_plus_1_server": 1}.get(problem.resilience)
    if kind is not None:
        for d in problem.demand:
            if d.min > 0 and left[d.model][kind] < d.min:
                out.append(
                    f"model {d.model!r}: {left[d.model][kind]} sessions after the worst "
                    f"{problem.resilience} loss, below min {d.min}"
                )
    return out


def _check_trains(
    problem: Problem, groups: list[dict[str, Any]], result: dict[str, Any]
) -> list[str]:
    """With power trains: every group splits its racks over the trains, the reported
    ``after_worst_train`` matches, and every min survives the loss of any one train.

    Recomputed from the groups alone: a train's sessions of a model are, over the groups, the
    group's racks on that train times the sessions of the model in one of its racks.
    """
    k_trains = problem.power_trains
    if k_trains is None:
        return []
    out: list[str] = []
    load = [dict.fromkeys(problem.models, 0) for _ in range(k_trains)]
    total = dict.fromkeys(problem.models, 0)
    for gi, group in enumerate(groups):
        split = group.get("trains")
        n = group.get("count")
        if (
            not isinstance(split, list)
            or len(split) != k_trains
            or not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in split)
        ):
            out.append(f"racks[{gi}]: trains must list {k_trains} rack counts, got {split!r}")
            continue
        if sum(split) != n:
            out.append(f"racks[{gi}]: trains {split} add up to {sum(split)}, not count {n}")
        for entry in group.get("servers", []):
            model, sessions = entry.get("model"), entry.get("sessions")
            if model not in total or not isinstance(sessions, int):
                continue  # reported by _contents
            for k, c in enumerate(split):
                load[k][model] += c * sessions
                total[model] += c * sessions
    reported = result.get("exposure") or {}
    for m in problem.models:
        left = total[m] - max(train[m] for train in load)
        got = reported.get(m, {}).get("after_worst_train")
        if m in reported and got != left:
            out.append(f"exposure[{m!r}].after_worst_train {got} != {left}")
        lo = problem.demand_for(m).min
        if lo > 0 and left < lo:
            out.append(
                f"model {m!r}: {left} sessions after the worst power train loss "
                f"(of {k_trains}), below min {lo}"
            )
    return out


def _check_group(problem: Problem, tally: _Tally, where: str, group: dict[str, Any]) -> list[str]:
    """One rack group: its count, contents, the rack's limits and the figures it reports."""
    rack = tally.racks.get(group.get("rack_type"))
    if rack is None:
        return [f"{where}: unknown rack type {group.get('rack_type')!r}"]
    n = group.get("count")
    if not _positive_int(n):
        return [f"{where}: count must be a positive integer, got {n!r}"]
    tally.racks_seen[rack.name] += n
    out: list[str] = []
    contents = _contents(problem, tally, where, group.get("servers", []), n, out)
    out += _check_rack_limits(rack, contents, where)
    out += _check_group_figures(rack, contents, where, group)
    tally.total_u += n * contents.u
    tally.total_w += n * contents.w
    if tally.total_cost is not None:
        tally.total_cost = None if contents.cost is None else tally.total_cost + n * contents.cost
    tally.racks_used += n if group.get("servers") else 0
    return out


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _contents(
    problem: Problem,
    tally: _Tally,
    where: str,
    entries: list[dict[str, Any]],
    racks: int,
    out: list[str],
) -> _Contents:
    """Sum one rack's server entries (checking each), and add them ``racks`` times to the tally."""
    got = _Contents()
    for si, entry in enumerate(entries):
        at = f"{where}.servers[{si}]"
        srv = tally.servers.get(entry.get("server"))
        if srv is None:
            out.append(f"{at}: unknown server {entry.get('server')!r}")
            continue
        model, k = entry.get("model"), entry.get("count")
        per = dict(srv.sessions)
        if model not in per:
            out.append(f"{at}: server {srv.name!r} does not list model {model!r}")
            continue
        if not _positive_int(k):
            out.append(f"{at}: count must be a positive integer, got {k!r}")
            continue
        if entry.get("sessions") != k * per[model]:
            out.append(f"{at}: sessions {entry.get('sessions')} != {k} x {per[model]}")
        got.u += k * srv.u
        got.w += k * srv.power_w
        got.kg += k * (srv.weight_kg or 0.0)
        got.cost = None if got.cost is None or srv.cost_usd is None else got.cost + k * srv.cost_usd
        got.sessions += k * per[model]
        tally.placed[srv.name] += k * racks
        tally.raw[model] = tally.raw.get(model, 0) + k * per[model] * racks
        figures = tally.by_server_model.setdefault((srv.name, model), [0, 0])
        figures[0] += k * racks
        figures[1] += k * per[model] * racks
    return got


def _feed_w(rack: RackType) -> float:
    """Watts the feeds leave for servers, re-derived from the documented rule."""
    # One feed carries the whole load under 2N; derating caps the load on the feeds.
    feed_kw = rack.power_kw / (2.0 if rack.feeds == "2N" else 1.0)
    return (feed_kw * rack.derating_pct / 100.0 - rack.reserved_kw) * 1000.0


def _usable_w(rack: RackType) -> float:
    """Watts one rack may give its servers: the feeds' share, or cooling's if tighter."""
    cap_w = _feed_w(rack)
    if rack.cooling_kw is not None:
        cap_w = min(cap_w, (rack.cooling_kw - rack.reserved_kw) * 1000.0)
    return cap_w


def _check_rack_limits(rack: RackType, got: _Contents, where: str) -> list[str]:
    """U, power (after feeds and derating), cooling and weight of one rack."""
    out = []
    cap_u = rack.u - rack.reserved_u
    cap_w = _feed_w(rack)
    if got.u > cap_u:
        out.append(f"{where}: uses {got.u} U in a {rack.name!r} rack with {cap_u} U usable")
    if _over(got.w, cap_w):
        out.append(
            f"{where}: draws {got.w:g} W in a {rack.name!r} rack with {cap_w:g} W usable "
            f"(feeds {rack.feeds}, derating {rack.derating_pct:g} %)"
        )
    if rack.cooling_kw is not None and _over(
        got.w + rack.reserved_kw * 1000.0, rack.cooling_kw * 1000.0
    ):
        out.append(
            f"{where}: gives off {got.w:g} W + {rack.reserved_kw:g} kW reserved in a "
            f"{rack.name!r} rack cooled for {rack.cooling_kw:g} kW"
        )
    if rack.max_weight_kg is not None and _over(got.kg, rack.max_weight_kg):
        out.append(
            f"{where}: weighs {got.kg:g} kg in a {rack.name!r} rack rated {rack.max_weight_kg:g} kg"
        )
    return out


def _check_group_figures(
    rack: RackType, got: _Contents, where: str, group: dict[str, Any]
) -> list[str]:
    """The per-rack figures a group reports: used, usable and free U and kW, sessions."""
    out = []
    usable_u = rack.u - rack.reserved_u
    usable_w = _usable_w(rack)
    if group.get("used_u") != got.u:
        out.append(f"{where}: used_u {group.get('used_u')} != {got.u}")
    if _differs(float(group.get("used_kw", -1)), got.w / 1000.0, 1e-3):
        out.append(f"{where}: used_kw {group.get('used_kw')} != {got.w / 1000.0:g}")
    if "free_u" in group and group["free_u"] != usable_u - got.u:
        out.append(f"{where}: free_u {group['free_u']} != {usable_u - got.u}")
    free_kw = max(0.0, (usable_w - got.w) / 1000.0)
    if "free_kw" in group and _differs(float(group["free_kw"]), free_kw, 1e-3):
        out.append(f"{where}: free_kw {group['free_kw']} != {free_kw:g}")
    if "usable_u" in group and group["usable_u"] != usable_u:
        out.append(f"{where}: usable_u {group['usable_u']} != {usable_u}")
    if "usable_kw" in group and _differs(float(group["usable_kw"]), usable_w / 1000.0, 1e-3):
        out.append(f"{where}: usable_kw {group['usable_kw']} != {usable_w / 1000.0:g}")
    if "sessions" in group and group["sessions"] != got.sessions:
        out.append(f"{where}: sessions {group['sessions']} != {got.sessions}")
    return out


def _check_hall(problem: Problem, tally: _Tally) -> list[str]:
    """Rack counts per type, stock, the hall cap and the demand minimums."""
    out = []
    for rack in problem.rack_types:
        if tally.racks_seen[rack.name] != rack.count:
            out.append(
                f"rack type {rack.name!r}: layout lists {tally.racks_seen[rack.name]} racks, "
                f"problem has {rack.count}"
            )
    for srv in problem.servers:
        placed = tally.placed[srv.name]
        if srv.available is not None and placed > srv.available:
            out.append(f"server {srv.name!r}: {placed} placed, only {srv.available} available")
    if problem.hall_power_kw is not None and _over(tally.total_w, problem.hall_power_kw * 1000.0):
        out.append(f"hall: servers draw {tally.total_w:g} W, cap is {problem.hall_power_kw:g} kW")
    for d in problem.demand:
        if tally.raw.get(d.model, 0) < d.min:
            out.append(f"model {d.model!r}: {tally.raw.get(d.model, 0)} sessions < min {d.min}")
    return out


def _check_sessions(problem: Problem, tally: _Tally, result: dict[str, Any]) -> list[str]:
    """Raw and counted sessions per model, and the objective recomputed from them."""
    out = []
    raw = tally.raw
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
        expected = tally.total_w
    elif problem.objective == "min_racks":
        expected = tally.racks_used
    elif problem.objective == "min_tco":
        expected = _spent(problem, result, "tco")
    else:
        expected = tally.total_cost if tally.total_cost is not None else float("nan")
    objective = result.get("objective")
    if not isinstance(objective, (int, float)) or _differs(float(objective), expected, 1e-6):
        out.append(f"objective {objective!r} != recomputed {expected:g}")
    return out


def _check_totals(problem: Problem, tally: _Tally, totals: dict[str, Any]) -> list[str]:
    """The hall totals, including the later additions when present."""
    out = []
    expect: dict[str, Any] = {
        "racks": sum(r.count for r in problem.rack_types),
        "racks_used": tally.racks_used,
        "servers": sum(tally.placed.values()),
        "u": tally.total_u,
        "sessions": sum(tally.raw.values()),
    }
    if "usable_u" in totals:
        expect["usable_u"] = sum(r.count * (r.u - r.reserved_u) for r in problem.rack_types)
    if "by_server_model" in totals:
        expect["by_server_model"] = [
            {"server": name, "model": m, "servers": n, "sessions": sessions}
            for (name, m), (n, sessions) in sorted(tally.by_server_model.items())
            if n > 0
        ]
    for key, value in expect.items():
        if totals.get(key) != value:
            out.append(f"totals.{key} {totals.get(key)!r} != {value}")
    if _differs(float(totals.get("power_kw", -1)), tally.total_w / 1000.0, 1e-3):
        out.append(f"totals.power_kw {totals.get('power_kw')!r} != {tally.total_w / 1000.0:g}")
    usable_w = sum(r.count * _usable_w(r) for r in problem.rack_types)
    if "usable_kw" in totals and _differs(float(totals["usable_kw"]), usable_w / 1000.0, 1e-3):
        out.append(f"totals.usable_kw {totals['usable_kw']!r} != {usable_w / 1000.0:g}")
    if totals.get("by_server") != tally.placed:
        out.append(f"totals.by_server {totals.get('by_server')!r} != {tally.placed}")
    return out
