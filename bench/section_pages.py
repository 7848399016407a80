"""Server render time of the result and compare pages (issue 6: < 300 ms for 1,000 racks) and
of the capacity page, up to every server x model of the catalog (issue 15).

Builds a throwaway test database, loads the seed catalog and stores runs for: the seed study's
rack (one std-42u, the study's three servers and five models, solved), a 200-rack mixed hall
(two rack types, three servers, five models with minimums and caps; solved) and a 1,000-rack
hall (the 200-rack layout scaled ×5, checked by `check_layout`: solving 1,000 racks exactly
takes minutes). Each page is requested through Django's test client, as a logged-in owner;
the figure is the median and the slowest of the repeats, in milliseconds of server time.
"""
import statistics
import time

TITLE = "Page render times (result, compare and capacity pages)"


def mixed_problem(racks: int, hall_power_kw: float | None = None) -> dict:
    n42 = racks * 3 // 5
    return {
        "rack_types": [
            {"name": "std-42u", "u": 42, "power_kw": 12.5, "reserved_u": 2, "reserved_kw": 1.0,
             "count": n42},
            {"name": "hd-48u", "u": 48, "power_kw": 30.0, "reserved_u": 4, "reserved_kw": 2.0,
             "count": racks - n42},
        ],
        "servers": [
            {"name": "ampereone-a192", "u": 1, "power_w": 577, "cost_usd": 30000,
             "sessions": {"llama-3.2-1b": 64, "llama-3.2-3b": 32, "llama-3.1-8b": 8}},
            {"name": "8x-l40s", "u": 4, "power_w": 3097, "cost_usd": 90000,
             "sessions": {"llama-3.2-1b": 8, "llama-3.2-3b": 8, "llama-3.1-8b": 8,
                          "llama-3.1-70b": 4}},
            {"name": "8x-h100-sxm", "u": 8, "power_w": 6297, "cost_usd": 280000,
             "sessions": {"llama-3.2-1b": 56, "llama-3.2-3b": 56, "llama-3.1-8b": 56,
                          "llama-3.1-70b": 8, "llama-3.1-405b": 1}},
        ],
        "demand": {
            "llama-3.2-1b": {"max": racks * 300},
            "llama-3.2-3b": {"min": racks * 60, "max": racks * 200},
            "llama-3.1-8b": {"min": racks * 40, "max": racks * 100},
            "llama-3.1-70b": {"min": racks * 4, "max": racks * 8},
            "llama-3.1-405b": {"min": racks // 10},
        },
        "hall_power_kw": hall_power_kw,
        "objective": "max_sessions",
    }


def timed(client, url: str, repeats: int) -> tuple[float, float, int]:
    client.get(url)  # warm: template loading, first queries
    times = []
    size = 0
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        size = len(response.content)
    return statistics.median(times), max(times), size


def run(quick: bool) -> str:
    import django

    django.setup()
    from django.test.utils import (
        setup_databases,
        setup_test_environment,
        teardown_databases,
        teardown_test_environment,
    )

    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        return measure(quick)
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()


def measure(quick: bool) -> str:
    from django.contrib.auth.models import User
    from django.test import Client

    from bench.layouts import scale_layout, scale_problem
    from inventory.models import ModelClass, ServerModel
    from inventory.seed import load_seed_catalog
    from planner import solver
    from planner.bridge.problems import scenario_problem
    from planner.models import Run, Scenario

    load_seed_catalog()
    owner = User.objects.create_user("bench", password="bench-password-long")
    repeats = 5 if quick else 20
    mid_racks = 20 if quick else 200
    big_factor = 5

    def stored(name: str, problem: dict, result: dict) -> Run:
        problems = solver.check_layout(problem, result)
        assert not problems, problems
        scenario = Scenario.objects.create(name=name, owner=owner, problem=problem)
        return Run.objects.create(scenario=scenario, problem=problem, result=result,
                                  status=Run.Status.SUCCEEDED)

    study_spec = {
        "rack_types": [{"rack_type": "std-42u", "count": 1}],
        "servers": [{"server_model": s} for s in ("ampereone-a192", "8x-l40s", "8x-h100-sxm")],
        "models": [{"model_class": m} for m in ("llama-3.2-1b", "llama-3.2-3b", "llama-3.1-8b",
                                                 "llama-3.1-70b", "llama-3.1-405b")],
    }
    study = Scenario.objects.create(name="Seed study rack", owner=owner, spec=study_spec)
    study_problem = scenario_problem(study)
    study_runs = [
        Run.objects.create(scenario=study, problem=p, result=solver.solve(p),
                           status=Run.Status.SUCCEEDED)
        for p in (study_problem, {**study_problem, "objective": "min_power"})
    ]
    mid_problem = mixed_problem(mid_racks)
    mid_result = solver.solve(mid_problem, time_limit_s=120)
    capped = mixed_problem(mid_racks, round(mid_result["totals"]["power_kw"] * 0.8, 3))
    capped_result = solver.solve(capped, time_limit_s=120)
    mid_runs = [stored(f"{mid_racks}-rack mixed", mid_problem, mid_result),
                stored(f"{mid_racks}-rack mixed, hall cap 80%", capped, capped_result)]
    big_runs = [
        stored(f"{mid_racks * big_factor}-rack mixed{suffix}", scale_problem(p, big_factor),
               scale_layout(r, big_factor))
        for p, r, suffix in ((mid_problem, mid_result, ""), (capped, capped_result, ", capped"))
    ]
    client = Client()
    client.force_login(owner)
    rows = []
    for label, runs in (("seed study rack (1 rack)", study_runs),
                        (f"{mid_racks}-rack mixed", mid_runs),
                        (f"{mid_racks * big_factor}-rack mixed", big_runs)):
        groups = len(runs[0].result["racks"])
        for page, url in (("result", f"/runs/{runs[0].pk}/"),
                          ("compare (2 runs)", f"/compare/?runs={runs[0].pk},{runs[1].pk}")):
            median, slowest, size = timed(client, url, repeats)
            rows.append(f"| {label} | {groups} | {page} | {median:.1f} | {slowest:.1f} | "
                        f"{size / 1024:.0f} |")
    pairs = ServerModel.objects.count() * ModelClass.objects.count()
    capacity_rows = capacity_page_rows(client, 3 if quick else 5, pairs)
    return "\n".join([
        "Server time of a GET through Django's test client (middleware, queries, figure",
        "building with pandas and Plotly, template), logged in as the owner, "
        f"{repeats} repeats after one warm-up. Target: < 300 ms for a 1,000-rack layout.",
        f"The {mid_racks * big_factor}-rack layout is the {mid_racks}-rack solution scaled "
        f"×{big_factor} (`bench/layouts.py`, accepted by `check_layout`).",
        "",
        "| scenario | rack groups | page | median ms | slowest ms | HTML KiB |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "The capacity page (calibrated policy, every figure worked out for the request): the",
        "seed study's 3 servers x 5 models, and every server x model of the catalog. Each",
        "repeat asks at another SLO (10.00, 10.01, ... tok/s), so no repeat is answered from",
        "the capacity searches a previous one made; the last row asks the first query again.",
        "",
        "| query | figures | median ms | slowest ms | HTML KiB |",
        "|---|---|---|---|---|",
        *capacity_rows,
    ])


def capacity_page_rows(client, repeats: int, pairs: int) -> list[str]:
    """Median and slowest server time of the capacity page, each repeat at a new SLO."""
    rows = []
    client.get("/capacity/?slo_tps=9")  # warm: templates, the calibration and its evidence
    for label, figures, query in (("seed study pairs", 15, ""),
                                  ("every server x model", pairs, "all=on&")):
        times, size = [], 0
        for repeat in range(repeats):
            started = time.perf_counter()
            response = client.get(f"/capacity/?{query}slo_tps={10 + repeat / 100:.2f}")
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (query, response.status_code)
            size = len(response.content)
        rows.append(f"| {label} | {figures:,} | {statistics.median(times):,.0f} | "
                    f"{max(times):,.0f} | {size / 1024:,.0f} |")
    started = time.perf_counter()
    client.get("/capacity/?all=on&slo_tps=10.00")
    rows.append(f"| every server x model, asked again | {pairs:,} | "
                f"{(time.perf_counter() - started) * 1000:,.0f} | — | {size / 1024:,.0f} |")
    return rows
