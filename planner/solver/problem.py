"""Problem format v1: immutable data model and validation of JSON-like input.

Validation runs in three passes, each only when the previous one passed, so that later passes can
rely on the shapes checked earlier:

1. a walk over the raw data that rejects anything ``json.dumps`` could not write faithfully
   (non-string keys, NaN/inf, Decimal, tuples, ...); jsonschema would otherwise crash on some of
   these or accept NaN;
2. the JSON Schema (``schema/problem-v1.schema.json``);
3. the rules a schema cannot express (unique names, ``reserved_u < u``, ``min <= max``, costs
   under ``min_cost``).

Every failure is reported as ``{field path: [messages]}`` in a :class:`ProblemError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from .costs import TcoSettings
from .limits import hard_limit_errors
from .schemas import PROBLEM_SCHEMA

OBJECTIVES = ("max_sessions", "min_power", "min_cost", "min_racks", "min_tco")
#: ``exact`` picks ``compact`` or ``patterns`` by size; the others force one method.
METHODS = ("exact", "compact", "patterns", "greedy")
FEEDS = ("N", "2N")
#: Share of a rack's provisioned power (summed over its feeds) that one feed carries: under 2N
#: the two feeds are equal and the whole load must fit on one of them.
FEED_SHARE = {"N": 1.0, "2N": 0.5}

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VALIDATOR = jsonschema.Draft202012Validator(PROBLEM_SCHEMA)
_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "object": "an object",
    "array": "an array",
    "null": "null",
    "boolean": "a boolean",
}
ROOT = "(root)"


class ProblemError(ValueError):
    """Invalid problem input.

    ``errors`` maps a field path (``"servers[0].power_w"``, ``'demand["llama-3.2-1b"].max'``,
    ``"rack_types"`` or ``"(root)"``) to one or more human-readable messages. ``str()`` gives a
    one-line summary naming the first problem.
    """

    def __init__(self, errors: Mapping[str, list[str]]):
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        """One-line description: the first error plus how many more there are."""
        if not self.errors:
            return "invalid problem"
        path, messages = next(iter(self.errors.items()))
        total = sum(len(m) for m in self.errors.values())
        more = f" (and {total - 1} more error{'s' if total > 2 else ''})" if total > 1 else ""
        return f"invalid problem: {path}: {messages[0]}{more}"


def feed_kw(power_kw: float, feeds: str, derating_pct: float) -> float:
    """kW a rack's feeds may carry after redundancy (:data:`FEED_SHARE`) and derating."""
    return power_kw * FEED_SHARE[feeds] * derating_pct / 100.0


@dataclass(frozen=True)
class RackType:
    """A rack type; ``count`` identical racks of it exist."""

    name: str
    u: int
    power_kw: float
    reserved_u: int = 0
    reserved_kw: float = 0.0
    count: int = 1
    derating_pct: float = 100.0
    feeds: str = "N"
    cooling_kw: float | None = None
    max_weight_kg: float | None = None

    @property
    def usable_u(self) -> int:
        """U available for servers in one rack."""
        return self.u - self.reserved_u

    @property
    def feed_kw(self) -> float:
        """Power the rack's feeds may carry after redundancy and derating, in kW.

        ``power_kw`` is the rack's provisioned capacity summed over its feeds. Under ``2N`` the
        two feeds are equal and the whole load must fit on one of them, so only half counts.
        """
        return feed_kw(self.power_kw, self.feeds, self.derating_pct)

    @property
    def power_budget_w(self) -> float:
        """Watts the feeds leave for servers (after reserves), rounded to a micro-watt."""
        return round((self.feed_kw - self.reserved_kw) * 1000.0, 6)

    @property
    def cooling_budget_w(self) -> float | None:
        """Watts of server heat the rack's cooling can remove (after reserves), or ``None``."""
        if self.cooling_kw is None:
            return None
        return round((self.cooling_kw - self.reserved_kw) * 1000.0, 6)

    @property
    def usable_w(self) -> float:
        """Watts available for servers in one rack: the tighter of power and cooling.

        Rounded to a micro-watt: (12.5 - 1.0) * 1000 is exact, but (0.3 - 0.1) * 1000 =
        199.99999999999997; the rounding keeps a 200 W server from being turned away by
        floating-point noise.
        """
        cooling = self.cooling_budget_w
        return self.power_budget_w if cooling is None else min(self.power_budget_w, cooling)

    @property
    def usable_kg(self) -> float | None:
        """Server weight one rack may carry, in kg, or ``None`` for no limit."""
        return self.max_weight_kg


@dataclass(frozen=True)
class Server:
    """A server SKU. ``sessions`` is a tuple of ``(model, sessions per server)`` pairs.

    Tuples rather than dicts keep the dataclass hashable and truly immutable.
    """

    name: str
    u: int
    power_w: float
    sessions: tuple[tuple[str, int], ...]
    available: int | None = None
    cost_usd: float | None = None
    weight_kg: float | None = None

    def sessions_for(self, model: str) -> int:
        """Sessions one server gives when serving ``model`` (0 if it cannot)."""
        for m, n in self.sessions:
            if m == model:
                return n
        return 0

    @property
    def models(self) -> tuple[str, ...]:
        """Models this server lists, in input order."""
        return tuple(m for m, _ in self.sessions)


@dataclass(frozen=True)
class Demand:
    """Demand for one model: ``min`` must be served, sessions above ``max`` do not count."""

    model: str
    min: int = 0
    max: int | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class Problem:
    """A validated problem (format v1). Build it with :func:`validate_problem`."""

    rack_types: tuple[RackType, ...]
    servers: tuple[Server, ...]
    demand: tuple[Demand, ...] = ()
    hall_power_kw: float | None = None
    objective: str = "max_sessions"
    time_limit_s: float | None = None
    method: str = "exact"
    resilience: str = "none"
    tco: TcoSettings = TcoSettings()
    #: Number of hall power trains the racks are spread over (``power_trains.count``), or
    #: ``None``: every minimum must survive the loss of any one train (docs/problem-format.md).
    power_trains: int | None = None
    budget_usd: float | None = None
    budget_basis: str = "tco"

    @property
    def hall_w(self) -> float | None:
        """Hall power cap in watts (rounded to a micro-watt), or ``None``."""
        return None if self.hall_power_kw is None else round(self.hall_power_kw * 1000.0, 6)

    def demand_for(self, model: str) -> Demand:
        """Demand of ``model``; models not listed get min 0, no max, weight 1."""
        for d in self.demand:
            if d.model == model:
                return d
        return Demand(model)

    @property
    def models(self) -> tuple[str, ...]:
        """Every model named by a server or by the demand, sorted by name."""
        names = {m for s in self.servers for m in s.models} | {d.model for d in self.demand}
        return tuple(sorted(names))

    @property
    def mins(self) -> dict[str, int]:
        """Demand minimums that must be served: model -> min, for every min > 0, in demand order."""
        return {d.model: d.min for d in self.demand if d.min > 0}

    @property
    def relevant_models(self) -> tuple[str, ...]:
        """Models worth placing servers for, sorted by name.

        A model with a minimum must be served. Otherwise only ``max_sessions`` rewards sessions,
        and only of a model with a positive weight and a max other than 0; under the ``min_*``
        objectives a server placed for a model without a minimum can only add power, cost or racks.
        """
        out = []
        for m in self.models:
            d = self.demand_for(m)
            if d.min > 0 or (self.objective == "max_sessions" and d.weight > 0 and d.max != 0):
                out.append(m)
        return tuple(out)

    def max_in_rack(
        self,
        rack: RackType,
        server: Server,
        *,
        used_u: int = 0,
        used_w: float = 0.0,
        used_kg: float = 0.0,
        u: bool = True,
        power: bool = True,
        weight: bool = True,
    ) -> int | float:
        """How many more servers of one SKU fit in one rack already holding ``used_*``.

        The limits are the rack's usable U, its usable watts (power after feeds, derating and
        reserves, or cooling if tighter: :attr:`RackType.usable_w`) and its weight rating.
        Stock (``available``) is the caller's business. The diagnosis drops limits to see which
        one bites: ``u``, ``power`` or ``weight`` set to ``False`` ignores that limit, and with
        all three dropped the answer is ``math.inf``. Otherwise it is an ``int`` >= 0.
        """
        fits: int | float = math.inf
        if u:
            fits = (rack.usable_u - used_u) // server.u
        if power:
            # The epsilon absorbs division noise such as 11500 / 575 = 19.999999999999996.
            fits = min(fits, math.floor((rack.usable_w - used_w) / server.power_w + 1e-9))
        if weight and rack.max_weight_kg is not None and server.weight_kg:
            by_kg = math.floor((rack.max_weight_kg - used_kg) / server.weight_kg + 1e-9)
            fits = min(fits, by_kg)
        return max(0, fits)

    def fits_somewhere(self, server: Server) -> bool:
        """Whether at least one server of this SKU fits in an empty rack of some rack type."""
        return any(self.max_in_rack(rack, server) > 0 for rack in self.rack_types)

    def to_dict(self) -> dict[str, Any]:
        """The normalised problem as format-v1 JSON data (all defaults spelled out)."""
        out: dict[str, Any] = {
            "rack_types": [
                {
                    "name": r.name,
                    "u": r.u,
                    "power_kw": r.power_kw,
                    "reserved_u": r.reserved_u,
                    "reserved_kw": r.reserved_kw,
                    "count": r.count,
                    "derating_pct": r.derating_pct,
                    "feeds": r.feeds,
                    "cooling_kw": r.cooling_kw,
                    "max_weight_kg": r.max_weight_kg,
                }
                for r in self.rack_types
            ],
            "servers": [
                {
                    "name": s.name,
                    "u": s.u,
                    "power_w": s.power_w,
                    "available": s.available,
                    "cost_usd": s.cost_usd,
                    "weight_kg": s.weight_kg,
                    "sessions": dict(s.sessions),
                }
                for s in self.servers
            ],
            "demand": {
                d.model: {"min": d.min, "max": d.max, "weight": d.weight} for d in self.demand
            },
            "hall_power_kw": self.hall_power_kw,
            "objective": self.objective,
            "method": self.method,
            "resilience": self.resilience,
            "power_trains": None if self.power_trains is None else {"count": self.power_trains},
            "tco": self.tco.to_dict(),
            "budget_usd": self.budget_usd,
            "budget_basis": self.budget_basis,
        }
        if self.time_limit_s is not None:
            out["time_limit_s"] = self.time_limit_s
        return out


def format_path(parts: Iterable[str | int]) -> str:
    """Render a path such as ``("servers", 0, "power_w")`` as ``servers[0].power_w``.

    Keys that are not plain identifiers (model names such as ``llama-3.2-1b``) are quoted,
    ``sessions["llama-3.2-1b"]``, so that the path stays unambiguous.
    """
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += f".{part}" if out else part
        else:
            out += '["' + part.replace("\\", "\\\\").replace('"', '\\"') + '"]'
    return out or ROOT


def validate_problem(data: Any) -> Problem:
    """Parse JSON-like ``data`` (dicts, lists, str, int, float, bool, None) into a :class:`Problem`.

    A :class:`Problem` is accepted too and re-validated through :meth:`Problem.to_dict`, so a
    hand-built instance gets the same checks. Raises :class:`ProblemError` on invalid input and
    nothing else.
    """
    if isinstance(data, Problem):
        try:
            data = data.to_dict()
        except (TypeError, ValueError, AttributeError) as exc:  # hand-built with wrong types
            raise ProblemError({ROOT: [f"malformed Problem instance: {exc}"]}) from exc
    errors: dict[str, list[str]] = {}
    try:
        _check_json(data, (), errors)
    except RecursionError:
        errors.setdefault(ROOT, []).append("input is nested too deeply")
    if not errors:
        _check_schema(data, errors)
    if not errors:
        _check_rules(data, errors)
    if errors:
        raise ProblemError(errors)
    return _build(data)


def _add(errors: dict[str, list[str]], parts: Iterable[str | int], message: str) -> None:
    messages = errors.setdefault(format_path(parts), [])
    if message not in messages:
        messages.append(message)


def _require_on_servers(errors: dict, data: dict, key: str, when: str) -> None:
    """Every server must give `key` (not null) because of `when`."""
    for i, server in enumerate(data["servers"]):
        if server.get(key) is None:
            _add(errors, ("servers", i, key), f"is required (a number, not null) when {when}")


def _check_json(value: Any, path: tuple[str | int, ...], errors: dict[str, list[str]]) -> None:
    """Reject values that are not plain JSON (see the module docstring for why)."""
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            _add(errors, path, f"must be a finite number (got {value})")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                _add(errors, path, f"keys must be strings (got {type(key).__name__} {key!r})")
                continue
            _check_json(item, (*path, key), errors)
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_json(item, (*path, i), errors)
        return
    _add(errors, path, f"must be a JSON value (got {type(value).__name__})")


def _schema_message(error: jsonschema.ValidationError) -> str:
    v, value = error.validator, error.validator_value
    if v == "type":
        types = [value] if isinstance(value, str) else list(value)
        return "must be " + " or ".join(_TYPE_WORDS.get(t, t) for t in types)
    if v == "minimum":
        return f"must be >= {value}"
    if v == "exclusiveMinimum":
        return f"must be > {value}"
    if v == "maximum":
        return f"must be <= {value}"
    if v == "minItems":
        return f"must have at least {value} item{'s' if value != 1 else ''}"
    if v == "minLength":
        return "must not be empty"
    if v == "enum":
        return "must be one of: " + ", ".join(str(x) for x in value)
    if v == "const":
        return f"must be {value!r}"
    return error.message


def _check_schema(data: Any, errors: dict[str, list[str]]) -> None:
    # Sort by path for a deterministic, reading-order error dict.
    found = sorted(
        _VALIDATOR.iter_errors(data),
        key=lambda e: ([str(p) for p in e.absolute_path], str(e.validator)),
    )
    for error in found:
        path = tuple(error.absolute_path)
        if error.validator == "required":
            for name in error.validator_value:
                if isinstance(error.instance, dict) and name not in error.instance:
                    _add(errors, (*path, name), "is required")
        elif error.validator == "additionalProperties" and error.validator_value is False:
            allowed = set(error.schema.get("properties", {}))
            patterns = list(error.schema.get("patternProperties", {}))
            for key in error.instance:
                if key not in allowed and not any(re.search(p, key) for p in patterns):
                    hint = ", ".join(sorted(allowed))
                    _add(errors, (*path, key), f"unknown field (allowed: {hint})")
        elif "propertyNames" in error.absolute_schema_path:
            _add(errors, path, "keys must be non-empty strings")
        else:
            _add(errors, path, _schema_message(error))


def _check_rules(data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    for kind in ("rack_types", "servers"):
        seen: dict[str, int] = {}
        for i, item in enumerate(data[kind]):
            name = item["name"]
            if name in seen:
                _add(
                    errors,
                    (kind, i, "name"),
                    f"duplicate name {name!r} (also {kind}[{seen[name]}])",
                )
            else:
                seen[name] = i
    for path, messages in hard_limit_errors(data).items():
        errors.setdefault(path, []).extend(messages)
    weighed = False
    for i, rack in enumerate(data["rack_types"]):
        if rack.get("reserved_u", 0) >= rack["u"]:
            _add(errors, ("rack_types", i, "reserved_u"), f"must be less than u ({rack['u']})")
        reserved = rack.get("reserved_kw", 0)
        derate = rack.get("derating_pct", 100)
        feeds = rack.get("feeds", "N")
        share = FEED_SHARE[feeds]
        usable_feed_kw = feed_kw(rack["power_kw"], feeds, derate)
        if reserved >= usable_feed_kw:
            if share == 1.0 and derate == 100:
                msg = f"must be less than power_kw ({rack['power_kw']})"
            else:
                msg = (
                    f"must be less than the usable feed power ({usable_feed_kw:g} kW = power_kw "
                    f"{rack['power_kw']:g} x {share:g} for feeds {feeds} x "
                    f"derating {derate:g} %)"
                )
            _add(errors, ("rack_types", i, "reserved_kw"), msg)
        cooling = rack.get("cooling_kw")
        if cooling is not None and reserved >= cooling:
            msg = f"must be less than cooling_kw ({cooling})"
            _add(errors, ("rack_types", i, "reserved_kw"), msg)
        weighed = weighed or rack.get("max_weight_kg") is not None
    if weighed:
        _require_on_servers(errors, data, "weight_kg", "a rack type has max_weight_kg")
    for model, d in data.get("demand", {}).items():
        lo, hi = d.get("min", 0), d.get("max")
        if hi is not None and hi < lo:
            _add(errors, ("demand", model, "max"), f"must be >= min ({lo})")
    trains = data.get("power_trains")
    racks = sum(r.get("count", 1) for r in data["rack_types"])
    if trains is not None and trains["count"] > racks:
        _add(
            errors,
            ("power_trains", "count"),
            f"must be at most the hall's racks ({racks}): every train needs a rack",
        )
    objective = data.get("objective", "max_sessions")
    if objective in ("min_cost", "min_tco"):
        _require_on_servers(errors, data, "cost_usd", f"objective is {objective}")
    elif data.get("budget_usd") is not None:
        _require_on_servers(errors, data, "cost_usd", "budget_usd is set")


def _opt_float(x: Any) -> float | None:
    return None if x is None else float(x)


def _int(x: Any) -> int:
    # The schema accepts 42.0 as an integer (JSON has one number type); store a real int.
    return int(x)


def _build(data: dict[str, Any]) -> Problem:
    racks = tuple(
        RackType(
            name=r["name"],
            u=_int(r["u"]),
            power_kw=float(r["power_kw"]),
            reserved_u=_int(r.get("reserved_u", 0)),
            reserved_kw=float(r.get("reserved_kw", 0)),
            count=_int(r.get("count", 1)),
            derating_pct=float(r.get("derating_pct", 100)),
            feeds=r.get("feeds", "N"),
            cooling_kw=_opt_float(r.get("cooling_kw")),
            max_weight_kg=_opt_float(r.get("max_weight_kg")),
        )
        for r in data["rack_types"]
    )
    servers = tuple(
        Server(
            name=s["name"],
            u=_int(s["u"]),
            power_w=float(s["power_w"]),
            sessions=tuple((m, _int(n)) for m, n in s["sessions"].items()),
            available=None if s.get("available") is None else _int(s["available"]),
            cost_usd=None if s.get("cost_usd") is None else float(s["cost_usd"]),
            weight_kg=_opt_float(s.get("weight_kg")),
        )
        for s in data["servers"]
    )
    demand = tuple(
        Demand(
            model=m,
            min=_int(d.get("min", 0)),
            max=None if d.get("max") is None else _int(d["max"]),
            weight=float(d.get("weight", 1.0)),
        )
        for m, d in data.get("demand", {}).items()
    )
    hall = data.get("hall_power_kw")
    limit = data.get("time_limit_s")
    trains = data.get("power_trains")
    return Problem(
        rack_types=racks,
        servers=servers,
        demand=demand,
        hall_power_kw=None if hall is None else float(hall),
        objective=data.get("objective", "max_sessions"),
        time_limit_s=None if limit is None else float(limit),
        method=data.get("method", "exact"),
        resilience=data.get("resilience", "none"),
        power_trains=None if trains is None else _int(trains["count"]),
        tco=TcoSettings.from_dict(data.get("tco")),
        budget_usd=None if data.get("budget_usd") is None else float(data["budget_usd"]),
        budget_basis=data.get("budget_basis", "tco"),
    )
