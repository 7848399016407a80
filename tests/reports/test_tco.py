"""TCO and $ per million tokens (planner/reports/tco.py), against figures worked out by hand."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.reports.tco import TcoSettings, compute_tco, settings_of, token_rate_tps
from planner.solver import PROBLEM_SCHEMA, ProblemError, solve, validate_problem
from planner.solver.examples import STUDY_RACK_PROBLEM

ROOT = Path(__file__).resolve().parents[2]

SETTINGS = {
    "electricity_usd_per_kwh": 0.10,
    "pue": 1.5,
    "years": 3,
    "maintenance_share_per_year": 0.1,
    "rack_usd_per_position": 5000,
    "rack_usd_per_kw": 1000,
    "network_usd_per_server": 500,
    "utilisation": 0.5,
}


def study_rack(price: float | None = 10000, **tco) -> dict:
    problem = json.loads(json.dumps(STUDY_RACK_PROBLEM))
    problem["servers"][0]["cost_usd"] = price
    problem["tco"] = {**SETTINGS, **tco}
    return problem


def test_study_rack_by_hand():
    problem = study_rack()
    result = solve(problem)  # 19 servers, 1,216 sessions of Llama 3.2 1B, 10.963 kW
    assert result["totals"]["servers"] == 19
    tco = compute_tco(problem, result)["total"]
    # capex: 19 x 10,000 servers + (5,000 + 1,000 x 12.5 kW) rack + 19 x 500 network
    assert tco["capex_servers_usd"] == 190_000
    assert tco["capex_racks_usd"] == 17_500
    assert tco["capex_network_usd"] == 9_500
    assert tco["capex_usd"] == 217_000
    # energy: 10.963 kW x 1.5 x 8,760 h = 144,053.82 kWh a year, at $0.10
    assert tco["energy_kwh_per_year"] == pytest.approx(144_053.8, abs=0.1)
    assert tco["energy_usd_per_year"] == pytest.approx(14_405.38)
    assert tco["maintenance_usd_per_year"] == pytest.approx(21_700)
    assert tco["opex_usd_per_year"] == pytest.approx(36_105.38)
    assert tco["tco_usd"] == pytest.approx(217_000 + 3 * 36_105.382, abs=0.01)
    # tokens: 1,216 sessions x 10 tokens/s x 0.5 x 31,536,000 s x 3 years
    assert tco["tokens_per_s"] == 12_160
    assert tco["tokens_over_life"] == 575_216_640_000
    assert tco["usd_per_million_tokens"] == pytest.approx(325_316.146 / 575_216.64, rel=1e-6)
    # 12,160 tokens/s over 10.963 x 1.5 = 16.4445 kW of facility power
    assert tco["tokens_per_s_per_mw"] == pytest.approx(12_160 / 0.0164445, abs=0.1)


def test_breakdown_adds_up_to_the_tco():
    problem = study_rack()
    report = compute_tco(problem, solve(problem))
    assert sum(usd for _, usd in report["breakdown"]) == pytest.approx(report["total"]["tco_usd"])


HAND_RESULT = {
    # Two racks of one group: 2 x (1 cpu serving a, 1 gpu serving b), and one empty rack.
    "racks": [
        {"rack_type": "r", "count": 2, "used_u": 3, "used_kw": 4.0, "free_u": 7, "free_kw": 6,
         "servers": [{"server": "cpu", "model": "a", "count": 1, "sessions": 10},
                     {"server": "gpu", "model": "b", "count": 1, "sessions": 2}]},
        {"rack_type": "r", "count": 1, "used_u": 0, "used_kw": 0.0, "free_u": 10, "free_kw": 10,
         "servers": []},
    ],
}
HAND_PROBLEM = {
    "rack_types": [{"name": "r", "u": 10, "power_kw": 10, "count": 3}],
    "servers": [
        {"name": "cpu", "u": 1, "power_w": 1000, "cost_usd": 1000, "sessions": {"a": 10}},
        {"name": "gpu", "u": 2, "power_w": 3000, "cost_usd": 9000, "sessions": {"b": 2}},
    ],
    "tco": {"electricity_usd_per_kwh": 0.1, "pue": 1.0, "years": 1,
            "maintenance_share_per_year": 0, "rack_usd_per_position": 400, "utilisation": 1,
            "slo_tps": 20},
}


def test_per_model_costs_share_racks_by_power_and_add_up():
    report = compute_tco(HAND_PROBLEM, HAND_RESULT)
    a, b, total = report["by_model"]["a"], report["by_model"]["b"], report["total"]
    # The empty rack costs nothing; each used rack's 400 goes 1/4 to a (1 kW of 4), 3/4 to b.
    assert total["capex_racks_usd"] == 800
    assert a["capex_racks_usd"] == 200 and b["capex_racks_usd"] == 600
    # a: 2 cpus (2,000) + 200; energy 2 kW x 8,760 h x 0.1 = 1,752
    assert a["capex_usd"] == 2200 and a["energy_usd_per_year"] == pytest.approx(1752)
    assert a["tco_usd"] == pytest.approx(2200 + 1752)
    # b: 2 gpus (18,000) + 600; energy 6 kW x 8,760 x 0.1 = 5,256
    assert b["tco_usd"] == pytest.approx(18_600 + 5256)
    assert a["tco_usd"] + b["tco_usd"] == pytest.approx(total["tco_usd"])
    # a serves 20 sessions x 20 tokens/s = 400 tokens/s for a year: 12,614.4 M tokens
    assert a["tokens_per_s"] == 400
    assert a["usd_per_million_tokens"] == pytest.approx(3952 / 12_614.4)
    assert a["tokens_per_s_per_mw"] == pytest.approx(400 / 0.002)
    assert report["token_rate_tps"] == 20


def test_a_server_without_price_leaves_capex_unknown_but_energy_known():
    problem = study_rack(price=None)
    report = compute_tco(problem, solve(problem))
    assert report["unpriced_servers"] == ["ampereone-a192"]
    assert report["total"]["capex_usd"] is None
    assert report["total"]["tco_usd"] is None
    assert report["total"]["usd_per_million_tokens"] is None
    assert report["total"]["energy_usd_per_year"] > 0
    assert report["breakdown"] is None


def test_no_layout_gives_zeros_and_no_cost_per_token():
    report = compute_tco(HAND_PROBLEM, {"racks": []})
    assert report["total"]["tco_usd"] == 0
    assert report["total"]["usd_per_million_tokens"] is None
    assert report["total"]["tokens_per_s_per_mw"] is None


def test_token_rate_comes_from_the_settings_then_the_capacity_slo_then_ten():
    assert token_rate_tps({"tco": {"slo_tps": 5}, "x-capacity": {"slo_tps": 20}},
                          settings_of({"tco": {"slo_tps": 5}})) == 5
    problem = {"x-capacity": {"slo_tps": 20}}
    assert token_rate_tps(problem, settings_of(problem)) == 20
    assert token_rate_tps({}, settings_of({})) == 10


def test_defaults_apply_to_absent_and_null_fields():
    settings = settings_of({"tco": {"pue": None, "years": 5}})
    assert settings.pue == TcoSettings().pue
    assert settings.years == 5


def test_schema_defaults_match_the_settings():
    documented = {
        name: field.get("default")
        for name, field in PROBLEM_SCHEMA["$defs"]["tco"]["properties"].items()
    }
    assert documented == TcoSettings().to_dict()
    doc = (ROOT / "docs" / "tco.md").read_text(encoding="utf-8")
    for name, value in TcoSettings().to_dict().items():
        assert f"`{name}`" in doc
        if value:
            assert f"{value:g}" in doc, name


def test_problem_with_tco_validates_and_rejects_bad_settings():
    validate_problem(study_rack())
    with pytest.raises(ProblemError) as error:
        validate_problem(study_rack(pue=0.9))
    assert "tco.pue" in error.value.errors
    with pytest.raises(ProblemError) as error:
        validate_problem(study_rack(currency="EUR"))
    assert "tco.currency" in error.value.errors


prices = st.floats(min_value=0, max_value=2, allow_nan=False)


@given(low=prices, extra=st.floats(min_value=0, max_value=2), pue=st.floats(1, 3),
       years=st.floats(0.1, 10), share=st.floats(0, 0.5), utilisation=st.floats(0.01, 1))
def test_tco_never_decreases_when_electricity_gets_dearer(low, extra, pue, years, share,
                                                          utilisation):
    settings = {"pue": pue, "years": years, "maintenance_share_per_year": share,
                "utilisation": utilisation}
    cheap = {**HAND_PROBLEM, "tco": {**settings, "electricity_usd_per_kwh": low}}
    dear = {**HAND_PROBLEM, "tco": {**settings, "electricity_usd_per_kwh": low + extra}}
    before = compute_tco(cheap, HAND_RESULT)
    after = compute_tco(dear, HAND_RESULT)
    assert after["total"]["tco_usd"] >= before["total"]["tco_usd"]
    assert after["total"]["usd_per_million_tokens"] >= before["total"]["usd_per_million_tokens"]
    for model in ("a", "b"):
        assert after["by_model"][model]["tco_usd"] >= before["by_model"][model]["tco_usd"]
