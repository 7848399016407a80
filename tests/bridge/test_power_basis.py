"""A scenario plans server power on nameplate or on typical draw plus headroom, labelled."""
import pytest

from inventory.models import ServerModel
from planner.bridge.problems import ScenarioSpecError, build_problem

SPEC = {
    "rack_types": [{"rack_type": "std-42u"}],
    "servers": [{"server_model": "dgx-h100"}, {"server_model": "dgx-b200"}],
    "models": [{"model_class": "llama-3.1-8b"}],
}


def planned(problem: dict) -> dict[str, float]:
    return {s["name"]: s["power_w"] for s in problem["servers"]}


@pytest.mark.django_db
def test_nameplate_is_the_default(seed_catalog):
    problem = build_problem(SPEC)
    assert planned(problem) == {"dgx-h100": 10200, "dgx-b200": 14300}
    assert problem["x-power"]["servers"]["dgx-h100"]["basis"] == "nameplate"


@pytest.mark.django_db
def test_typical_draw_plus_headroom_where_published(seed_catalog):
    problem = build_problem({**SPEC, "power_basis": "typical", "power_headroom_pct": 10})
    assert planned(problem)["dgx-h100"] == pytest.approx(8400 * 1.10)
    assert planned(problem)["dgx-b200"] == 14300  # no typical figure: nameplate, labelled
    labels = {name: f["basis"] for name, f in problem["x-power"]["servers"].items()}
    assert labels == {"dgx-h100": "typical + 10 %", "dgx-b200": "nameplate (no typical figure)"}


@pytest.mark.django_db
def test_headroom_never_plans_above_nameplate(seed_catalog):
    server = ServerModel.objects.get(name="dgx-h100")
    assert server.planning_power_w("typical", 50) == (10200, "typical + 50 % (capped at nameplate)")


@pytest.mark.django_db
def test_bad_power_settings_are_field_errors(seed_catalog):
    with pytest.raises(ScenarioSpecError) as refused:
        build_problem({**SPEC, "power_basis": "guess", "power_headroom_pct": -1})
    assert {"power_basis", "power_headroom_pct"} <= set(refused.value.errors)
