"""Catalog rack classes and rack-scale systems in problems: liquid cooling, 2N feeds, derating
and weight limits reach the solver, and what problem v1 cannot express is refused."""
import pytest

from inventory.models import RackType, ServerModel
from planner.bridge.problems import ScenarioSpecError, build_problem
from planner.solver import solve


@pytest.mark.django_db
def test_rack_scale_systems_fit_only_the_nvl72_rack(seed_catalog):
    rack = RackType.objects.get(name="nvl72-rack")
    for name in ("gb200-nvl72", "gb300-nvl72"):
        system = ServerModel.objects.get(name=name)
        assert system.accelerator_count == 72 and system.cooling == "liquid"
        assert system.u_height <= rack.usable_u
        assert system.power_w <= rack.usable_kw * 1000
        assert 1300 <= system.weight_kg <= 1400
    spec = {
        "rack_types": [{"rack_type": "48u-30kw-2n"}],
        "servers": [{"server_model": "gb200-nvl72"}],
        "models": [{"model_class": "llama-3.1-405b"}],
    }
    with pytest.raises(ScenarioSpecError) as refused:
        build_problem(spec)
    assert "liquid-cooled" in str(refused.value.errors["servers[0].server_model"])
    spec["rack_types"] = [{"rack_type": "nvl72-rack", "count": 2}]
    result = solve(build_problem(spec))
    assert result["status"] == "optimal"
    assert result["totals"]["servers"] == 2


@pytest.mark.django_db
def test_a_2n_derated_rack_type_is_solved_with_its_limits(seed_catalog):
    rack = RackType.objects.get(name="48u-30kw-2n")
    assert rack.usable_kw == pytest.approx(29.0)  # 75 x 1/2 x 80 % - 1 reserved
    spec = {
        "rack_types": [{"rack_type": "48u-30kw-2n"}],
        "servers": [{"server_model": "dgx-b200"}],
        "models": [{"model_class": "llama-3.1-8b"}],
    }
    problem = build_problem(spec)
    entry = problem["rack_types"][0]
    assert (entry["feeds"], entry["derating_pct"], entry["power_kw"]) == ("2N", 80, 75.0)
    result = solve(problem)
    # 14.3 kW each: two fit in 29 kW; without 2N and derating (74 kW) five would fit by power
    # and four by height (46U).
    assert result["totals"]["servers"] == 2


@pytest.mark.django_db
def test_a_weight_limit_needs_every_server_weight(seed_catalog):
    spec = {
        "rack_types": [{"rack_type": "48u-30kw-2n-1361kg"}],
        "servers": [{"server_model": "dgx-b200"}, {"server_model": "2x-xeon-6980p"}],
        "models": [{"model_class": "llama-3.1-8b"}],
    }
    with pytest.raises(ScenarioSpecError) as refused:
        build_problem(spec)
    assert "servers[1].server_model" in refused.value.errors
    spec["servers"] = spec["servers"][:1]
    problem = build_problem(spec)
    assert problem["rack_types"][0]["max_weight_kg"] == 1361
    assert problem["servers"][0]["weight_kg"] == 142.4
