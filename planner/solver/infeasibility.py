"""Why there is no layout, in words: shared by every method, so reasons read alike whichever ran.

A method that finds the demand minimums unmeetable first asks :func:`unservable_reason` for the
cases plain inspection settles (no server offers the model, none is in stock, none fits a rack).
Otherwise it supplies a ``meetable(**relax)`` oracle that re-solves with some constraint groups
dropped (keywords ``hall``, ``avail``, ``rack_u``, ``rack_w``, ``rack_kg``; ``False`` drops it),
and :func:`culprit` names the first group whose removal makes the demand meetable. The order and
wording are documented in docs/problem-format.md ("Statuses").

Also here: the warnings about legal but suspicious input, and the reasons for a greedy shortfall
and for a layout that failed the final check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from .problem import Problem
from .resilience import asked, failure_words

#: ``meetable(hall=..., avail=..., rack_u=..., rack_w=..., rack_kg=...)``: can the demand
#: minimums be met with the groups passed as ``False`` dropped?
Meetable = Callable[..., bool]

_AVAIL = "server availability limits"
_LP_RACKS = "rack U, power, cooling and weight budgets (even as an LP relaxation)"


def sessions_text(n: int) -> str:
    """``1 session`` / ``5 sessions``."""
    return f"{n} session" if n == 1 else f"{n} sessions"


def min_head(model: str, lo: int) -> str:
    """``demand min of model 'x' (5 sessions) cannot be met``."""
    return f"demand min of model {model!r} ({sessions_text(lo)}) cannot be met"


def _names(models: Sequence[str]) -> str:
    return ", ".join(repr(m) for m in models)


def unservable_reason(problem: Problem) -> str | None:
    """A demand min that no server can serve at all (none offers, stocks or fits it), or None."""
    for model, lo in problem.mins.items():
        offering = [s for s in problem.servers if s.sessions_for(model) > 0]
        head = min_head(model, lo)
        if not offering:
            return f"{head}: no server offers sessions of that model"
        in_stock = [s for s in offering if s.available != 0]
        if not in_stock:
            return f"{head}: every server offering it has available = 0"
        if not any(problem.fits_somewhere(s) for s in in_stock):
            return f"{head}: no server offering it fits in any rack type's usable U and power"
    return None


def power_text(problem: Problem) -> str:
    """Name the rack power constraint the way the input states it."""
    extras = []
    if any(r.derating_pct != 100 for r in problem.rack_types):
        extras.append("derating")
    if any(r.feeds == "2N" for r in problem.rack_types):
        extras.append("2N feeds")
    if any(r.cooling_kw is not None for r in problem.rack_types):
        extras.append("cooling_kw")
    if not extras:
        return "rack power budgets (power_kw - reserved_kw)"
    return f"rack power budgets (power_kw after {', '.join(extras)}, less reserved_kw)"


def culprit(problem: Problem, meetable: Meetable, *, rack_limits: bool = True) -> str:
    """Name the smallest group of constraints whose removal makes the demand meetable.

    Tried in order: hall cap, availability, both, then (with ``rack_limits``, for an oracle that
    can drop per-rack limits) rack power, U, weight, U and power. An oracle that cannot drop rack
    limits (the pattern LP, whose patterns embody them) ends with the rack budgets as a whole.
    """
    has_hall = problem.hall_power_kw is not None
    has_avail = any(s.available is not None for s in problem.servers)
    hall_txt = f"hall power cap ({problem.hall_power_kw or 0:g} kW)"
    if has_hall and meetable(hall=False):
        return hall_txt
    if has_avail and meetable(avail=False):
        return _AVAIL
    if has_hall and has_avail and meetable(hall=False, avail=False):
        return f"{hall_txt} and {_AVAIL} together"
    if not rack_limits:
        return _LP_RACKS
    if meetable(rack_w=False):
        return power_text(problem)
    if meetable(rack_u=False):
        return "rack U budgets (u - reserved_u)"
    if any(r.max_weight_kg is not None for r in problem.rack_types) and meetable(rack_kg=False):
        return "rack weight limits (max_weight_kg)"
    if not (has_hall or has_avail) or meetable(rack_u=False, rack_w=False):
        return "rack U and power budgets"
    parts = ["rack U/power budgets"]
    if has_avail:
        parts.append(_AVAIL)
    if has_hall:
        parts.append(hall_txt)
    return " and ".join([", ".join(parts[:-1]), parts[-1]]) + " together"


def shortfall_reason(model: str, lo: int, best: float, blocking: str) -> str:
    """One model alone falls short: ``... cannot be met: at most N sessions fit under the X``."""
    at_most = sessions_text(int(round(best)))
    return f"{min_head(model, lo)}: at most {at_most} fit under the {blocking}"


def joint_reason(problem: Problem, meetable: Meetable) -> str:
    """Each minimum is meetable alone but not all together (or the joint proof ran out of time)."""
    mins = list(problem.mins)
    if len(mins) > 1:
        return (
            f"demand mins of models {_names(mins)} cannot all be met together under the "
            + culprit(problem, meetable)
        )
    return (
        f"demand min of model {_names(mins)} cannot be met under the rack, availability and "
        "hall limits"
    )


def relaxation_reason(problem: Problem, meetable: Meetable) -> str:
    """The LP relaxation of the demand minimums is infeasible (an oracle without rack limits)."""
    mins = list(problem.mins)
    if len(mins) > 1:
        head = f"demand mins of models {_names(mins)} cannot all be met"
    else:
        head = f"demand min of model {_names(mins)} cannot be met"
    return f"{head} under the {culprit(problem, meetable, rack_limits=False)}"


def greedy_shortfall_reason(problem: Problem, sessions: Mapping[str, int]) -> str:
    """The greedy fill served ``sessions`` and missed some minimum; it proves nothing more."""
    short = [d.model for d in problem.demand if sessions.get(d.model, 0) < d.min]
    return f"the greedy fill did not meet the demand min of {_names(short)}; try method exact"


def verification_reason(violations: Sequence[str]) -> str:
    """A method's layout broke a constraint (a bug): refuse it, naming the first violation."""
    return f"internal error: solver layout failed verification: {violations[0]}"


def problem_warnings(problem: Problem) -> list[str]:
    """Things that are legal but probably not what the user meant."""
    out = []
    for srv in problem.servers:
        if not any(n > 0 for _, n in srv.sessions):
            out.append(f"server {srv.name!r} offers no sessions of any model")
        elif not problem.fits_somewhere(srv):
            out.append(
                f"server {srv.name!r} ({srv.u} U, {srv.power_w:g} W) fits in no rack type's "
                "usable U and power"
            )
    offered = {m for s in problem.servers for m, n in s.sessions if n > 0}
    for d in problem.demand:
        if d.model not in offered and d.min == 0:
            out.append(f"demand lists model {d.model!r} but no server offers sessions of it")
    return out


def _mins_head(problem: Problem) -> str:
    mins = list(problem.mins)
    if len(mins) == 1:
        return f"demand min of model {_names(mins)}"
    return f"demand mins of models {_names(mins)}"


def survival_reason(problem: Problem) -> str:
    """The minimums can be met, but not so that they survive the losses the problem asks for
    (``resilience``, ``power_trains``)."""
    kinds = ", ".join(
        f"resilience {k}" if k != "power_trains" else f"power_trains {problem.power_trains}"
        for k in asked(problem)
    )
    return (
        f"{_mins_head(problem)} can be met, but not after losing "
        f"{failure_words(problem)} ({kinds}) under the rack, availability and hall limits"
    )


def budget_reason(problem: Problem) -> str:
    """The minimums (and any resilience) can be met, but not within ``budget_usd``."""
    return (
        f"{_mins_head(problem)} cannot be met within budget_usd ({problem.budget_usd:,.0f} USD "
        f"of {problem.budget_basis})"
    )
