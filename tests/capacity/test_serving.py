"""The calibrated serving model, term by term (hand-computed), and its monotonicity."""

import dataclasses
import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from planner.capacity import (
    AcceleratorSpec,
    ModelSpec,
    Replica,
    ServerSpec,
    ServingConstants,
    Workload,
    calibrated_constants,
    defaults,
    measurements,
    request_rate_from_sessions,
    serving,
    sessions_at_slo,
    sessions_from_request_rate,
)
from planner.capacity.memory import GB
from tests.capacity.test_seed_study import AMPEREONE, H100, LLAMA_8B, LLAMA_70B

# Constants that switch off everything but the term under test.
PLAIN = ServingConstants(
    gpu_bandwidth_efficiency=1.0,
    gpu_compute_efficiency=1.0,
    half_batch=0.0,
    step_overhead_s=0.0,
    all_reduce_latency_s=0.0,
    moe_efficiency=1.0,
    prefill_efficiency=1.0,
    per_sequence_overhead_s=0.0,
)
MIXTRAL = ModelSpec(
    "mixtral-8x7b", 46.7, 32, 4096, 32, 8, 128, 16,
    active_parameters_b=12.9, expert_count=8, experts_per_token=2,
)  # fmt: skip
DEEPSEEK_V3 = ModelSpec(
    "deepseek-v3", 671.0, 61, 7168, 128, 128, 128, 8,
    active_parameters_b=37.0, expert_count=256, experts_per_token=8, shared_expert_count=1,
    kv_lora_rank=512, qk_rope_head_dim=64,
)  # fmt: skip
B200 = AcceleratorSpec(
    "nvidia-b200", "gpu", 180, 8000, 2250, 4500, 1000, interconnect_gbps=900, tflops_4=9000
)


def test_prefill_share_is_each_requests_prefill_spread_over_its_output_tokens():
    # Llama 3.1 8B on one H100 at 16-bit: 64 sessions, 1,000-token prompts, 250 output tokens.
    replica = Replica(H100, LLAMA_8B, 1, 16)
    w = Workload(input_tokens=1000, output_tokens=250, slo_tps=10)
    terms = replica.step_terms(64, w, PLAIN)
    per_request = 2 * 8.03e9 * 1000 + 2 * 32 * 1000**2 * (32 * 128)  # linear + attention
    assert terms["prefill_compute_s"] == pytest.approx(64 / 250 * per_request / 989e12)
    # Half the prompt from the prefix cache: the linear term halves, attention quarters.
    cached = dataclasses.replace(w, prefix_cache_hit_rate=0.5)
    half = 2 * 8.03e9 * 500 + 2 * 32 * 500**2 * (32 * 128)
    assert replica.step_terms(64, cached, PLAIN)["prefill_compute_s"] == pytest.approx(
        64 / 250 * half / 989e12
    )


def test_time_to_first_token_is_own_prefill_behind_the_others_plus_one_step():
    replica = Replica(H100, LLAMA_8B, 1, 16)
    w = Workload(input_tokens=2000, output_tokens=200, slo_tps=10)
    terms = replica.step_terms(32, w, PLAIN)
    own = (2 * 8.03e9 * 2000 + 2 * 32 * 2000**2 * 4096) / 989e12
    assert replica.prefill_s(w, PLAIN) == pytest.approx(own)
    # 32 sessions at the SLO stand for 32 / (200 tokens / 10 tok/s) = 1.6 requests/s, each
    # taking `own` seconds of the replica's prefill compute: the queue in front of a request.
    busy = 1.6 * own
    assert replica.ttft_s(32, w, PLAIN) == pytest.approx(own / (1 - busy) + terms["step_s"])
    # With a first-token target, a request stays that much longer: fewer arrivals per session.
    slow = dataclasses.replace(w, ttft_s=5.0)
    busy_slow = 32 / (5.0 + 20.0) * own
    assert replica.ttft_s(32, slow, PLAIN) == pytest.approx(
        own / (1 - busy_slow) + replica.step_terms(32, slow, PLAIN)["step_s"]
    )
    # A measured arrival rate replaces the SLO's.
    assert replica.ttft_s(32, w, PLAIN, requests_per_s=4.0) == pytest.approx(
        own / (1 - 4.0 * own) + terms["step_s"]
    )
    # The fitted front-end overhead adds to every first token.
    slower = dataclasses.replace(PLAIN, first_token_overhead_s=0.1)
    assert replica.ttft_s(32, w, slower) == pytest.approx(replica.ttft_s(32, w, PLAIN) + 0.1)
    # A lone session: its own prefill plus one step.
    alone = replica.step_terms(1, w, PLAIN)
    assert replica.ttft_s(1, w, PLAIN) > own + alone["step_s"] * 0.99


def test_kv_precision_scales_the_kv_cache_and_paged_occupancy_sizes_it():
    replica = Replica(H100, LLAMA_8B, 1, 8)
    assert replica.kv_bytes_per_token_per_device(16) == 2 * 32 * 8 * 128 * 2  # 128 KiB
    assert replica.kv_bytes_per_token_per_device(8) == 2 * 32 * 8 * 128
    assert replica.kv_bytes_per_token_per_device(4) == 2 * 32 * 8 * 128 / 2
    w = Workload(input_tokens=1000, output_tokens=200, kv_precision_bits=16)
    assert w.kv_tokens_reserved == 1100  # input + output / 2
    assert dataclasses.replace(w, kv_reservation="full").kv_tokens_reserved == 1200
    # 80 GB x 0.9 - 8.03 GB of 8-bit weights, over 1,100 tokens x 128 KiB.
    free = 80 * GB * 0.9 - 8.03 * GB
    assert replica.sessions_by_memory(w) == math.floor(free / (1100 * 131072))
    fp8 = dataclasses.replace(w, kv_precision_bits=8)
    assert replica.sessions_by_memory(fp8) == math.floor(free / (1100 * 65536))


def test_moe_experts_touched_and_the_expert_split():
    replica = Replica(H100, MIXTRAL, 2, 16)
    assert replica.experts_touched_share(1) == pytest.approx(2 / 8)
    assert replica.experts_touched_share(2) == pytest.approx(1 - 0.75**2)
    assert replica.experts_touched_share(64) == pytest.approx(1 - 0.75**64)
    dense, routed = replica.expert_split_b()
    per_expert = (46.7 - 12.9) / (8 - 2)
    assert routed == pytest.approx(8 * per_expert)
    assert dense == pytest.approx(46.7 - 8 * per_expert)
    assert dense + 2 * per_expert == pytest.approx(12.9)  # active = dense + k experts
    # Bytes read per step at one token: dense + 2 of 8 experts, spread over TP 2.
    assert replica.weights_read_per_device(1) == pytest.approx(
        (dense + routed * 0.25) * GB * 2 / 2
    )
    # Memory holds all experts; compute uses the active ones.
    assert replica.weight_bytes_per_device == pytest.approx(46.7 * GB * 2 / 2)


def test_routed_experts_are_read_at_their_own_bandwidth_efficiency():
    workload = Workload(input_tokens=0, output_tokens=1, kv_precision_bits=16)
    empty = dataclasses.replace(workload, input_tokens=1)
    slow = dataclasses.replace(PLAIN, moe_bandwidth_efficiency=0.5)
    replica = Replica(H100, MIXTRAL, 2, 16)
    dense, routed = replica.expert_split_b()
    share = replica.experts_touched_share(4)
    kv = 4 * empty.mean_context_tokens * replica.kv_bytes_per_token_per_device(16)
    bandwidth = H100.memory_bandwidth_gbps * GB
    # One Mixtral expert in one layer on one of two devices: routed / 8 experts / 32 layers
    # x 2 bytes / 2 devices, in MB; the share falls with expert size.
    expert_mb = routed * 1e9 / 8 / 32 * 2 / 2 / 1e6
    eff = 0.5 * expert_mb / (expert_mb + PLAIN.moe_half_expert_mb)
    expected = ((dense + routed * share / eff) * GB * 2 / 2 + kv) / bandwidth
    assert replica.step_terms(4, empty, slow)["memory_s"] == pytest.approx(expected)
    # A dense model has no routed experts: the constant changes nothing.
    dense_replica = Replica(H100, LLAMA_8B, 1, 16)
    assert dense_replica.step_terms(4, workload, slow)["memory_s"] == pytest.approx(
        dense_replica.step_terms(4, workload, PLAIN)["memory_s"]
    )


def test_small_experts_are_read_further_below_dense_bandwidth():
    workload = Workload(input_tokens=1, output_tokens=1, kv_precision_bits=16)
    k = dataclasses.replace(PLAIN, moe_bandwidth_efficiency=0.8, moe_half_expert_mb=50.0)
    no_ramp = dataclasses.replace(k, moe_half_expert_mb=1e-9)
    replica = Replica(H100, MIXTRAL, 2, 16)
    ramped = replica.step_terms(4, workload, k)["memory_s"]
    flat = replica.step_terms(4, workload, no_ramp)["memory_s"]
    assert ramped > flat  # a 50 MB half-size slows a ~176 MB expert's read...
    # ... and the same expert split over more devices (smaller slices) is slowed more.
    wide = Replica(H100, MIXTRAL, 8, 16)
    ratio_wide = wide.step_terms(4, workload, k)["memory_s"] / wide.step_terms(
        4, workload, no_ramp
    )["memory_s"]
    assert ratio_wide > ramped / flat


def test_on_a_cpu_memory_and_compute_time_add_up():
    w = Workload(input_tokens=512, output_tokens=128, slo_tps=10)
    k = dataclasses.replace(PLAIN, cpu_bandwidth_efficiency=0.5, cpu_compute_efficiency=0.1)
    terms = Replica(AMPEREONE, LLAMA_8B, 1, 8).step_terms(16, w, k)
    busy = terms["memory_s"] + terms["decode_compute_s"] + terms["prefill_compute_s"]
    assert terms["decode_compute_s"] > 0 and terms["memory_s"] > 0
    assert terms["step_s"] == pytest.approx(busy + terms["overhead_s"])
    # A GPU keeps the roofline's max: the larger term hides the other.
    gpu = Replica(H100, LLAMA_8B, 1, 8).step_terms(16, w, PLAIN)
    busy_gpu = max(gpu["memory_s"], gpu["decode_compute_s"] + gpu["prefill_compute_s"])
    assert gpu["step_s"] == pytest.approx(busy_gpu + gpu["overhead_s"])


def test_rocm_efficiency_scales_amd_gpus_only():
    w = Workload(input_tokens=128, output_tokens=128, slo_tps=10)
    mi300x = AcceleratorSpec("amd-mi300x", "gpu", 192, 5300, 1307, 2615, 750, interconnect_gbps=448)
    slow = dataclasses.replace(PLAIN, rocm_efficiency=0.5)
    amd = Replica(mi300x, LLAMA_70B, 1, 8)
    assert amd.step_terms(8, w, slow)["memory_s"] == pytest.approx(
        2 * amd.step_terms(8, w, PLAIN)["memory_s"]
    )
    nvidia = Replica(H100, LLAMA_70B, 1, 8)
    assert nvidia.step_terms(8, w, slow)["memory_s"] == pytest.approx(
        nvidia.step_terms(8, w, PLAIN)["memory_s"]
    )


def test_each_engine_pays_its_own_cost_per_running_sequence():
    k = dataclasses.replace(
        PLAIN, per_sequence_overhead_s=9e-5, tensorrt_llm_sequence_overhead_s=5e-5
    )
    replica = Replica(H100, LLAMA_8B, 1, 8)
    vllm = Workload(input_tokens=128, output_tokens=128, slo_tps=10)
    trt = dataclasses.replace(vllm, serving_stack="tensorrt-llm")
    assert replica.step_terms(512, vllm, k)["overhead_s"] == pytest.approx(512 * 9e-5)
    assert replica.step_terms(512, trt, k)["overhead_s"] == pytest.approx(512 * 5e-5)
    # The rest of the step is the same physics: only the per-sequence term differs.
    gap = replica.step_terms(512, vllm, k)["step_s"] - replica.step_terms(512, trt, k)["step_s"]
    assert gap == pytest.approx(512 * 4e-5)
    # With the cheaper engine a server never sustains fewer sessions at the same SLO.
    assert replica.sessions_at(trt, k)[0] >= replica.sessions_at(vllm, k)[0]


def test_every_engine_a_planner_may_choose_has_its_own_constant():
    k = calibrated_constants()
    costs = {stack: k.sequence_overhead_s(stack) for stack in defaults.SERVING_STACKS}
    assert all(cost > 0 for cost in costs.values())
    assert costs["vllm"] == k.per_sequence_overhead_s
    assert costs["tensorrt-llm"] == k.tensorrt_llm_sequence_overhead_s


def test_an_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="serving_stack must be one of vllm, tensorrt-llm"):
        Workload(serving_stack="llama.cpp")


def test_latent_attention_kv_is_one_latent_per_layer_replicated_across_tp():
    for tp in (1, 8):
        replica = Replica(B200, DEEPSEEK_V3, tp, 8)
        assert replica.kv_bytes_per_token_per_device(16) == 61 * (512 + 64) * 2  # 70,272 B
    grouped = Replica(B200, dataclasses.replace(DEEPSEEK_V3, kv_lora_rank=None), 1, 8)
    assert grouped.kv_bytes_per_token_per_device(16) == 2 * 61 * 128 * 128 * 2


def test_data_parallel_attention_keeps_each_latent_on_one_rank():
    plain = Replica(B200, DEEPSEEK_V3, 8, 8)
    spread = Replica(B200, DEEPSEEK_V3, 8, 8, attention_data_parallel=True)
    assert spread.kv_bytes_per_token_per_device(16) == 61 * (512 + 64) * 2 / 8
    w = Workload(input_tokens=30_000, output_tokens=2_000, slo_tps=5)
    assert spread.sessions_by_memory(w) > 7 * plain.sessions_by_memory(w)
    # The weights and the experts are spread as before: only the KV terms change.
    assert spread.weight_bytes_per_device == plain.weight_bytes_per_device
    assert spread.step_terms(64, w, PLAIN)["memory_s"] < plain.step_terms(64, w, PLAIN)["memory_s"]


def test_calibrated_policy_tries_data_parallel_attention_for_latent_models_only():
    server = ServerSpec("8x-b200", 8, 14300, B200, 8)
    long = Workload(input_tokens=30_000, output_tokens=2_000, slo_tps=5)
    latent = sessions_at_slo(server, DEEPSEEK_V3, 8, policy="calibrated", workload=long)
    assert latent.binding_limit == "memory_capacity"
    assert "data-parallel attention" in latent.explanation
    per_device = latent.kv_gb_per_session / latent.tp_degree
    assert per_device == pytest.approx(long.kv_tokens_reserved * 61 * 576 * 2 / 8 / GB)
    dense = sessions_at_slo(server, LLAMA_70B, 8, policy="calibrated", workload=long)
    assert "data-parallel attention" not in dense.explanation


def test_fp4_compute_only_where_the_accelerator_has_it():
    assert Replica(B200, LLAMA_70B, 1, 4).peak_tflops == 9000
    assert Replica(H100, LLAMA_70B, 1, 4).peak_tflops == 1979  # no FP4 units: 8-bit rate
    assert Replica(B200, LLAMA_70B, 1, 8).peak_tflops == 4500
    assert Replica(B200, LLAMA_70B, 1, 16).peak_tflops == 2250


def test_cpu_bandwidth_from_channels_and_matrix_units():
    xeon = AcceleratorSpec(
        "xeon-6-test", "cpu", 1024, 600, 10, 20, 500, cores=128, clock_ghz=2.0,
        vector_flops_per_cycle=64, memory_channels=12, memory_mts=6400,
        matrix_flops_per_cycle=2048,
    )  # fmt: skip
    replica = Replica(xeon, LLAMA_8B, 1, 16)
    assert replica.bandwidth_gbps == pytest.approx(12 * 6400 * 8 / 1000)  # 614.4 GB/s
    assert replica.peak_tflops == pytest.approx(128 * 2.0 * 2048 / 1000)  # AMX, 16-bit
    vector = Replica(dataclasses.replace(xeon, matrix_flops_per_cycle=None), LLAMA_8B, 1, 16)
    assert vector.peak_tflops == pytest.approx(128 * 2.0 * 64 / 1000)


def test_littles_law_and_the_legacy_context():
    w = Workload(input_tokens=1000, output_tokens=250, slo_tps=10, ttft_s=0.5)
    assert sessions_from_request_rate(2.0, w) == pytest.approx(2.0 * (0.5 + 25))
    assert request_rate_from_sessions(51.0, w) == pytest.approx(2.0)
    legacy = Workload.from_context(4096)
    assert (legacy.input_tokens, legacy.output_tokens) == (3840, 256)


def test_tensor_parallel_adds_all_reduce_time_with_latency():
    k = dataclasses.replace(PLAIN, all_reduce_latency_s=1e-5)
    w = Workload(input_tokens=0, output_tokens=100)
    one = Replica(H100, LLAMA_70B, 1, 8).step_terms(8, w, k)["comm_s"]
    two = Replica(H100, LLAMA_70B, 2, 8).step_terms(8, w, k)["comm_s"]
    assert one == 0
    size = 8 * 8192 * 2  # tokens x hidden x 2 bytes
    assert two == pytest.approx(80 * 2 * (2 * 1 / 2 * size / (450 * GB) + 1e-5))


def test_calibrated_policy_beats_the_study_rule_and_binds_sensibly():
    server = ServerSpec("8x-h100", 8, 6297, H100, 8)
    result = sessions_at_slo(server, LLAMA_70B, 8, 10.0, policy="calibrated")
    assert result.label == "estimated" and result.policy == "calibrated"
    assert result.sessions > 8
    assert result.typical_error is not None and len(result.evidence) == 3
    assert result.to_json()  # strict JSON
    # The first-token figure carries its own typical error (leave-one-source-out, stored).
    first = measurements.first_token_typical_error()
    assert first is not None and 0 < first < 1
    assert f"s (typical error ±{first:.0%}); binding" in result.explanation
    huge = ModelSpec("too-big", 2000, 126, 16384, 128, 8, 128)
    none = sessions_at_slo(server, huge, 16, 10.0, policy="calibrated")
    assert (none.sessions, none.binding_limit) == (0, "does_not_fit")
    # Weights that do not fit are arithmetic, not an estimate: no error band, no evidence.
    assert none.typical_error is None and none.evidence == ()
    # ... and the answer says what would: 2,000 B at 4-bit is 1,000 GB, more than 8 x 80 GB.
    assert "4,000.0 GB) do not fit" in none.explanation
    assert "Even at 4-bit (1,000.0 GB) they need more than this server's 576.0 GB" in (
        none.explanation
    )


def test_weights_that_do_not_fit_say_at_which_precision_they_would():
    # 405 B at 16-bit is 811.7 GB, more than 8 x 80 GB less the 10 % margin (576 GB); at 8-bit
    # (405.9 GB) they fit the server as one replica: the highest precision that fits is named.
    server = ServerSpec("8x-h100", 8, 6300, H100, 8)
    model = ModelSpec("llama-3.1-405b", 405.85, 126, 16384, 128, 8, 128)
    result = sessions_at_slo(server, model, 16, 10.0, policy="calibrated")
    assert result.binding_limit == "does_not_fit"
    assert "At 8-bit weights (405.9 GB) they fit: ask for 8-bit weights" in result.explanation


# ---- monotonicity (hypothesis) -------------------------------------------------------

K = calibrated_constants()
workloads = st.builds(
    Workload,
    input_tokens=st.integers(0, 8192),
    output_tokens=st.integers(1, 2048),
    slo_tps=st.floats(1, 100),
    ttft_s=st.one_of(st.none(), st.floats(0.05, 10)),
    kv_precision_bits=st.sampled_from([4, 8, 16]),
)
models = st.sampled_from([LLAMA_8B, LLAMA_70B, MIXTRAL])
factors = st.floats(1.0, 4.0)


def sessions(acc, model, w, bits=8, tp=2):
    return Replica(acc, model, tp, bits).sessions_at(w, K)[0]


@settings(max_examples=60, deadline=None)
@given(w=workloads, model=models, factor=factors, field=st.sampled_from(
    ["memory_gb", "memory_bandwidth_gbps", "tflops_8", "interconnect_gbps"]
))  # fmt: skip
# Found by Hypothesis: when a replica's request rate followed its own decode speed, twice the
# NVLink bandwidth (faster steps, so more requests and a longer prefill queue) cut 89 to 88.
@example(
    w=Workload(input_tokens=2488, output_tokens=2, slo_tps=1.0, ttft_s=1.0, kv_precision_bits=4),
    model=LLAMA_8B, factor=2.0, field="interconnect_gbps",
)  # fmt: skip
def test_more_memory_bandwidth_or_compute_never_fewer_sessions(w, model, factor, field):
    bigger = dataclasses.replace(H100, **{field: getattr(H100, field) * factor})
    assert sessions(bigger, model, w) >= sessions(H100, model, w)


@settings(max_examples=60, deadline=None)
@given(w=workloads, model=models, stricter=st.floats(1.0, 3.0), longer=st.integers(0, 4096))
def test_stricter_slo_or_longer_prompts_never_more_sessions(w, model, stricter, longer):
    base = sessions(H100, model, w)
    assert sessions(H100, model, dataclasses.replace(w, slo_tps=w.slo_tps * stricter)) <= base
    longer_prompt = dataclasses.replace(w, input_tokens=w.input_tokens + longer)
    assert sessions(H100, model, longer_prompt) <= base
    if w.ttft_s is not None:
        assert sessions(H100, model, dataclasses.replace(w, ttft_s=w.ttft_s / stricter)) <= base


@settings(max_examples=60, deadline=None)
@given(w=workloads, model=models)
def test_lower_precision_never_fewer_sessions(w, model):
    counts = [sessions(B200, model, w, bits=bits) for bits in (16, 8, 6, 5, 4, 1.58)]
    assert counts == sorted(counts)
    kv = [sessions(B200, model, dataclasses.replace(w, kv_precision_bits=b)) for b in (16, 8, 4)]
    assert kv == sorted(kv)


def test_sessions_range_is_the_figure_at_the_typical_error_either_way():
    server = ServerSpec("8x-h100", 8, 6297, H100, 8)
    result = sessions_at_slo(server, LLAMA_70B, 8, 10.0, policy="calibrated")
    e = result.typical_error
    slower = sessions_at_slo(server, LLAMA_70B, 8, 10.0 * (1 + e), policy="calibrated")
    faster = sessions_at_slo(server, LLAMA_70B, 8, 10.0 / (1 + e), policy="calibrated")
    # The same layout (TP degree) as the figure, so the ends are at most the best layouts'.
    assert result.sessions_low <= slower.sessions and result.sessions_high <= faster.sessions
    assert result.sessions_low < result.sessions < result.sessions_high
    # An SLO near the replica's single-stream speed: the low end falls to 0, the range says
    # the figure is fragile there.
    single = Replica(H100, LLAMA_70B, 8, 8).rate_per_session(1, Workload(), K)
    near = sessions_at_slo(server, LLAMA_70B, 8, single * 0.95, policy="calibrated")
    assert near.sessions_low == 0 and near.sessions_high > near.sessions



def test_the_small_gemm_floor_can_be_charged_at_a_scaled_peak():
    """The floor is `half_batch` rows' worth of FLOPs per weight touched; `floor_peak_scale`
    charges those (and nothing else) at peak x scale. Scale 1 is the default arithmetic."""
    k = dataclasses.replace(PLAIN, half_batch=100.0)
    w = Workload(input_tokens=1000, output_tokens=250, slo_tps=10)
    plain = Replica(H100, LLAMA_70B, 2, 8)
    held = dataclasses.replace(plain, floor_peak_scale=4.0)
    assert plain.step_terms(16, w, k) == dataclasses.replace(
        plain, floor_peak_scale=1.0
    ).step_terms(16, w, k)
    floor_s = 2 * 70.55e9 * 100 / 2 / 1979e12  # touched params x half_batch, TP 2, 8-bit peak
    saved = plain.step_terms(16, w, k)["decode_compute_s"] - held.step_terms(16, w, k)[
        "decode_compute_s"
    ]
    assert saved == pytest.approx(floor_s * (1 - 1 / 4))
    assert held.rate_per_session(16, w, k) >= plain.rate_per_session(16, w, k)


def test_an_extrapolated_gpu_shows_the_floor_held_at_the_measured_band_too():
    """An H20 (74 FLOP per byte at 8-bit, the measured GPUs 306-848): the range spans the
    fitted floor extrapolated to it and the floor held at the band's edge."""
    specs = measurements.accelerator_specs()
    h20, h100 = specs["nvidia-h20"], specs["nvidia-h100-sxm5-80gb"]
    low, _ = measurements.measured_gpu_flop_per_byte()
    assert measurements.floor_peak_scale(h20) == pytest.approx(low / 74, rel=0.01)
    assert measurements.floor_peak_scale(h100) == 1.0
    server = ServerSpec("8x-h20", 8, 6500, h20, 8)
    result = sessions_at_slo(server, LLAMA_70B, 8, 20.0, policy="calibrated")
    replica = Replica(h20, LLAMA_70B, result.tp_degree, 8)
    held = dataclasses.replace(replica, floor_peak_scale=measurements.floor_peak_scale(h20))
    w = Workload.from_context(4096, slo_tps=20.0)
    per_replica, _ = held.sessions_at(w, calibrated_constants())
    held_sessions = per_replica * (8 // result.tp_degree)
    assert held_sessions > result.sessions
    assert result.sessions_high >= held_sessions
    assert f"; {held_sessions:,} with the small-batch floor held at the {low:,.0f} FLOP" in (
        result.explanation
    )
    ordinary = sessions_at_slo(
        ServerSpec("8x-h100", 8, 6297, h100, 8), LLAMA_70B, 8, 20.0, policy="calibrated"
    )
    assert "floor held" not in ordinary.explanation


def _lone_session_figures(w: Workload, figure: str) -> list[tuple[float, int]]:
    """(figure of one lone session, TP degree) for each layout of Llama 3.1 70B at 8-bit on
    8 x H100 whose weights and one session fit: `ttft_s` or `rate_per_session`."""
    k = calibrated_constants()
    replicas = [Replica(H100, LLAMA_70B, tp, 8) for tp in (1, 2, 4, 8)]
    return [
        (getattr(r, figure)(1, w, k), r.tp_degree) for r in replicas if r.sessions_by_memory(w) >= 1
    ]


def test_a_first_token_target_no_layout_meets_says_how_close_the_best_comes():
    server = ServerSpec("8x-h100", 8, 6297, H100, 8)
    strict = Workload(input_tokens=4000, output_tokens=256, ttft_s=0.1)
    result = sessions_at_slo(server, LLAMA_70B, 8, 10.0, policy="calibrated", workload=strict)
    assert (result.sessions, result.binding_limit) == (0, "ttft")
    # The layout shown is the one whose lone request gets its first token soonest (the most
    # accelerators per replica here), and the explanation says what that first token takes.
    fastest = min(_lone_session_figures(strict, "ttft_s"))
    assert result.tp_degree == fastest[1]
    assert f"First token in {fastest[0]:.2f} s at best (target 0.1 s" in result.explanation
    assert "binding: time to first token." in result.explanation
    assert "relax the target" in result.explanation
    # A target the server can meet: a figure, and no advice.
    loose = sessions_at_slo(
        server, LLAMA_70B, 8, 10.0, policy="calibrated",
        workload=dataclasses.replace(strict, ttft_s=0.3),
    )  # fmt: skip
    assert loose.sessions > 0 and "relax the target" not in loose.explanation


def test_an_slo_no_layout_meets_says_what_the_fastest_lone_session_gets():
    server = ServerSpec("8x-h100", 8, 6297, H100, 8)
    result = sessions_at_slo(server, LLAMA_70B, 8, 500.0, policy="calibrated")
    assert (result.sessions, result.binding_limit) == (0, "decode_rate")
    w = Workload.from_context(4096, slo_tps=500.0)  # the legacy default the call implies
    fastest = max(_lone_session_figures(w, "rate_per_session"))
    assert result.tp_degree == fastest[1]
    assert f"A lone session gets {fastest[0]:.1f} tok/s at best (SLO 500" in result.explanation
    assert "lower the SLO" in result.explanation


def meets_targets(replica, w, b):
    if replica.rate_per_session(b, w, K) < w.slo_tps:
        return False
    return w.ttft_s is None or replica.ttft_s(b, w, K) <= w.ttft_s


@settings(max_examples=80, deadline=None)
@given(
    w=workloads, model=models, tp=st.sampled_from([1, 2, 4, 8]),
    bits=st.sampled_from([4, 8, 16]), max_sequences=st.integers(1, 300),
)  # fmt: skip
def test_the_search_finds_the_largest_batch_that_meets_the_targets(
    w, model, tp, bits, max_sequences
):
    # A plain scan over every batch up to the cap: the search (a guess, galloping, then a
    # bisection) must land on the same boundary, whatever the guess was.
    replica = Replica(H100, model, tp, bits)
    found, binding = replica.sessions_at(w, K, max_sequences=max_sequences)
    cap = min(replica.sessions_by_memory(w), max_sequences)
    largest = max((b for b in range(1, cap + 1) if meets_targets(replica, w, b)), default=0)
    assert found == largest
    if 0 < found < cap:
        assert binding in {"decode_rate", "ttft"}
        assert not meets_targets(replica, w, found + 1)


def test_a_repeated_search_is_answered_from_the_memo():
    w = Workload(input_tokens=1000, output_tokens=250, slo_tps=10.25)
    first = Replica(H100, LLAMA_70B, 4, 8).sessions_at(w, K)
    hits = serving._sessions_at.cache_info().hits
    # An equal replica built anew (another server with the same accelerator) is the same key.
    again = Replica(H100, LLAMA_70B, 4, 8).sessions_at(w, K)
    assert again == first
    assert serving._sessions_at.cache_info().hits == hits + 1
    # Anything that changes the answer is part of the key: a stricter SLO is searched anew.
    stricter = Replica(H100, LLAMA_70B, 4, 8).sessions_at(dataclasses.replace(w, slo_tps=20), K)
    assert serving._sessions_at.cache_info().hits == hits + 1
    assert stricter[0] < first[0]
