"""Energy and carbon figures derived from a server's power and its session capacity.

All at full load: the server draws `power_w` continuously (the seed study's roll-up figures are
"under load"), which is the planning case; idle power would only lower these figures.
"""

from __future__ import annotations

from planner.capacity.specs import CapacityResult

HOURS_PER_DAY = 24.0


def _check(power_w: float, grid_g_per_kwh: float | None = None) -> None:
    if power_w < 0:
        raise ValueError("power_w must be >= 0")
    if grid_g_per_kwh is not None and grid_g_per_kwh < 0:
        raise ValueError("grid carbon intensity must be >= 0")


def watts_per_session(power_w: float, sessions: int) -> float | None:
    """Server power shared by its sessions; None when the server serves none."""
    _check(power_w)
    return power_w / sessions if sessions > 0 else None


def tokens_per_joule(sessions: int, per_session_tps: float | None, power_w: float) -> float:
    """Generated tokens per joule: sessions x tokens/s per session / watts."""
    _check(power_w)
    if sessions <= 0 or not per_session_tps or power_w == 0:
        return 0.0
    return sessions * per_session_tps / power_w


def kwh_per_day(power_w: float) -> float:
    """Energy a server uses in a day at full load, kWh."""
    _check(power_w)
    return power_w * HOURS_PER_DAY / 1000.0


def co2_kg_per_day(power_w: float, grid_g_per_kwh: float) -> float:
    """CO2 from a day at full load on a grid emitting `grid_g_per_kwh` g CO2 per kWh."""
    _check(power_w, grid_g_per_kwh)
    return kwh_per_day(power_w) * grid_g_per_kwh / 1000.0


def co2_kg_per_1000_session_hours(
    power_w: float, sessions: int, grid_g_per_kwh: float
) -> float | None:
    """CO2 for 1,000 hours of one session: (W / sessions) x 1,000 h -> kWh -> kg CO2."""
    _check(power_w, grid_g_per_kwh)
    per_session = watts_per_session(power_w, sessions)
    if per_session is None:
        return None
    # P watts for 1,000 hours is 1,000 x P Wh, i.e. P kWh: the wattage reads as kWh directly.
    kwh = per_session
    return kwh * grid_g_per_kwh / 1000.0


#: The figures `energy_figures` returns, in order (the API documents them by this list).
ENERGY_FIGURES = (
    "watts_per_session",
    "tokens_per_joule",
    "kwh_per_day",
    "co2_kg_per_day",
    "co2_kg_per_1000_session_hours",
)


def energy_figures(
    result: CapacityResult, power_w: float, grid_g_per_kwh: float
) -> dict[str, float | None]:
    """All the energy figures for one capacity result, as plain JSON-ready numbers."""
    return {
        "watts_per_session": watts_per_session(power_w, result.sessions),
        "tokens_per_joule": tokens_per_joule(result.sessions, result.per_session_tps, power_w),
        "kwh_per_day": kwh_per_day(power_w),
        "co2_kg_per_day": co2_kg_per_day(power_w, grid_g_per_kwh),
        "co2_kg_per_1000_session_hours": co2_kg_per_1000_session_hours(
            power_w, result.sessions, grid_g_per_kwh
        ),
    }
