"""Energy and carbon helpers, by hand for the seed's 8 x H100 server."""

import pytest

from planner.capacity import (
    co2_kg_per_1000_session_hours,
    co2_kg_per_day,
    energy_figures,
    kwh_per_day,
    sessions_at_slo,
    tokens_per_joule,
    watts_per_session,
)
from tests.capacity.test_seed_study import H100_SERVER, LLAMA_8B


def test_per_session_and_daily_figures():
    assert watts_per_session(6297, 56) == pytest.approx(112.446, rel=1e-4)
    assert watts_per_session(6297, 0) is None
    assert kwh_per_day(6297) == pytest.approx(151.128)
    assert co2_kg_per_day(6297, 400) == pytest.approx(60.4512)
    # 112.45 W for 1,000 h = 112.45 kWh; at 400 g/kWh = 44.98 kg.
    assert co2_kg_per_1000_session_hours(6297, 56, 400) == pytest.approx(44.978, rel=1e-4)
    assert co2_kg_per_1000_session_hours(6297, 0, 400) is None


def test_tokens_per_joule():
    assert tokens_per_joule(56, 10.0, 6297) == pytest.approx(560 / 6297)
    assert tokens_per_joule(0, None, 6297) == 0.0


def test_energy_figures_for_a_result():
    result = sessions_at_slo(H100_SERVER, LLAMA_8B)
    figures = energy_figures(result, H100_SERVER.power_w, 250)
    assert figures["watts_per_session"] == pytest.approx(6297 / 56)
    assert figures["tokens_per_joule"] == pytest.approx(56 * 10 / 6297)
    assert figures["co2_kg_per_day"] == pytest.approx(151.128 * 0.25)


def test_negative_inputs_are_refused():
    with pytest.raises(ValueError):
        kwh_per_day(-1)
    with pytest.raises(ValueError):
        co2_kg_per_day(100, -5)
