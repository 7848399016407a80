"""Total cost of ownership of one layout, and what a million output tokens cost on it.

Pure (no Django): reads a problem v1 (its optional `tco` settings and the servers' prices and
power) and a result v1 (which servers serve which model in which racks), and nothing else.

The model, per layout (every figure in USD unless its name says otherwise):

- capex = servers (Σ count × `cost_usd`) + racks (each rack that holds a server costs
  `rack_usd_per_position` + `rack_usd_per_kw` × its provisioned `power_kw`; an optional
  facility cost, 0 by default) + network (`network_usd_per_server` × servers, 0 by default);
- yearly energy = planning power (Σ `power_w` of the placed servers) × `pue` × 8,760 h ×
  `electricity_usd_per_kwh`: the layout draws its planning power all year, the worst case the
  racks are provisioned for;
- yearly maintenance = `maintenance_share_per_year` × capex;
- TCO = capex + `years` × (yearly energy + yearly maintenance), undiscounted;
- output tokens over the life = sessions × token rate × `utilisation` × seconds per year ×
  `years`, where the token rate is each session's SLO (`slo_tps`, else the SLO the problem was
  built for, `x-capacity.slo_tps`, else the capacity default of 10 tokens/s); $ per million
  output tokens = TCO / (tokens / 10⁶);
- tokens/s per MW of facility power = sessions × token rate / (planning kW × `pue` / 1000), at
  full load.

Per model, the costs of a server (its price, network port, energy and their maintenance) go to
the model it serves; the costs of a rack are shared among the models in it by their share of the
rack's planning power. The per-model TCOs add up to the layout's.

When a placed server has no price (`cost_usd` null), the capex and everything built on it are
`None`, with the server named in `unpriced_servers`; energy is still given.
"""

from dataclasses import dataclass
from typing import Any

from planner.capacity.defaults import DEFAULT_SLO_TPS
from planner.solver.costs import (
    HOURS_PER_YEAR,
    TcoSettings,
    energy_kwh_per_year,
    energy_usd_per_year,
    rack_capex_usd,
)

SECONDS_PER_YEAR = HOURS_PER_YEAR * 3600
TOKENS_PER_MILLION = 1_000_000


def settings_of(problem: dict[str, Any]) -> TcoSettings:
    """The TCO settings of a problem v1 (its `tco` object over the defaults)."""
    return TcoSettings.from_dict(problem.get("tco"))


def token_rate_tps(problem: dict[str, Any], settings: TcoSettings) -> float:
    """Output tokens/s one session is planned for (see the module docstring)."""
    if settings.slo_tps is not None:
        return settings.slo_tps
    capacity = problem.get("x-capacity")
    if isinstance(capacity, dict) and capacity.get("slo_tps"):
        return float(capacity["slo_tps"])
    return DEFAULT_SLO_TPS


@dataclass
class _Costs:
    """Money and figures accumulated for the layout or for one model."""

    servers: int = 0
    server_usd: float = 0.0
    rack_usd: float = 0.0
    network_usd: float = 0.0
    power_kw: float = 0.0
    sessions: int = 0

    @property
    def capex_usd(self) -> float:
        return self.server_usd + self.rack_usd + self.network_usd


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def _figures(costs: _Costs, settings: TcoSettings, rate_tps: float, priced: bool) -> dict:
    """Every TCO figure of one accumulation (the layout or one model)."""
    facility_kw = costs.power_kw * settings.pue
    energy_kwh = energy_kwh_per_year(costs.power_kw, settings)
    energy_usd = energy_usd_per_year(costs.power_kw, settings)
    tokens_per_s = costs.sessions * rate_tps
    life_tokens = tokens_per_s * settings.utilisation * SECONDS_PER_YEAR * settings.years
    capex = costs.capex_usd if priced else None
    maintenance = None if capex is None else capex * settings.maintenance_share_per_year
    opex = None if maintenance is None else energy_usd + maintenance
    tco = None if opex is None else capex + settings.years * opex
    per_million = None if tco is None or not life_tokens else tco / (life_tokens / 1e6)
    return {
        "servers": costs.servers,
        "sessions": costs.sessions,
        "capex_usd": _round(capex, 2),
        "capex_servers_usd": _round(costs.server_usd, 2) if priced else None,
        "capex_racks_usd": _round(costs.rack_usd, 2),
        "capex_network_usd": _round(costs.network_usd, 2),
        "power_kw": _round(costs.power_kw, 3),
        "facility_kw": _round(facility_kw, 3),
        "energy_kwh_per_year": _round(energy_kwh, 1),
        "energy_usd_per_year": _round(energy_usd, 2),
        "maintenance_usd_per_year": _round(maintenance, 2),
        "opex_usd_per_year": _round(opex, 2),
        "energy_usd_over_life": _round(energy_usd * settings.years, 2),
        "maintenance_usd_over_life": _round(
            None if maintenance is None else maintenance * settings.years, 2
        ),
        "tco_usd": _round(tco, 2),
        "tokens_per_s": _round(tokens_per_s, 3),
        "tokens_over_life": _round(life_tokens, 0),
        "usd_per_million_tokens": _round(per_million, 6),
        "tokens_per_s_per_mw": (
            _round(tokens_per_s / (facility_kw / 1000.0), 1) if facility_kw else None
        ),
    }


def compute_tco(problem: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """The TCO of `result` (result v1) for `problem` (problem v1); see the module docstring.

    Returns the settings used, the token rate, the layout's figures (`total`), the same per
    model served (`by_model`), the servers without a price, and the layout's cost breakdown over
    the life as `(part, usd)` pairs (`breakdown`, None without prices).
    """
    settings = settings_of(problem)
    rate = token_rate_tps(problem, settings)
    servers = {s["name"]: s for s in problem.get("servers", [])}
    racks = {r["name"]: r for r in problem.get("rack_types", [])}
    total = _Costs()
    by_model: dict[str, _Costs] = {}
    unpriced: set[str] = set()
    for group in result.get("racks") or []:
        count = group["count"]
        lines = group["servers"]
        rack_w = sum(servers[line["server"]]["power_w"] * line["count"] for line in lines)
        rack = racks[group["rack_type"]]
        rack_usd = rack_capex_usd(rack["power_kw"], settings) if lines else 0.0
        for line in lines:
            spec = servers[line["server"]]
            n = line["count"] * count
            line_w = spec["power_w"] * line["count"]
            price = spec.get("cost_usd")
            if price is None:
                unpriced.add(spec["name"])
            for costs in (total, by_model.setdefault(line["model"], _Costs())):
                costs.servers += n
                costs.sessions += line["sessions"] * count
                costs.server_usd += (price or 0.0) * n
                costs.network_usd += settings.network_usd_per_server * n
                costs.power_kw += line_w * count / 1000.0
            # The rack's cost, shared by planning power; added to the total once per rack.
            by_model[line["model"]].rack_usd += rack_usd * count * line_w / rack_w
        total.rack_usd += rack_usd * count
    priced = not unpriced
    figures = _figures(total, settings, rate, priced)
    return {
        "settings": settings.to_dict(),
        "token_rate_tps": rate,
        "total": figures,
        "by_model": {
            model: _figures(costs, settings, rate, priced)
            for model, costs in sorted(by_model.items())
        },
        "unpriced_servers": sorted(unpriced),
        "breakdown": breakdown(figures) if priced else None,
    }


#: The parts a TCO is made of: (label, figure key), in the order the charts and the BOM list them.
COST_PARTS = (
    ("Servers", "capex_servers_usd"),
    ("Racks and facility", "capex_racks_usd"),
    ("Network", "capex_network_usd"),
    ("Energy over the life", "energy_usd_over_life"),
    ("Maintenance over the life", "maintenance_usd_over_life"),
)


def breakdown(figures: dict[str, Any]) -> list[list]:
    """The TCO of one set of figures (layout or model) as [part, USD] pairs that add up to it
    (lists, not tuples, so that the JSON round trip gives the same value back)."""
    return [[label, figures[key]] for label, key in COST_PARTS]
