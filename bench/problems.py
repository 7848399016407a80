"""Problems for the fault tests and benchmarks (plain problem v1 data)."""
import random


def hard_problem(time_limit_s: float, seed: int = 1) -> dict:
    """A packing HiGHS cannot prove optimal within seconds: solves run to the time limit.

    Seed 1 keeps HiGHS busy for well over 8 s on a 2-core machine, and it finds a first layout
    within a fraction of a second, so a run cut short ends `feasible` with a layout.
    """
    rng = random.Random(seed)
    models = [f"m{i}" for i in range(5)]
    servers = [
        {"name": f"s{i}", "u": rng.randint(1, 4), "power_w": rng.randint(301, 2999) + 0.37 * i,
         "available": rng.randint(3, 40), "cost_usd": None,
         "sessions": {m: rng.randint(1, 97) for m in rng.sample(models, 3)}}
        for i in range(14)
    ]
    racks = [
        {"name": f"r{j}", "u": rng.randint(20, 48), "power_kw": round(rng.uniform(5, 17), 3),
         "reserved_u": 1, "reserved_kw": 0.3, "count": 12}
        for j in range(3)
    ]
    demand = {m: {"min": 0, "max": None, "weight": round(rng.uniform(0.5, 2.0), 3)}
              for m in models}
    return {"rack_types": racks, "servers": servers, "demand": demand,
            "hall_power_kw": round(12 * 3 * 9.1, 2), "objective": "max_sessions",
            "time_limit_s": time_limit_s}
