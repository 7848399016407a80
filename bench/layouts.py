"""Generated layouts for benchmarks and demos: a solved layout scaled to a bigger hall.

Pure. `scale_layout(result, k)` turns a result v1 for a hall into the result for the hall with
k times as many racks of each group and k times the demand: every rack keeps its contents, so
the per-rack figures stay and the hall-wide ones multiply. `check_layout` accepts it against
the scaled problem (`scale_problem`), which the benchmark asserts.
"""
import copy


def scale_problem(problem: dict, k: int) -> dict:
    scaled = copy.deepcopy(problem)
    for rack in scaled["rack_types"]:
        rack["count"] = rack.get("count", 1) * k
    for demand in scaled.get("demand", {}).values():
        for key in ("min", "max"):
            if demand.get(key) is not None:
                demand[key] = demand[key] * k
    if scaled.get("hall_power_kw") is not None:
        scaled["hall_power_kw"] = scaled["hall_power_kw"] * k
    return scaled


def scale_layout(result: dict, k: int) -> dict:
    scaled = copy.deepcopy(result)
    for group in scaled["racks"]:
        group["count"] *= k
    for key in ("sessions", "counted_sessions"):
        scaled[key] = {model: n * k for model, n in scaled[key].items()}
    totals = scaled["totals"]
    for key in ("racks", "racks_used", "servers", "u", "sessions"):
        totals[key] *= k
    totals["power_kw"] = round(totals["power_kw"] * k, 3)
    if totals.get("cost_usd") is not None:
        totals["cost_usd"] = totals["cost_usd"] * k
    totals["by_server"] = {name: n * k for name, n in totals["by_server"].items()}
    # Figures added to result v1 later; results stored before them lack them.
    if "usable_u" in totals:
        totals["usable_u"] *= k
    if "usable_kw" in totals:
        totals["usable_kw"] = round(totals["usable_kw"] * k, 3)
    for row in totals.get("by_server_model", []):
        row["servers"] *= k
        row["sessions"] *= k
    for key in ("objective", "bound"):
        if scaled.get(key) is not None:
            scaled[key] = round(scaled[key] * k, 6)
    return scaled
