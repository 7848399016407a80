"""A run's progress in a planner's words: objective and bound in the objective's unit, the gap
as a percentage with what it means, elapsed and remaining budget. Pure."""

from typing import Any

#: How each objective's figures read (the solver reports W for power; pages show kW).
UNITS = {
    "max_sessions": ("sessions", 1.0, 0),
    "min_power": ("kW", 1000.0, 2),
    "min_cost": ("USD", 1.0, 0),
    "min_racks": ("racks", 1.0, 0),
}
MAXIMISING = {"max_sessions"}


def amount(objective: str, value: float | None) -> str | None:
    """A raw objective value (solver units) as text in the page's unit: '1,975.33 kW'."""
    if value is None:
        return None
    unit, scale, digits = UNITS.get(objective, ("", 1.0, 2))
    number = value / scale
    if unit == "USD":
        return f"${number:,.0f}"
    return f"{number:,.{digits}f} {unit}"


def describe_progress(
    objective: str,
    progress: dict[str, Any],
    *,
    time_limit_s: float | None,
    elapsed_s: float | None,
    finished: bool,
) -> dict[str, Any]:
    """`best`, `bound` (text), `gap_pct`, `gap_text` (one sentence), `remaining_s`."""
    best, bound = progress.get("incumbent"), progress.get("bound")
    out: dict[str, Any] = {
        "best": amount(objective, best),
        "bound": amount(objective, bound),
        "gap_pct": None,
        "gap_text": "",
        "remaining_s": None,
    }
    if time_limit_s is not None and elapsed_s is not None and not finished:
        out["remaining_s"] = max(0.0, time_limit_s - elapsed_s)
    if best is not None and bound is not None:
        gap = abs(bound - best) / max(abs(best), 1e-9) if (best or bound) else 0.0
        out["gap_pct"] = round(100 * gap, 2)
        if objective in MAXIMISING:
            out["gap_text"] = (
                f"The best layout found so far gives {out['best']}; no layout can give more "
                f"than {out['bound']}, so it is at most {out['gap_pct']:g} % short of the best "
                "possible."
            )
        else:
            out["gap_text"] = (
                f"The best layout found so far needs {out['best']}; no layout can need less "
                f"than {out['bound']}, so it is at most {out['gap_pct']:g} % above the least "
                "possible."
            )
        if gap == 0:
            out["gap_text"] += " A gap of 0 % means it is proven optimal."
    return out
