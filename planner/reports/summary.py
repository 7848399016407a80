"""Figures a planner reads off one result v1: totals, budgets, energy and rack elevations.

Pure (no Django): the result page, the shared view, the compare page and the benchmark all
read a run through `summarise` and `elevations`, so each figure is computed in one place.
"""

from dataclasses import dataclass, field

from planner import solver

# 1 banana ≈ 100 kcal (the seeds' light touch); 1 kcal = 4184 J, so 100 kcal = 0.1163 kWh.
KWH_PER_BANANA = 0.1163
HOURS_PER_DAY = 24


@dataclass(frozen=True)
class Summary:
    """Hall-wide figures of one layout, against the budgets of the racks it was given."""

    status: str
    objective: float | None
    objective_unit: str | None
    racks: int
    racks_used: int
    servers: int
    sessions: int
    sessions_by_model: dict[str, int]
    servers_by_name: dict[str, int]
    used_u: int
    usable_u: int
    used_kw: float
    usable_kw: float
    hall_power_kw: float | None
    capex_usd: float | None
    energy_kwh_per_day: float
    bananas_per_day: float
    sessions_by_server: dict[str, int] = field(default_factory=dict)
    # The layout's sessions if every estimated figure in it were its typical error off
    # (`sessions_range`); None when no placed figure is an estimate with a range.
    sessions_low: int | None = None
    sessions_high: int | None = None

    @property
    def u_share(self) -> float:
        return self.used_u / self.usable_u if self.usable_u else 0.0

    @property
    def kw_share(self) -> float:
        return self.used_kw / self.usable_kw if self.usable_kw else 0.0

    @property
    def sessions_per_kw(self) -> float | None:
        return self.sessions / self.used_kw if self.used_kw else None

    @property
    def sessions_per_u(self) -> float | None:
        return self.sessions / self.used_u if self.used_u else None

    @property
    def capex_per_session_usd(self) -> float | None:
        if self.capex_usd is None or not self.sessions:
            return None
        return self.capex_usd / self.sessions


def energy_per_day(power_kw: float) -> tuple[float, float]:
    """kWh per day at a constant draw, and the same energy in 100-kcal bananas."""
    kwh = power_kw * HOURS_PER_DAY
    return kwh, kwh / KWH_PER_BANANA


def usable_per_rack_type(problem: dict) -> dict[str, tuple[int, float]]:
    """Rack type name -> (usable U, usable kW) by the solver's own rule (reserve, feeds,
    derating, cooling), for results stored before result v1 carried these figures."""
    parsed = solver.validate_problem(problem)
    return {rack.name: (rack.usable_u, rack.usable_w / 1000.0) for rack in parsed.rack_types}


def hall_usable(problem: dict, result: dict) -> tuple[int, float]:
    """Usable U and kW of the whole hall: the solver's totals, or its rule for older results."""
    totals = result.get("totals") or {}
    if "usable_u" in totals and "usable_kw" in totals:
        return int(totals["usable_u"]), float(totals["usable_kw"])
    usable = usable_per_rack_type(problem)
    counts = {rack["name"]: rack.get("count", 1) for rack in problem.get("rack_types", [])}
    return (
        sum(usable[name][0] * n for name, n in counts.items()),
        sum(usable[name][1] * n for name, n in counts.items()),
    )


def sessions_by_server_model(result: dict) -> list[dict]:
    """The hall's ``{server, model, servers, sessions}`` rows: the solver's, or summed from the
    rack groups for results stored before result v1 carried them."""
    totals = result.get("totals") or {}
    if "by_server_model" in totals:
        return list(totals["by_server_model"])
    rows: dict[tuple[str, str], dict] = {}
    for group in result.get("racks", []):
        for item in group["servers"]:
            row = rows.setdefault(
                (item["server"], item["model"]),
                {"server": item["server"], "model": item["model"], "servers": 0, "sessions": 0},
            )
            row["servers"] += item["count"] * group["count"]
            row["sessions"] += item["sessions"] * group["count"]
    return [rows[key] for key in sorted(rows)]


def sessions_range(problem: dict, result: dict) -> tuple[int, int] | None:
    """The layout's sessions with each estimated figure at the low and at the high end of its
    typical error (`x-capacity` figures carrying `sessions_low` / `sessions_high`), measured
    and study-rule figures as they are; None when no placed figure has a range. Every
    estimate at its low end at once is the cautious reading: the estimates share constants,
    so their errors tend to go the same way."""
    figures = (problem.get("x-capacity") or {}).get("figures") or {}
    low = high = 0
    ranged = False
    for row in sessions_by_server_model(result):
        figure = figures.get(row["server"], {}).get(row["model"], {})
        if figure.get("sessions_low") is None or not figure.get("sessions"):
            low += row["sessions"]
            high += row["sessions"]
            continue
        ranged = True
        low += row["servers"] * figure["sessions_low"]
        high += row["servers"] * figure["sessions_high"]
    return (low, high) if ranged else None


def summarise(problem: dict, result: dict) -> Summary:
    """The totals of `result` (result v1) with the budgets of `problem` (problem v1)."""
    rack_types = {rack["name"]: rack for rack in problem.get("rack_types", [])}
    usable_u, usable_kw = hall_usable(problem, result)
    totals = result.get("totals") or {}
    used_kw = float(totals.get("power_kw") or 0.0)
    kwh, bananas = energy_per_day(used_kw)
    by_server: dict[str, int] = {}
    for row in sessions_by_server_model(result):
        by_server[row["server"]] = by_server.get(row["server"], 0) + row["sessions"]
    spread = sessions_range(problem, result)
    return Summary(
        status=result.get("status", "unknown"),
        objective=result.get("objective"),
        objective_unit=result.get("objective_unit"),
        racks=int(totals.get("racks") or sum(r.get("count", 1) for r in rack_types.values())),
        racks_used=int(totals.get("racks_used") or 0),
        servers=int(totals.get("servers") or 0),
        sessions=int(totals.get("sessions") or 0),
        sessions_by_model=dict(result.get("sessions") or {}),
        servers_by_name=dict(totals.get("by_server") or {}),
        used_u=int(totals.get("u") or 0),
        usable_u=usable_u,
        used_kw=used_kw,
        usable_kw=round(usable_kw, 6),
        hall_power_kw=problem.get("hall_power_kw"),
        capex_usd=totals.get("cost_usd"),
        energy_kwh_per_day=kwh,
        bananas_per_day=bananas,
        sessions_by_server=by_server,
        sessions_low=spread[0] if spread else None,
        sessions_high=spread[1] if spread else None,
    )


@dataclass(frozen=True)
class Slot:
    """A run of rack units in an elevation, top to bottom: servers, reserved or free."""

    kind: str  # "server", "reserved" or "free"
    u: int
    label: str
    server: str = ""
    model: str = ""
    colour: str = ""
    model_pattern: str = ""
    model_number: int = 0


@dataclass(frozen=True)
class Elevation:
    rack_type: str
    count: int
    u_height: int
    reserved_u: int
    reserved_kw: float
    used_u: int
    used_kw: float
    free_u: int
    free_kw: float
    usable_kw: float
    slots: list[Slot]


#: Models are told apart by a black-and-white hatch in the slot's left band, a channel of its own
#: (server colours stay hues); past eight models the band also carries the model's number.
MODEL_PATTERNS = ("diagonal", "dots", "cross", "vertical", "horizontal", "grid", "back", "solid")


def model_patterns(result: dict) -> dict[str, dict]:
    """Per model the layout serves (result order): its hatch and its 1-based number."""
    served = [model for model, n in (result.get("sessions") or {}).items() if n]
    return {
        model: {"pattern": MODEL_PATTERNS[i % len(MODEL_PATTERNS)], "number": i + 1}
        for i, model in enumerate(served)
    }


def elevations(problem: dict, result: dict, colours: dict[str, str]) -> list[Elevation]:
    """One elevation per distinct rack group with servers; each placed server is one slot.

    Reserved U sit at the top of the rack (switches, patch panels), servers fill from the
    bottom as they are usually racked, and the free U lie in between.
    """
    rack_types = {rack["name"]: rack for rack in problem.get("rack_types", [])}
    server_u = {server["name"]: server["u"] for server in problem.get("servers", [])}
    older = None if all("usable_kw" in g for g in result.get("racks", [])) else (
        usable_per_rack_type(problem)
    )
    stripes = model_patterns(result)
    drawn = []
    for group in result.get("racks", []):
        if not group["count"] or not group["servers"]:
            continue  # unused racks are counted in the totals, not drawn
        rack = rack_types[group["rack_type"]]
        reserved_u = rack.get("reserved_u", 0)
        servers = []
        for item in group["servers"]:
            per_server = item["sessions"] // item["count"] if item["count"] else 0
            for _ in range(item["count"]):
                servers.append(
                    Slot(
                        kind="server",
                        u=server_u.get(item["server"], 1),
                        label=f"{item['server']} · {item['model']} · {per_server} sessions",
                        server=item["server"],
                        model=item["model"],
                        colour=colours.get(item["server"], "#7F7F7F"),
                        model_pattern=stripes.get(item["model"], {}).get("pattern", "solid"),
                        model_number=stripes.get(item["model"], {}).get("number", 0),
                    )
                )
        slots = []
        if reserved_u:
            slots.append(Slot(kind="reserved", u=reserved_u, label=f"reserved {reserved_u}U"))
        if group["free_u"]:
            slots.append(Slot(kind="free", u=group["free_u"], label=f"free {group['free_u']}U"))
        slots.extend(reversed(servers))
        drawn.append(
            Elevation(
                rack_type=group["rack_type"],
                count=group["count"],
                u_height=rack["u"],
                reserved_u=reserved_u,
                reserved_kw=rack.get("reserved_kw", 0.0),
                used_u=group["used_u"],
                used_kw=group["used_kw"],
                free_u=group["free_u"],
                free_kw=group["free_kw"],
                usable_kw=(
                    group["usable_kw"] if older is None else older[group["rack_type"]][1]
                ),
                slots=slots,
            )
        )
    return drawn


def power_trains(result: dict) -> list[dict]:
    """Per power train of a result with ``power_trains`` (empty list without): its number
    (1-based), racks and racks with servers on it, the kW its servers draw, sessions per model on
    it and what each model keeps after losing it. Read off the rack groups' ``trains`` split."""
    k_trains = result.get("power_trains")
    groups = result.get("racks") or []
    if not k_trains or not all(isinstance(g.get("trains"), list) for g in groups):
        return []
    served = result.get("sessions") or {}
    rows = [
        {"train": k + 1, "racks": 0, "racks_used": 0, "used_kw": 0.0, "sessions": {}}
        for k in range(k_trains)
    ]
    for group in groups:
        for k, count in enumerate(group["trains"]):
            row = rows[k]
            row["racks"] += count
            row["racks_used"] += count if group["servers"] else 0
            row["used_kw"] += count * group["used_kw"]
            for line in group["servers"]:
                row["sessions"][line["model"]] = (
                    row["sessions"].get(line["model"], 0) + count * line["sessions"]
                )
    for row in rows:
        row["used_kw"] = round(row["used_kw"], 3)
        row["left"] = {m: n - row["sessions"].get(m, 0) for m, n in served.items() if n}
    return rows
