"""The seed rack study (Ampere, "LLMs: Bigger is Not Always Better", 2024), recomputed from
catalog rows by the solver.

For each server × model the study asks: how many concurrent sessions at ≥ 10 tokens/s fit in
one rack? Sessions per server come from the catalog's performance profiles; how many servers
fit comes from solving a problem v1 under the rack's U and kW budget less what is reserved.
"""
from dataclasses import dataclass, field

from inventory.models import ModelClass, RackType, ServerModel
from inventory.seed import seed_data
from planner import solver
from planner.bridge.problems import (
    RackUsable,
    profile_sessions,
    rack_usable,
    single_model_problem,
)


@dataclass(frozen=True)
class StudyCell:
    server: str
    model: str
    sessions_per_server: int | None
    servers_per_rack: int
    sessions_per_rack: int
    binding: str
    basis: str
    source: str
    used_u: int = 0
    used_kw: float = 0.0


@dataclass
class StudyTable:
    rack: RackType
    servers: list[ServerModel]
    models: list[ModelClass]
    precision_bits: int
    slo_tps: float
    usable: RackUsable
    cells: list[StudyCell] = field(default_factory=list)

    def cell(self, server: str, model: str) -> StudyCell:
        return next(c for c in self.cells if c.server == server and c.model == model)


def binding_limit(server: ServerModel, free_u: int, free_kw: float) -> str:
    """Which budget stops one more server in a rack with this much left: 'power', 'space',
    or 'power and space'. The free U and kW are the solver's (after reserve, feeds, derating
    and cooling), so the rule that sets them lives in the solver alone."""
    over_power = server.power_w > free_kw * 1000 + 1e-6
    over_space = server.u_height > free_u
    if over_power and over_space:
        return "power and space"
    return "power" if over_power else "space"


def seed_study() -> StudyTable:
    """Solve every cell of the seed study from the catalog as it is now."""
    spec = seed_data()["study"]
    rack = RackType.objects.get(name=spec["rack_type"])
    servers_by_name = ServerModel.objects.in_bulk(spec["server_models"], field_name="name")
    models_by_name = ModelClass.objects.in_bulk(spec["model_classes"], field_name="name")
    table = StudyTable(
        rack=rack,
        servers=[servers_by_name[name] for name in spec["server_models"]],
        models=[models_by_name[name] for name in spec["model_classes"]],
        precision_bits=spec["precision_bits"],
        slo_tps=float(spec["slo_tps"]),
        usable=rack_usable(rack),
    )
    for server in table.servers:
        profiles = profile_sessions(server, table.models, table.precision_bits, table.slo_tps)
        for model in table.models:
            table.cells.append(_solve_cell(rack, server, model, profiles.get(model.name)))
    return table


def _solve_cell(rack: RackType, server: ServerModel, model: ModelClass, profile) -> StudyCell:
    if profile is None or profile.sessions_at_slo == 0:
        return StudyCell(
            server=server.name,
            model=model.name,
            sessions_per_server=0 if profile else None,
            servers_per_rack=0,
            sessions_per_rack=0,
            binding="cannot serve at the SLO" if profile else "no profile in the catalog",
            basis=profile.get_basis_display() if profile else "",
            source=profile.source if profile else "",
        )
    result = solver.solve(single_model_problem(rack, server, model, profile.sessions_at_slo))
    if not solver.has_layout(result):
        raise RuntimeError(f"seed study cell {server} × {model}: {result}")
    servers = sum(
        group["count"] * placed["count"]
        for group in result["racks"]
        for placed in group["servers"]
    )
    filled = [group for group in result["racks"] if group["servers"]]
    used_u = sum(group["used_u"] for group in filled)
    used_kw = round(sum(group["used_kw"] for group in filled), 3)
    return StudyCell(
        server=server.name,
        model=model.name,
        sessions_per_server=profile.sessions_at_slo,
        servers_per_rack=servers,
        sessions_per_rack=int(result["sessions"].get(model.name, 0)),
        binding=(
            binding_limit(server, filled[0]["free_u"], filled[0]["free_kw"])
            if filled
            else "does not fit the rack"
        ),
        basis=profile.get_basis_display(),
        source=profile.source,
        used_u=used_u,
        used_kw=used_kw,
    )
