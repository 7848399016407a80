"""What a layout costs over its life: the cost settings of problem v1 (`tco`) and the price of
one server and of one used rack, for the ``min_tco`` objective, the ``budget_usd`` cap and the
TCO reports (planner/reports/tco.py, docs/tco.md). Pure; one home for every cost rule.

Over ``years`` of life (undiscounted), with maintenance a yearly share of capex:

* a server costs ``(cost_usd + network_usd_per_server) * (1 + years * maintenance)`` plus its
  energy, ``power_w / 1000 * pue * 8,760 h * electricity_usd_per_kwh * years``;
* a rack that holds at least one server costs ``(rack_usd_per_position + rack_usd_per_kw *
  power_kw) * (1 + years * maintenance)``; an empty rack costs nothing.

Under the ``capex`` basis only the purchase counts: ``cost_usd + network_usd_per_server`` and
``rack_usd_per_position + rack_usd_per_kw * power_kw``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

HOURS_PER_YEAR = 8760  # 365 days; the yearly figures are for a constant draw
BUDGET_BASES = ("tco", "capex")


@dataclass(frozen=True)
class TcoSettings:
    """The cost settings of a scenario. Every default is documented (docs/tco.md) with its source.

    The problem v1 and scenario spec v1 JSON Schemas spell out the same defaults; a test checks
    that they agree with these.
    """

    #: US average retail price for industrial customers in 2023, 8.06 ¢/kWh (EIA, as charted
    #: at https://www.statista.com/statistics/190680/).
    electricity_usd_per_kwh: float = 0.0806
    #: Industry average PUE in 2023, 1.58 (Uptime Institute Global Data Center Survey,
    #: https://intelligence.uptimeinstitute.com/resource/large-data-centers-are-mostly-more-efficient-analysis-confirms).
    pue: float = 1.58
    #: The buyer's horizon in the issue ("over three years").
    years: float = 3.0
    #: Hardware maintenance contracts run 10-12 % of the purchase price a year
    #: (https://librarytechnology.org/document/7428); the low end.
    maintenance_share_per_year: float = 0.10
    #: Optional facility cost per rack holding servers, and per kW it is provisioned for.
    rack_usd_per_position: float = 0.0
    rack_usd_per_kw: float = 0.0
    #: Optional network cost per server (ports, optics, its share of the switches).
    network_usd_per_server: float = 0.0
    #: Share of the SLO token rate that is sold on average; 1 = the racks run full all the time.
    utilisation: float = 1.0
    #: Output tokens/s per session; None = the problem's SLO (`x-capacity.slo_tps`) or 10.
    slo_tps: float | None = None

    @classmethod
    def from_dict(cls, settings: dict[str, Any] | None) -> TcoSettings:
        """Settings from a (schema-checked) `tco` object; absent or null fields keep defaults."""
        known = {f.name for f in fields(cls)}
        given = {
            k: (float(v) if v is not None else None)
            for k, v in (settings or {}).items()
            if k in known and (v is not None or k == "slo_tps")
        }
        return replace(cls(), **given)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def energy_kwh_per_year(power_kw: float, settings: TcoSettings) -> float:
    """Facility energy a year of a constant IT draw: ``power_kw * pue * 8,760 h``."""
    return power_kw * settings.pue * HOURS_PER_YEAR


def energy_usd_per_year(power_kw: float, settings: TcoSettings) -> float:
    return energy_kwh_per_year(power_kw, settings) * settings.electricity_usd_per_kwh


def life_factor(settings: TcoSettings) -> float:
    """What one dollar of capex costs over the life: itself plus its yearly maintenance."""
    return 1.0 + settings.years * settings.maintenance_share_per_year


def server_usd(server: Any, settings: TcoSettings, basis: str = "tco") -> float:
    """What one placed server costs (its ``cost_usd`` must be set; see the module docstring)."""
    capex = float(server.cost_usd or 0.0) + settings.network_usd_per_server
    if basis == "capex":
        return capex
    energy = energy_usd_per_year(server.power_w / 1000.0, settings) * settings.years
    return capex * life_factor(settings) + energy


def rack_usd(rack: Any, settings: TcoSettings, basis: str = "tco") -> float:
    """What one rack holding servers costs (facility share; 0 unless rack costs are set)."""
    capex = rack_capex_usd(rack.power_kw, settings)
    return capex if basis == "capex" else capex * life_factor(settings)


def rack_capex_usd(power_kw: float, settings: TcoSettings) -> float:
    """Purchase of one rack holding servers, provisioned for ``power_kw``."""
    return settings.rack_usd_per_position + settings.rack_usd_per_kw * power_kw


def layout_usd(problem: Any, racks: Any, basis: str = "tco") -> float:
    """What a layout (physical racks with ``(server index, model, count)`` items) costs."""
    settings = problem.tco
    total = 0.0
    for rack in racks:
        if not rack.items:
            continue
        total += rack_usd(problem.rack_types[rack.rack_type], settings, basis)
        for s, _, k in rack.items:
            total += k * server_usd(problem.servers[s], settings, basis)
    return total


def rack_costs_matter(problem: Any) -> bool:
    """Whether a used rack costs anything (then the methods need to know which racks are used)."""
    return problem.tco.rack_usd_per_position > 0 or problem.tco.rack_usd_per_kw > 0


def within_budget(problem: Any, racks: Any) -> bool:
    """Whether a layout keeps to ``budget_usd`` (always, without one)."""
    if problem.budget_usd is None:
        return True
    spent = layout_usd(problem, racks, problem.budget_basis)
    return spent <= problem.budget_usd * (1 + 1e-9)
