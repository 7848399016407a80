"""Sweeps: value parsing and variants (pure), a sweep through Celery, progress and cancel."""


import pytest

from planner.models import Run, Scenario
from planner.runs.sweeps import SweepError, cancel_sweep, parse_values, progress, variant_specs

SPEC = {
    "rack_types": [{"rack_type": "std-42u", "count": 2}],
    "servers": [{"server_model": "ampereone-a192"}, {"server_model": "8x-h100-sxm"}],
    "models": [{"model_class": "llama-3.2-1b"}, {"model_class": "llama-3.1-70b"}],
}


def test_parse_values():
    assert parse_values("rack_budget_kw", "10, 12.5;20") == [10.0, 12.5, 20.0]
    assert parse_values("precision_bits", "4,8,16") == [4, 8, 16]
    assert parse_values("input_tokens", "256, 4096") == [256, 4096]
    assert parse_values("ttft_s", "0.5, 2") == [0.5, 2.0]
    assert parse_values("output_tokens", "64, 4096") == [64, 4096]
    assert parse_values("kv_precision_bits", "16, 8, 4") == [16, 8, 4]
    for parameter, text in [
        ("precision_bits", "4, 7"),
        ("rack_count", "1.5, 2"),
        ("slo_tps", "10"),
        ("slo_tps", "a, b"),
        ("nope", "1, 2"),
        ("slo_tps", "0, 10"),
        ("input_tokens", "1024.5, 2048"),
        ("output_tokens", "100, 200.5"),
        ("kv_precision_bits", "16, 6"),
    ]:
        with pytest.raises(SweepError):
            parse_values(parameter, text)


def test_variant_specs_one_per_value_and_server():
    variants = variant_specs(SPEC, "rack_count", [1, 4])
    assert [(v.value, v.server) for v in variants] == [
        (1, "ampereone-a192"),
        (1, "8x-h100-sxm"),
        (4, "ampereone-a192"),
        (4, "8x-h100-sxm"),
    ]
    assert variants[2].spec["rack_types"] == [{"rack_type": "std-42u", "count": 4}]
    assert variants[2].spec["servers"] == [{"server_model": "ampereone-a192"}]
    assert SPEC["servers"][1] == {"server_model": "8x-h100-sxm"}  # the base spec is untouched
    budget = variant_specs(SPEC, "rack_budget_kw", [20.0])
    assert budget[0].rack_budget_kw == 20.0 and budget[0].spec["rack_types"] == SPEC["rack_types"]
    assert variant_specs(SPEC, "slo_tps", [20])[0].spec["slo_tps"] == 20
    # A workload parameter goes on every model of the mix, keeping what each model had.
    mix = {**SPEC, "models": [{"model_class": "a", "min": 5}, {"model_class": "b"}]}
    prompts = variant_specs(mix, "input_tokens", [8192])[0].spec["models"]
    assert prompts == [
        {"model_class": "a", "min": 5, "input_tokens": 8192, "output_tokens": 256},
        {"model_class": "b", "input_tokens": 8192, "output_tokens": 256},
    ]
    first = variant_specs(SPEC, "ttft_s", [0.5])[0].spec["models"]
    assert all(m["ttft_s"] == 0.5 for m in first)
    # A model sized by the spec's context keeps its prompt when only its output is swept
    # (4,096 - 256 = 3,840), and a model with its own shape keeps its own.
    shaped = {**SPEC, "context_tokens": 4096, "models": [
        {"model_class": "a"}, {"model_class": "b", "input_tokens": 500, "output_tokens": 50}]}
    answers = variant_specs(shaped, "output_tokens", [2048])[0].spec["models"]
    assert [(m["input_tokens"], m["output_tokens"]) for m in answers] == [(3840, 2048),
                                                                         (500, 2048)]
    kv = variant_specs(shaped, "kv_precision_bits", [8])[0].spec["models"]
    assert [m["kv_precision_bits"] for m in kv] == [8, 8]
    assert [(m["input_tokens"], m["output_tokens"]) for m in kv] == [(3840, 256), (500, 50)]


@pytest.mark.django_db
def test_cancel_marks_queued_variants(seed_catalog, user):
    from planner.runs.sweeps import start_sweep

    scenario = Scenario.objects.create(name="Hall", owner=user, spec=SPEC)
    # Inside this test's transaction nothing is sent: every variant is still queued.
    sweep = start_sweep(scenario, "slo_tps", [10, 20])
    assert progress(sweep) == {"done": 0, "total": 4, "finished": False, "cancelled": False}
    assert cancel_sweep(sweep) == 4
    assert set(Run.objects.values_list("status", flat=True)) == {Run.Status.FAILED}
    assert progress(sweep)["cancelled"] is True


@pytest.mark.django_db
def test_a_workload_sweep_needs_the_calibrated_policy(seed_catalog, user):
    from planner.runs.sweeps import start_sweep

    study = Scenario.objects.create(name="Study", owner=user, spec=SPEC)
    with pytest.raises(SweepError, match="calibrated capacity policy only"):
        start_sweep(study, "input_tokens", [256, 4096])
    calibrated = Scenario.objects.create(
        name="Calibrated", owner=user, spec={**SPEC, "capacity_policy": "calibrated"}
    )
    sweep = start_sweep(calibrated, "input_tokens", [256, 16384])
    runs = {
        run.problem["x-sweep"]["value"]: run for run in Run.objects.all()
        if run.problem["x-sweep"]["server"] == "8x-h100-sxm"
    }  # fmt: skip
    short = runs[256].problem["x-capacity"]["figures"]["8x-h100-sxm"]["llama-3.1-70b"]
    long = runs[16384].problem["x-capacity"]["figures"]["8x-h100-sxm"]["llama-3.1-70b"]
    # Longer prompts: more KV per session and more prefill per request, fewer sessions.
    assert long["sessions"] < short["sessions"]
    assert progress(sweep)["total"] == 4
    # Lower KV precision: half the KV bytes per session, never fewer sessions.
    start_sweep(calibrated, "kv_precision_bits", [16, 8])
    kv_runs = {
        run.problem["x-sweep"]["value"]: run for run in Run.objects.filter(name__contains="KV")
        if run.problem["x-sweep"]["server"] == "8x-h100-sxm"
    }  # fmt: skip
    wide = kv_runs[16].problem["x-capacity"]["figures"]["8x-h100-sxm"]["llama-3.1-70b"]
    narrow = kv_runs[8].problem["x-capacity"]["figures"]["8x-h100-sxm"]["llama-3.1-70b"]
    assert narrow["sessions"] > wide["sessions"]
