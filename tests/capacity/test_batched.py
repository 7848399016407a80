"""The "batched" policy: continuous-batching roofline, hand-checked per limit, plus properties."""

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.capacity import (
    AcceleratorSpec,
    Measurement,
    ModelSpec,
    ServerSpec,
    replica_shape,
    sessions_at_slo,
)
from planner.capacity.roofline import (
    CPU_DEFAULT_BANDWIDTH_EFFICIENCY,
    GPU_DEFAULT_BANDWIDTH_EFFICIENCY,
    GPU_DEFAULT_COMPUTE_EFFICIENCY,
    largest_batch,
    peak_bandwidth_gbps,
    peak_tflops,
    resolve_efficiencies,
)
from tests.capacity.test_seed_study import (
    AMPERE_MEASURED,
    AMPERE_SERVER,
    AMPEREONE,
    H100_SERVER,
    L40S,
    L40S_SERVER,
    LLAMA_8B,
    LLAMA_70B,
    LLAMA_405B,
    MODELS,
    ampere_measurement,
)

# A toy model with round numbers: 1e9 parameters; KV per token at 16-bit
# = 2 x 10 layers x 10 KV heads x 100 dims x 2 B = 40,000 B, so 4e7 B per 1,000-token session.
TOY = ModelSpec("toy-1b", 1.0, 10, 1000, 10, 10, 100)
CONTEXT = 1000


def toy_server(memory_gb: float, bandwidth_gbps: float, tflops_8: float, count: int = 1):
    """A GPU running at 100 % efficiency, so the limits are pure arithmetic."""
    accelerator = AcceleratorSpec(
        "toy-gpu",
        "gpu",
        memory_gb,
        bandwidth_gbps,
        tflops_8 / 2,
        tflops_8,
        300,
        bandwidth_efficiency=1.0,
        compute_efficiency=1.0,
    )
    return ServerSpec("toy-server", 2, 1000, accelerator, count)


def toy(server: ServerSpec, **kwargs):
    return sessions_at_slo(server, TOY, 8, context_tokens=CONTEXT, policy="batched", **kwargs)


def test_memory_capacity_binds():
    # Memory: 10.01 GB x 0.9 - 1 GB weights = 8.009 GB / 4e7 B = 200.2 -> 200.
    # Bandwidth: (1.001e11 B/s x 0.1 s - 1e9) / 4e7 = 2477.5 -> 2477.
    # Compute: 11.11e12 x 0.1 / 2e9 FLOP per token = 555.5 -> 555.
    result = toy(toy_server(10.01, 1001, 11.11))
    assert result.sessions == 200
    assert result.binding_limit == "memory_capacity"
    assert result.limits["sessions_by_memory"] == 200
    assert result.limits["sessions_by_bandwidth"] == 2477
    assert result.limits["sessions_by_compute"] == 555
    assert result.label == "estimated"
    assert result.kv_gb_per_session == pytest.approx(0.04)
    assert result.weight_gb_per_replica == pytest.approx(1.0)


def test_compute_binds():
    result = toy(toy_server(50, 1001, 11.11))  # memory 44e9 / 4e7 = 1100
    assert (result.sessions, result.binding_limit) == (555, "compute")
    assert result.per_session_tps >= 10
    assert result.per_session_tps == pytest.approx(11.11e12 / (555 * 2e9))


def test_memory_bandwidth_binds():
    # (2.05e11 x 0.1 - 1e9) / 4e7 = 487.5 -> 487; step = 2.048e10 / 2.05e11 s.
    result = toy(toy_server(50, 205, 11.11))
    assert (result.sessions, result.binding_limit) == (487, "memory_bandwidth")
    assert result.per_session_tps == pytest.approx(2.05e11 / 2.048e10)
    assert result.power_per_session_w == pytest.approx(1000 / 487)


def test_slo_out_of_reach_gives_zero_with_the_bottleneck_named():
    # Weights alone take 1e9 / 2.05e11 s = 4.9 ms per step: at most 205 tok/s.
    result = toy(toy_server(50, 205, 11.11), slo_tps=300)
    assert result.sessions == 0
    assert result.binding_limit == "memory_bandwidth"
    assert result.per_session_tps is None and result.power_per_session_w is None
    assert "Even one session" in result.explanation


def test_weights_that_do_not_fit_anywhere():
    result = toy(toy_server(1.0, 205, 11.11))  # 0.9 GB usable < 1 GB of weights
    assert (result.sessions, result.binding_limit) == (0, "does_not_fit")
    assert "do not fit" in result.explanation


def test_margin_and_kv_precision_move_the_memory_limit():
    server = toy_server(10.01, 1001, 11.11)
    assert toy(server, memory_margin=0.0).sessions == 225  # 9.01e9 / 4e7 = 225.25
    assert toy(server, kv_precision_bits=8).sessions == 400  # 8.009e9 / 2e7 = 400.45


def test_tp_step_time_terms_by_hand():
    shape = replica_shape(
        toy_server(50, 1000, 10, count=2), TOY, precision_bits=8, tp_degree=2,
        context_tokens=CONTEXT,
    )  # fmt: skip
    step = shape.step_time(100)
    # Per device: half the weights (5e8 B) and half the KV heads (2e7 B per session).
    assert step.memory_s == pytest.approx((5e8 + 100 * 2e7) / 1e12)
    assert step.compute_s == pytest.approx(100 * 1e9 / 10e12)
    # Ring all-reduce: 2 (t-1)/t x 10 layers x 2 x 1,000 hidden x 2 B = 40,000 B per session,
    # over the 64 GB/s PCIe default, plus 20 all-reduces x 5 us.
    assert step.comm_s == pytest.approx(100 * 40_000 / 64e9 + 20 * 5e-6)
    assert step.total_s == pytest.approx(max(step.memory_s, step.compute_s) + step.comm_s)


def test_largest_batch_is_exact_on_integers():
    assert largest_batch(lambda b: b <= 0) == 0
    assert largest_batch(lambda b: b <= 1) == 1
    assert largest_batch(lambda b: b <= 1_234_567) == 1_234_567
    assert largest_batch(lambda b: True, cap=1000) == 1000


def test_70b_on_l40s_needs_tensor_parallelism():
    shapes = {
        tp: replica_shape(L40S_SERVER, LLAMA_70B, precision_bits=8, tp_degree=tp) for tp in (1, 2)
    }
    assert shapes[1].memory_limit(0.10) == -1  # 70.55 GB > 43.2 GB usable
    assert shapes[2].memory_limit(0.10) > 0  # 35.3 GB per device fits
    two_gpus = dataclasses.replace(L40S_SERVER, accelerator_count=2)
    result = sessions_at_slo(two_gpus, LLAMA_70B, policy="batched")
    assert result.tp_degree == 2 and result.replicas_per_server == 1
    assert result.sessions > 0


def test_405b_on_eight_l40s_fits_at_4_bit_only():
    at_8 = sessions_at_slo(L40S_SERVER, LLAMA_405B, 8, policy="batched")
    assert (at_8.sessions, at_8.binding_limit) == (0, "does_not_fit")
    at_4 = sessions_at_slo(L40S_SERVER, LLAMA_405B, 4, policy="batched")
    assert at_4.tp_degree == 8 and at_4.sessions > 0


def test_gqa_kv_per_session_device_under_tp():
    shape = replica_shape(H100_SERVER, LLAMA_70B, precision_bits=8, tp_degree=8)
    assert shape.kv_bytes_per_session_per_device == 40 * 1024 * 4096  # one KV head per GPU


def test_mig_slice_figures_and_why_batching_prefers_whole_gpus():
    shape = replica_shape(H100_SERVER, LLAMA_8B, precision_bits=8, mig=True)
    assert shape.memory_gb == pytest.approx(80 / 7)
    assert shape.bandwidth_gbps == pytest.approx(3350 / 7)
    assert shape.tflops == pytest.approx(1979 / 7)
    assert (shape.replicas_per_server, shape.mig_slices_per_accelerator) == (56, 7)
    # Slices replicate the weights 7 times per GPU: with batching a whole GPU always does better.
    result = sessions_at_slo(H100_SERVER, LLAMA_8B, policy="batched")
    mig_sessions = shape.replicas_per_server * min(
        shape.memory_limit(0.1), shape.bandwidth_limit(10), shape.compute_limit(10)
    )
    assert result.sessions > mig_sessions > 0
    assert result.mig_slices_used == 0


def test_ties_go_to_fewer_accelerators_per_replica():
    # Nothing meets 1e6 tok/s: every configuration gives 0, so the smallest replica is shown.
    result = sessions_at_slo(L40S_SERVER, LLAMA_8B, slo_tps=1e6, policy="batched")
    assert result.sessions == 0
    assert result.tp_degree == 1


def test_gpu_default_efficiencies_and_overrides():
    assert resolve_efficiencies(L40S) == (
        GPU_DEFAULT_BANDWIDTH_EFFICIENCY,
        GPU_DEFAULT_COMPUTE_EFFICIENCY,
    )
    tuned = dataclasses.replace(L40S, bandwidth_efficiency=0.6)
    assert resolve_efficiencies(tuned) == (0.6, GPU_DEFAULT_COMPUTE_EFFICIENCY)
    result = sessions_at_slo(L40S_SERVER, LLAMA_8B, policy="batched")
    assert (result.bandwidth_efficiency, result.compute_efficiency) == (0.8, 0.7)


def test_cpu_peaks_from_channels_and_cores():
    detailed = dataclasses.replace(
        AMPEREONE,
        memory_bandwidth_gbps=1.0,  # ignored: channels and MT/s given
        memory_channels=8,
        memory_mts=5200,
        cores=192,
        clock_ghz=3.2,
        vector_flops_per_cycle=32,
    )
    assert peak_bandwidth_gbps(detailed) == pytest.approx(332.8)
    assert peak_tflops(detailed, 16) == pytest.approx(19.6608)
    assert peak_tflops(detailed, 8) == pytest.approx(39.3216)
    assert peak_bandwidth_gbps(AMPEREONE) == 332.8  # fallback to the catalog figure


def test_precision_picks_the_tensor_rate():
    assert peak_tflops(L40S, 8) == 733
    assert peak_tflops(L40S, 4) == 733  # no 4-bit figure: the 8-bit rate
    assert peak_tflops(L40S, 16) == 362
    assert peak_tflops(L40S, 32) == 181
    odd = dataclasses.replace(L40S, tflops_8=100)  # never below the 16-bit rate
    assert peak_tflops(odd, 8) == 362


def test_cpu_defaults_land_near_the_seed_measurements():
    # The CPU defaults are rounded from a fit to these three figures (docs/capacity.md).
    assert resolve_efficiencies(AMPEREONE).bandwidth == CPU_DEFAULT_BANDWIDTH_EFFICIENCY
    for model in MODELS[:3]:
        estimate = sessions_at_slo(AMPERE_SERVER, model, policy="batched").sessions
        measured = AMPERE_MEASURED[model.name]
        assert 0.5 * measured <= estimate <= 1.5 * measured
    for model in MODELS[3:]:
        assert sessions_at_slo(AMPERE_SERVER, model, policy="batched").sessions == 0


def test_measured_figure_wins_in_the_batched_policy_too():
    measured = ampere_measurement(MODELS[0])
    result = sessions_at_slo(AMPERE_SERVER, MODELS[0], policy="batched", measured=measured)
    assert (result.sessions, result.label, result.binding_limit) == (64, "measured", "measured")


def test_a_measurement_that_does_not_apply_is_ignored_and_said_so():
    measured = ampere_measurement(MODELS[0])
    stricter = sessions_at_slo(AMPERE_SERVER, MODELS[0], slo_tps=20, measured=measured)
    assert stricter.label == "study rule" and stricter.sessions == 0
    assert "looser SLO" in stricter.explanation
    looser = sessions_at_slo(AMPERE_SERVER, MODELS[0], slo_tps=5, measured=measured)
    assert looser.label == "measured" and looser.sessions == 64
    other_bits = sessions_at_slo(AMPERE_SERVER, MODELS[0], 4, policy="batched", measured=measured)
    assert other_bits.label == "estimated" and "8-bit" in other_bits.explanation
    with pytest.raises(ValueError, match="measurement is for"):
        sessions_at_slo(L40S_SERVER, MODELS[0], measured=measured)


def test_measured_zero_is_a_measured_zero():
    measured = Measurement(AMPERE_SERVER.name, LLAMA_70B.name, 8, 0, 10.0, "seed 003: n/a")
    result = sessions_at_slo(AMPERE_SERVER, LLAMA_70B, measured=measured)
    assert (result.sessions, result.label, result.per_session_tps) == (0, "measured", None)


def test_result_is_json():
    result = sessions_at_slo(H100_SERVER, LLAMA_70B, policy="batched")
    data = json.loads(result.to_json())
    assert data["sessions"] == result.sessions
    assert data["limits"]["sessions_by_memory"] == result.limits["sessions_by_memory"]
    assert set(data) >= {
        "sessions", "label", "policy", "binding_limit", "tp_degree", "replicas_per_server",
        "mig_slices_used", "per_session_tps", "power_per_session_w", "weight_gb_per_replica",
        "kv_gb_per_session", "bandwidth_efficiency", "compute_efficiency", "source",
        "explanation", "limits",
    }  # fmt: skip
    with pytest.raises(TypeError):
        result.limits["sessions_by_memory"] = 1  # read-only


@pytest.mark.parametrize(
    "kwargs",
    [
        {"policy": "greedy"},
        {"precision_bits": 0},
        {"slo_tps": 0},
        {"context_tokens": 0},
        {"memory_margin": 1.0},
        {"weight_overhead": -0.1},
        {"kv_precision_bits": 64},
    ],
)
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(ValueError):
        sessions_at_slo(L40S_SERVER, LLAMA_8B, **kwargs)


def test_bad_specs_are_refused():
    with pytest.raises(ValueError):
        dataclasses.replace(L40S, kind="tpu")
    with pytest.raises(ValueError):
        dataclasses.replace(L40S, memory_gb=0)
    with pytest.raises(ValueError):
        dataclasses.replace(L40S, compute_efficiency=1.5)
    with pytest.raises(ValueError):
        dataclasses.replace(LLAMA_8B, kv_heads=64)


def test_specs_build_from_catalog_rows_with_extra_columns():
    row = {
        "name": "nvidia-l40s", "vendor": "NVIDIA", "kind": "gpu", "memory_gb": 48,
        "memory_bandwidth_gbps": 864, "tflops_16": 362, "tflops_8": 733, "tdp_w": 350,
        "mig_max_instances": 0, "mig_slice_memory_gb": None, "source": "datasheet",
    }  # fmt: skip
    accelerator = AcceleratorSpec.from_mapping(row)
    assert accelerator == L40S
    server = ServerSpec.from_mapping(
        {"name": "8x-l40s", "u_height": 4, "power_w": 3097, "accelerator_count": 8, "notes": ""},
        accelerator,
    )
    assert server == L40S_SERVER


# --- Properties -------------------------------------------------------------------------------

accelerators = st.builds(
    AcceleratorSpec,
    name=st.just("a"),
    kind=st.sampled_from(["gpu", "cpu"]),
    memory_gb=st.floats(1, 400),
    memory_bandwidth_gbps=st.floats(20, 10_000),
    tflops_16=st.floats(1, 3000),
    tflops_8=st.floats(1, 6000),
    tdp_w=st.just(500.0),
    mig_max_instances=st.sampled_from([0, 0, 7]),
    interconnect_gbps=st.one_of(st.none(), st.floats(16, 900)),
)


@st.composite
def models(draw):
    kv_heads = draw(st.sampled_from([1, 2, 4, 8]))
    heads = kv_heads * draw(st.sampled_from([1, 2, 4, 8]))
    head_dim = draw(st.sampled_from([64, 128]))
    return ModelSpec(
        "m",
        draw(st.floats(0.1, 500)),
        draw(st.integers(1, 128)),
        heads * head_dim,
        heads,
        kv_heads,
        head_dim,
    )


@st.composite
def cases(draw):
    accelerator = draw(accelerators)
    server = ServerSpec("s", 4, 3000, accelerator, draw(st.sampled_from([1, 2, 3, 4, 8])))
    return {
        "server": server,
        "model": draw(models()),
        "precision_bits": draw(st.sampled_from([4, 8, 16])),
        "slo_tps": draw(st.floats(0.5, 100)),
        "context_tokens": draw(st.integers(128, 32_768)),
        "policy": "batched",
    }


def with_accelerator(case, **changes):
    server = case["server"]
    accelerator = dataclasses.replace(server.accelerator, **changes)
    return {**case, "server": dataclasses.replace(server, accelerator=accelerator)}


PROPERTY = settings(max_examples=60, deadline=None)


@PROPERTY
@given(cases(), st.floats(1.0, 4.0))
def test_more_memory_never_lowers_sessions(case, factor):
    more = with_accelerator(case, memory_gb=case["server"].accelerator.memory_gb * factor)
    assert sessions_at_slo(**more).sessions >= sessions_at_slo(**case).sessions


@PROPERTY
@given(cases(), st.floats(1.0, 4.0))
def test_more_bandwidth_never_lowers_sessions(case, factor):
    bandwidth = case["server"].accelerator.memory_bandwidth_gbps * factor
    more = with_accelerator(case, memory_bandwidth_gbps=bandwidth)
    assert sessions_at_slo(**more).sessions >= sessions_at_slo(**case).sessions


@PROPERTY
@given(cases(), st.floats(1.0, 10.0))
def test_a_higher_slo_never_raises_sessions(case, factor):
    stricter = {**case, "slo_tps": case["slo_tps"] * factor}
    assert sessions_at_slo(**stricter).sessions <= sessions_at_slo(**case).sessions


@PROPERTY
@given(cases())
def test_lower_precision_never_lowers_sessions(case):
    by_bits = [sessions_at_slo(**{**case, "precision_bits": bits}).sessions for bits in (4, 8, 16)]
    assert by_bits[0] >= by_bits[1] >= by_bits[2]


@PROPERTY
@given(cases())
def test_the_reported_load_meets_the_slo_and_fits(case):
    result = sessions_at_slo(**case)
    if result.sessions:
        assert result.per_session_tps >= case["slo_tps"]
        assert result.sessions <= result.limits["sessions_by_memory"]
        assert result.binding_limit in ("memory_capacity", "memory_bandwidth", "compute")
    json.loads(result.to_json())


def test_nothing_fits_reports_the_largest_replica_tried():
    result = sessions_at_slo(L40S_SERVER, LLAMA_405B, policy="batched")
    assert (result.tp_degree, result.replicas_per_server) == (8, 0)


# docs/capacity.md quotes these (8-bit, 10 tok/s, 4,096 tokens, default efficiencies).
BATCHED_SEED_FIGURES = {
    "ampereone-a192": (63, 21, 9, 0, 0),
    "8x-l40s": (2565, 728, 628, 204, 0),
    "8x-h100-sxm": (4282, 1219, 1057, 376, 80),
}


def test_batched_figures_for_the_seed_cells_match_the_documented_table():
    figures = {
        server.name: tuple(
            sessions_at_slo(server, model, policy="batched").sessions for model in MODELS
        )
        for server in (AMPERE_SERVER, L40S_SERVER, H100_SERVER)
    }
    assert figures == BATCHED_SEED_FIGURES
