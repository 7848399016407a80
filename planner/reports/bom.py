"""Bill of materials of a solved run: pure (plain dicts in, plain dicts / pandas out, no Django).

The figures per server come from the problem the run solved (its snapshot), so a BOM never
changes when the catalog does. Its parts:

- `servers`: per server SKU placed: count, U and W each and in total, kW, price each and in
  total (null when the SKU has no price), and sessions per model;
- `rack_groups`: per group of identical racks (as the solver groups them): rack type, number of
  racks, and per server line of one rack: SKU, model, servers per rack and in total, sessions;
- `totals`: racks, racks used, servers, U, kW, price (null if any placed SKU has no price),
  sessions per model and in total, accelerators in total and per accelerator type;
- `tco`: the total cost of ownership and $ per million tokens of the layout and per model, with
  the settings used (`planner/reports/tco.py`, docs/tco.md);
- `settings`: the scenario's settings the run solved with (`{"setting", "value"}` rows);
- `placement`: rack by rack, each server's rack group, rack index, U position and model.

With power trains (result v1 `power_trains`), each rack group also carries `racks_per_train` (a
list, one count per train; the tables get one `racks on train k` column per train) and each
placement row its `power_train` (1-based: a group's racks take the trains in order).

Servers carry their accelerator and its count per server (`x-accelerator` on the problem's
server entry, written by planner.bridge.problems).
"""
import io
import zipfile
from typing import Any

import pandas as pd

from planner.reports.summary import usable_per_rack_type
from planner.reports.tco import compute_tco

FORMAT_VERSION = 1


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def placement(problem: dict[str, Any], result: dict[str, Any]) -> list[dict[str, Any]]:
    """Rack by rack, each server's position: rack group, rack index (1-based, over the hall),
    index within its group, server, model, bottom and top U (U 1 is the bottom of the rack).

    Servers fill each rack from the bottom in the group's order, as the elevations draw them;
    the reserved U sit at the top. Racks without servers get no rows.
    """
    server_u = {server["name"]: server["u"] for server in problem.get("servers", [])}
    rows: list[dict[str, Any]] = []
    index = 0
    for number, group in enumerate(result.get("racks") or [], start=1):
        slots = []
        bottom = 1
        for line in group["servers"]:
            height = server_u.get(line["server"], 1)
            per_server = line["sessions"] // line["count"] if line["count"] else 0
            for _ in range(line["count"]):
                slots.append((line["server"], line["model"], bottom, bottom + height - 1,
                              per_server))
                bottom += height
        trains = [k + 1 for k, n in enumerate(group.get("trains") or []) for _ in range(n)]
        for in_group in range(1, group["count"] + 1):
            index += 1
            for server, model, low, high, sessions in slots:
                rows.append(
                    {
                        "rack_group": number,
                        "rack_type": group["rack_type"],
                        "rack_index": index,
                        "rack_in_group": in_group,
                        "server": server,
                        "model": model,
                        "u_bottom": low,
                        "u_top": high,
                        "sessions": sessions,
                    }
                )
                if trains:
                    rows[-1]["power_train"] = trains[in_group - 1]
    return rows


def rack_usable(problem: dict[str, Any], result: dict[str, Any]) -> dict[str, tuple[int, float]]:
    """Rack type -> (usable U, usable kW) per rack as the solver allowed them."""
    groups = result.get("racks") or []
    if all("usable_kw" in group for group in groups):
        return {g["rack_type"]: (g["usable_u"], g["usable_kw"]) for g in groups}
    return usable_per_rack_type(problem)


def build_bom(
    problem: dict[str, Any],
    result: dict[str, Any],
    settings: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The BOM of `result` (result v1) for `problem` (problem v1). Empty without a layout.

    `settings` (label -> value, planner.reports.inputs) are the scenario's settings the run
    solved with; they travel with the BOM so a buyer sees what it was sized for.
    """
    specs = {server["name"]: server for server in problem.get("servers", [])}
    placed: dict[str, dict[str, int]] = {}  # server -> model -> servers
    sessions: dict[str, dict[str, int]] = {}  # server -> model -> sessions
    groups = []
    usable = rack_usable(problem, result)
    for group in result.get("racks") or []:
        racks = group["count"]
        lines = []
        for line in group["servers"]:
            name, model = line["server"], line["model"]
            placed.setdefault(name, {}).setdefault(model, 0)
            placed[name][model] += line["count"] * racks
            sessions.setdefault(name, {}).setdefault(model, 0)
            sessions[name][model] += line["sessions"] * racks
            lines.append(
                {
                    "server": name,
                    "model": model,
                    "servers_per_rack": line["count"],
                    "servers": line["count"] * racks,
                    "sessions_per_rack": line["sessions"],
                    "sessions": line["sessions"] * racks,
                }
            )
        groups.append(
            {
                "rack_type": group["rack_type"],
                "racks": racks,
                "used_u_per_rack": group["used_u"],
                "used_kw_per_rack": group["used_kw"],
                "free_u_per_rack": group["free_u"],
                "free_kw_per_rack": group["free_kw"],
                "usable_u_per_rack": usable[group["rack_type"]][0],
                "usable_kw_per_rack": usable[group["rack_type"]][1],
                "lines": lines,
            }
        )
        if "trains" in group:
            groups[-1]["racks_per_train"] = list(group["trains"])
    servers = []
    for name in [s["name"] for s in problem.get("servers", [])]:
        if name not in placed:
            continue
        spec = specs[name]
        count = sum(placed[name].values())
        price = spec.get("cost_usd")
        accelerator = spec.get("x-accelerator") or {}
        each = accelerator.get("count")
        servers.append(
            {
                "server": name,
                "count": count,
                "accelerator": accelerator.get("name"),
                "accelerators_each": each,
                "accelerators": None if each is None else each * count,
                "u_each": spec["u"],
                "u": spec["u"] * count,
                "power_w_each": spec["power_w"],
                "kw": _round(spec["power_w"] * count / 1000.0),
                "price_usd_each": price,
                "price_usd": None if price is None else round(price * count, 2),
                "sessions": dict(sorted(sessions[name].items())),
            }
        )
    by_model: dict[str, int] = {}
    for per_model in sessions.values():
        for model, n in per_model.items():
            by_model[model] = by_model.get(model, 0) + n
    prices = [s["price_usd"] for s in servers]
    accelerators: dict[str, int] = {}
    for server in servers:
        if server["accelerator"] is not None and server["accelerators"] is not None:
            accelerators[server["accelerator"]] = (
                accelerators.get(server["accelerator"], 0) + server["accelerators"]
            )
    totals = {
        "racks": sum(g["racks"] for g in groups),
        "racks_used": sum(g["racks"] for g in groups if g["lines"]),
        "servers": sum(s["count"] for s in servers),
        "u": sum(s["u"] for s in servers),
        "kw": _round(sum(s["power_w_each"] * s["count"] for s in servers) / 1000.0),
        "price_usd": None if None in prices else round(sum(prices), 2),
        "sessions": sum(by_model.values()),
        "sessions_by_model": dict(sorted(by_model.items())),
        "accelerators": sum(accelerators.values()),
        "accelerators_by_type": dict(sorted(accelerators.items())),
    }
    return {
        "version": FORMAT_VERSION,
        "status": result.get("status"),
        "objective": result.get("objective"),
        "objective_unit": result.get("objective_unit"),
        "servers": servers,
        "rack_groups": groups,
        "totals": totals,
        "tco": compute_tco(problem, result),
        "settings": [{"setting": k, "value": v} for k, v in (settings or {}).items()],
        "placement": placement(problem, result),
    }


def tco_frame(tco: dict[str, Any]) -> pd.DataFrame:
    """The TCO lines: one row for the layout (`scope` "layout"), then one per model."""
    rows = [{"scope": "layout", **tco["total"]}]
    rows += [{"scope": model, **figures} for model, figures in tco["by_model"].items()]
    return pd.DataFrame(rows, columns=["scope", *tco["total"]])


def bom_frames(bom: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The BOM as four tables (one sheet each in XLSX): servers, rack groups, totals, TCO.

    Sessions per model become one `sessions <model>` column per model.
    """
    models = sorted(bom["totals"]["sessions_by_model"])
    server_rows = []
    for server in bom["servers"]:
        row = {k: v for k, v in server.items() if k != "sessions"}
        row.update({f"sessions {m}": server["sessions"].get(m, 0) for m in models})
        server_rows.append(row)
    server_columns = [
        "server", "count", "accelerator", "accelerators_each", "accelerators", "u_each", "u",
        "power_w_each", "kw", "price_usd_each", "price_usd", *[f"sessions {m}" for m in models],
    ]
    group_rows = []
    k_trains = max((len(g.get("racks_per_train") or []) for g in bom["rack_groups"]), default=0)
    train_columns = [f"racks on train {k + 1}" for k in range(k_trains)]
    for i, group in enumerate(bom["rack_groups"], start=1):
        base = {k: v for k, v in group.items() if k not in ("lines", "racks_per_train")}
        base.update(zip(train_columns, group.get("racks_per_train") or [], strict=False))
        for line in group["lines"] or [None]:
            group_rows.append({"group": i, **base, **(line or {})})
    group_columns = [
        "group", "rack_type", "racks", "used_u_per_rack", "used_kw_per_rack", "free_u_per_rack",
        "free_kw_per_rack", "usable_u_per_rack", "usable_kw_per_rack", *train_columns, "server",
        "model",
        "servers_per_rack", "servers",
        "sessions_per_rack", "sessions",
    ]
    nested = {"sessions_by_model", "accelerators_by_type"}
    totals = {k: v for k, v in bom["totals"].items() if k not in nested}
    totals.update({f"sessions {m}": n for m, n in bom["totals"]["sessions_by_model"].items()})
    totals.update(
        {f"accelerators {a}": n for a, n in bom["totals"].get("accelerators_by_type", {}).items()}
    )
    return {
        "servers": pd.DataFrame(server_rows, columns=server_columns),
        "rack_groups": pd.DataFrame(group_rows, columns=group_columns),
        "totals": pd.DataFrame([totals]),
        "tco": tco_frame(bom["tco"]),
    }


#: The tidy tables of a BOM export (one CSV each in the zip, one sheet each in XLSX).
PLACEMENT_COLUMNS = [
    "rack_group", "rack_type", "rack_index", "rack_in_group", "server", "model", "u_bottom",
    "u_top", "sessions",
]


def _placement_columns(bom: dict[str, Any]) -> list[str]:
    """:data:`PLACEMENT_COLUMNS`, and ``power_train`` when the layout has power trains."""
    rows = bom.get("placement") or []
    return PLACEMENT_COLUMNS + (["power_train"] if rows and "power_train" in rows[0] else [])


def export_frames(bom: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Every table of the BOM: servers, rack_groups, totals, placement, settings."""
    return {
        **bom_frames(bom),
        "placement": pd.DataFrame(bom.get("placement", []), columns=_placement_columns(bom)),
        "settings": pd.DataFrame(bom.get("settings", []), columns=["setting", "value"]),
    }


def bom_zip(bom: dict[str, Any]) -> bytes:
    """A zip of tidy CSV files, one per table (servers.csv, rack_groups.csv, ...)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, frame in export_frames(bom).items():
            archive.writestr(f"{name}.csv", frame.to_csv(index=False))
    return buffer.getvalue()


def bom_csv(bom: dict[str, Any]) -> str:
    """One CSV: the servers, rack groups and totals stacked, told apart by the first column
    `section` (kept for existing links; `bom_zip` has every table as a tidy file)."""
    frames = bom_frames(bom)
    stacked = pd.concat(
        # Object columns keep counts as integers: stacking float NaN gaps would print "57.0".
        [frame.astype(object).assign(section=name) for name, frame in frames.items()],
        ignore_index=True,
    )
    columns = ["section", *[c for c in stacked.columns if c != "section"]]
    return stacked[columns].to_csv(index=False)


def bom_xlsx(bom: dict[str, Any]) -> bytes:
    """An XLSX workbook, one sheet per table (servers, rack_groups, totals, tco, placement,
    settings), each with its header row frozen."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in export_frames(bom).items():
            frame.to_excel(writer, sheet_name=name, index=False, freeze_panes=(1, 0))
    return buffer.getvalue()
