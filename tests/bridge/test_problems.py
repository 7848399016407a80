"""A scenario's capacity settings reach the solver: a higher SLO or a lower precision changes
which servers the optimal rack holds (batched policy, documented default efficiencies)."""
import pytest

from planner import solver
from planner.bridge.problems import build_problem

SPEC = {
    "rack_types": [{"rack_type": "std-42u"}],
    "servers": [
        {"server_model": "ampereone-a192"},
        {"server_model": "8x-l40s"},
        {"server_model": "8x-h100-sxm"},
    ],
    "capacity_policy": "batched",
}


def solve_spec(spec: dict) -> tuple[dict[str, int], int, dict]:
    problem = build_problem(spec)
    result = solver.solve(solver.validate_problem(problem))
    assert result["status"] == "optimal"
    layout: dict[str, int] = {}
    for group in result["racks"]:
        for placed in group["servers"]:
            layout[placed["server"]] = layout.get(placed["server"], 0) + placed["count"]
    per_server = {s["name"]: s["sessions"] for s in problem["servers"]}
    return layout, sum(result["sessions"].values()), per_server


@pytest.mark.django_db
def test_slo_10_to_20_changes_the_layout(seed_catalog):
    spec = {**SPEC, "models": [{"model_class": "llama-3.1-70b"}], "precision_bits": 8}
    at_10, sessions_10, per_server_10 = solve_spec({**spec, "slo_tps": 10})
    at_20, sessions_20, per_server_20 = solve_spec({**spec, "slo_tps": 20})
    # Twice the rate per session: fewer sessions per L40S server (bandwidth binds), while
    # the H100 server stays bound by memory, so H100 becomes worth its 6.3 kW.
    assert per_server_20["8x-l40s"]["llama-3.1-70b"] < per_server_10["8x-l40s"]["llama-3.1-70b"]
    assert per_server_20["8x-h100-sxm"] == per_server_10["8x-h100-sxm"]
    assert set(at_10) == {"8x-l40s"}
    assert "8x-h100-sxm" in at_20
    assert sessions_20 < sessions_10


@pytest.mark.django_db
def test_precision_8_to_4_changes_the_layout(seed_catalog):
    spec = {**SPEC, "models": [{"model_class": "llama-3.1-8b"}], "slo_tps": 20}
    at_8, sessions_8, per_server_8 = solve_spec({**spec, "precision_bits": 8})
    at_4, sessions_4, per_server_4 = solve_spec({**spec, "precision_bits": 4})
    # Halving the weight bytes lets the CPU server reach 20 tok/s for a few sessions, and the
    # solver fills the power left over with them.
    assert "llama-3.1-8b" not in per_server_8["ampereone-a192"]
    assert per_server_4["ampereone-a192"]["llama-3.1-8b"] > 0
    assert "ampereone-a192" not in at_8
    assert at_4.get("ampereone-a192", 0) > 0
    assert sessions_4 > sessions_8


@pytest.mark.django_db
def test_catalog_usable_figures_are_the_solvers(seed_catalog):
    """The catalog pages show RackType.usable_kw (the catalog cannot import the solver); it
    must say what the solver enforces for every rack type, 2N, derated and cooled ones too."""
    from inventory.models import RackType
    from planner.bridge.problems import rack_usable

    for rack in RackType.objects.all():
        usable = rack_usable(rack)
        assert (rack.usable_u, round(rack.usable_kw, 3)) == (usable.usable_u, usable.usable_kw)
