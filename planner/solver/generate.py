"""Seeded generator of realistic rack-packing problems (benchmarks and tests).

Ranges follow docs/problem-format.md and the seed catalog's cited datasheets: 42U or 48U
racks with 8-40 kW feeds (some 2N, some derated to 80 %), 1U-10U servers drawing 300-14,000 W,
some SKUs unable to serve some models, stock caps on some SKUs and demand minimums on some
models. The same ``(racks, skus, models, seed)`` always gives the same problem.
"""

from __future__ import annotations

import random
from typing import Any

#: The benchmark sizes of issue 4: (racks, server SKUs, models).
BENCH_SIZES: tuple[tuple[int, int, int], ...] = (
    (1, 3, 5),
    (10, 10, 4),
    (100, 20, 6),
    (1000, 40, 6),
    (5000, 60, 8),
    (20000, 100, 10),
)


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` racks over at most ``parts`` rack types, each at least 1."""
    parts = max(1, min(parts, total))
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, total]
    return [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


def generate_problem(
    racks: int,
    skus: int,
    models: int,
    *,
    seed: int = 0,
    objective: str = "max_sessions",
) -> dict[str, Any]:
    """A problem (format v1 data) with ``racks`` racks, ``skus`` server SKUs and ``models``."""
    rng = random.Random(f"{racks}-{skus}-{models}-{seed}")
    counts = _split(racks, min(4, 1 + racks // 50), rng)
    rack_types = []
    for i, count in enumerate(counts):
        u = rng.choice([42, 48])
        power_kw = float(rng.choice([8, 10, 12.5, 15, 17.3, 20, 25, 30, 35, 40]))
        rack: dict[str, Any] = {
            "name": f"rack-{i}-{u}u-{power_kw:g}kw",
            "u": u,
            "power_kw": power_kw,
            "reserved_u": rng.choice([0, 2, 4]),
            "reserved_kw": rng.choice([0.0, 0.5, 1.0]),
            "count": count,
        }
        if rng.random() < 0.3:
            rack["derating_pct"] = 80
        if rng.random() < 0.25:
            rack["feeds"] = "2N"
            rack["power_kw"] = power_kw * 2
        rack_types.append(rack)
    names = [f"model-{k}" for k in range(models)]
    servers = []
    for j in range(skus):
        u = rng.choice([1, 1, 2, 2, 4, 4, 6, 8, 10])
        power_w = float(round(rng.uniform(300, 1400) * u**0.9 + rng.uniform(0, 200), 1))
        power_w = min(power_w, 14000.0)
        # Every model is offered by the SKU whose turn it is, so each has some server; the
        # others offer a random subset (some SKUs cannot serve some models).
        offered = {m for m in names if rng.random() < 0.6} | {names[j % models]}
        size = power_w / 1000
        sessions = {
            m: max(1, int(rng.uniform(2, 60) * size * (1 + k % 3)))
            for k, m in enumerate(names)
            if m in offered
        }
        servers.append(
            {
                "name": f"sku-{j}",
                "u": u,
                "power_w": power_w,
                "available": None if rng.random() < 0.6 else rng.randint(racks, 8 * racks),
                "cost_usd": float(round(power_w * rng.uniform(15, 60), -2)),
                "sessions": sessions,
            }
        )
    demand = {}
    for k, m in enumerate(names):
        entry: dict[str, Any] = {"weight": rng.choice([0.5, 1, 1, 2, 3])}
        if k % 3 == 0 and racks >= 10:
            entry["min"] = 40 * racks
        if k % 4 == 1:
            entry["max"] = 2000 * racks
        demand[m] = entry
    return {
        "rack_types": rack_types,
        "servers": servers,
        "demand": demand,
        "hall_power_kw": round(sum(r["count"] * r["power_kw"] for r in rack_types) * 0.9, 1),
        "objective": objective,
        "x-generator": {"racks": racks, "skus": skus, "models": models, "seed": seed},
    }
