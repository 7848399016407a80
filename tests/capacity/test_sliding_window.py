"""Sliding-window (local) attention: local layers hold, read and attend over at most W tokens;
every figure hand-computed, per layer. Models without a window stay bit for bit (the stored
calibration's tests cover that for the fitting rows)."""

import dataclasses

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from planner.capacity import ModelSpec, Replica, Workload, calibrated_constants, sessions_at_slo
from planner.capacity.memory import (
    attended_tokens,
    mean_attended_tokens,
    prefill_attention_tokens_squared,
    reserved_attended_tokens,
)
from tests.capacity.test_seed_study import H100, H100_SERVER
from tests.capacity.test_serving import PLAIN

# 4 layers, 2 KV heads of 64: at 16 bits one token is 2 (K, V) x 2 heads x 64 x 2 B = 512 B
# per layer, 2,048 B over the 4 layers. Two of the layers are local with a 100-token window.
TINY = ModelSpec("tiny", 1.0, 4, 256, 4, 2, 64, 16)
TINY_LOCAL = dataclasses.replace(TINY, sliding_window_tokens=100, sliding_window_layers=2)
PER_LAYER_TOKEN = 512

# Gemma 3 27B as the seed catalog has it: 62 layers, 16 KV heads of 128, 52 local (W 1,024).
GEMMA_3_27B = ModelSpec(
    "gemma-3-27b", 27.0, 62, 5376, 32, 16, 128, 16,
    sliding_window_tokens=1024, sliding_window_layers=52,
)  # fmt: skip
GEMMA_FULL = dataclasses.replace(
    GEMMA_3_27B, sliding_window_tokens=None, sliding_window_layers=None
)


def test_kv_bytes_per_session_full_reservation_per_layer():
    # 900 prompt + 100 output tokens, reserved in full: the two global layers hold 1,000 tokens
    # each, the two local ones 100 each.
    w = Workload(input_tokens=900, output_tokens=100, kv_reservation="full")
    by_hand = (1000 + 1000 + 100 + 100) * PER_LAYER_TOKEN  # 1,126,400 B
    assert Replica(H100, TINY_LOCAL, 1, 16).kv_bytes_per_session_per_device(w) == by_hand
    assert Replica(H100, TINY, 1, 16).kv_bytes_per_session_per_device(w) == 4 * 1000 * 512


def test_paged_occupancy_is_the_mean_of_min_position_window_over_the_request():
    # 64 prompt + 256 output tokens with W = 128: the context grows from 64 to 320 tokens.
    # A global layer holds 64 + 256 / 2 = 192 on average. A local layer holds the context up
    # to 128 tokens, then 128: the mean of min(x, 128) over x in [64, 320] is
    # ((128^2 - 64^2) / 2 + 128 x (320 - 128)) / 256 = (6,144 + 24,576) / 256 = 120 tokens
    # (min(192, 128) = 128 would overstate it).
    model = dataclasses.replace(TINY_LOCAL, sliding_window_tokens=128)
    w = Workload(input_tokens=64, output_tokens=256)
    assert mean_attended_tokens(model, w) == (2 * 192 + 2 * 120) / 4  # 156 per layer
    assert reserved_attended_tokens(model, w) == 156
    bytes_by_hand = (192 + 192 + 120 + 120) * PER_LAYER_TOKEN  # 319,488 B
    assert Replica(H100, model, 1, 16).kv_bytes_per_session_per_device(w) == bytes_by_hand
    # The window past the whole request, or the request past the window from the start.
    assert mean_attended_tokens(TINY_LOCAL, Workload(input_tokens=10, output_tokens=80)) == 50
    long = Workload(input_tokens=5000, output_tokens=1000)
    assert mean_attended_tokens(TINY_LOCAL, long) == (2 * 5500 + 2 * 100) / 4


def test_decode_reads_and_attends_over_the_clipped_context():
    # 900 + 200 tokens: global layers read 1,000 on average, local ones 100 (the context never
    # drops below the window), so a step reads (2 x 1,000 + 2 x 100) x 512 B per session.
    w = Workload(input_tokens=900, output_tokens=200, slo_tps=1)
    full = Replica(H100, TINY, 1, 16).step_terms(8, w, PLAIN)
    local = Replica(H100, TINY_LOCAL, 1, 16).step_terms(8, w, PLAIN)
    kv_saved = 8 * (4 * 1000 - (2 * 1000 + 2 * 100)) * PER_LAYER_TOKEN
    assert (full["memory_s"] - local["memory_s"]) * H100.memory_bandwidth_gbps * 1e9 == (
        pytest.approx(kv_saved)
    )
    # Attention FLOPs: 8 x 4 FLOP x (layer-tokens attended) x heads x head_dim.
    flops_saved = 8 * 4 * (4 * 1000 - 2200) * 4 * 64
    peak = Replica(H100, TINY, 1, 16).peak_tflops * 1e12
    assert (full["decode_compute_s"] - local["decode_compute_s"]) * peak == (
        pytest.approx(flops_saved)
    )


def test_prefill_attention_of_a_local_layer_is_2pw_minus_w_squared():
    # p = 1,000, W = 100: a global layer's causal attention counts p^2 = 1,000,000, a local
    # one W^2 / 2 pairs over the first 100 tokens plus 100 for each of the other 900, twice:
    # 10,000 + 180,000 = 190,000 = 2 x 1,000 x 100 - 100^2.
    assert prefill_attention_tokens_squared(TINY_LOCAL, 1000) == 2 * 1_000_000 + 2 * 190_000
    assert prefill_attention_tokens_squared(TINY_LOCAL, 80) == 4 * 80 * 80  # inside the window
    assert prefill_attention_tokens_squared(TINY, 1000) == 4 * 1_000_000
    w = Workload(input_tokens=1000, output_tokens=100)
    per_request = 2 * 1e9 * 1000 + 2 * (2 * 1_000_000 + 2 * 190_000) * 4 * 64
    replica = Replica(H100, TINY_LOCAL, 1, 16)
    assert replica.prefill_s(w, PLAIN) == pytest.approx(per_request / (replica.peak_tflops * 1e12))


def test_gemma_3_27b_at_32k_holds_about_a_fifth_of_the_kv_cache():
    # 10 global layers at 32,768 tokens and 52 local at 1,024: 6,144 tokens per layer on
    # average, 5.3x less than counting all 62 layers over the whole context.
    assert attended_tokens(GEMMA_3_27B, 32768) == (10 * 32768 + 52 * 1024) / 62 == 6144
    result = sessions_at_slo(H100_SERVER, GEMMA_3_27B, 8, 10, 32768, policy="batched")
    full = sessions_at_slo(H100_SERVER, GEMMA_FULL, 8, 10, 32768, policy="batched")
    assert full.kv_gb_per_session / result.kv_gb_per_session == pytest.approx(32768 / 6144)


@pytest.mark.parametrize("policy", ["batched", "calibrated"])
def test_sessions_by_memory_rise_at_long_context(policy):
    long = sessions_at_slo(H100_SERVER, GEMMA_3_27B, 8, 10, 32768, policy=policy)
    full = sessions_at_slo(H100_SERVER, GEMMA_FULL, 8, 10, 32768, policy=policy)
    # 5.3x less KV per session; each policy picks its own layout (TP) per model, so the
    # server-wide figures move by less than the per-session ratio.
    assert long.limits["sessions_by_memory"] > 3 * full.limits["sessions_by_memory"]
    assert long.sessions > full.sessions
    # One replica (TP 1, 8-bit weights), same layout both ways: free memory / KV per session.
    w = Workload(input_tokens=32768 - 256, output_tokens=256, kv_reservation="full")
    local, whole = Replica(H100, GEMMA_3_27B, 1, 8), Replica(H100, GEMMA_FULL, 1, 8)
    free = 80e9 * 0.9 - 27e9
    assert local.sessions_by_memory(w) == int(free // local.kv_bytes_per_session_per_device(w))
    assert local.sessions_by_memory(w) == int(free / (2 * 16 * 128 * 2 * 62 * 6144))  # 14
    assert whole.sessions_by_memory(w) == int(free / (2 * 16 * 128 * 2 * 62 * 32768))  # 2


@pytest.mark.parametrize("reservation", ["paged", "full"])
def test_nothing_changes_while_the_context_stays_inside_the_window(reservation):
    # 700 + 300 tokens never pass Gemma's 1,024-token window: every figure is the same.
    w = Workload(input_tokens=700, output_tokens=300, kv_reservation=reservation)
    k = calibrated_constants()
    local, full = Replica(H100, GEMMA_3_27B, 1, 8), Replica(H100, GEMMA_FULL, 1, 8)
    assert local.sessions_by_memory(w) == full.sessions_by_memory(w)
    assert local.step_terms(64, w, k) == full.step_terms(64, w, k)
    assert local.sessions_at(w, k) == full.sessions_at(w, k)
    inside = sessions_at_slo(H100_SERVER, GEMMA_3_27B, 8, 10, 1024, policy="batched")
    assert inside == sessions_at_slo(H100_SERVER, GEMMA_FULL, 8, 10, 1024, policy="batched")


def test_a_model_without_a_window_keeps_its_figures_bit_for_bit():
    w = Workload(input_tokens=3000, output_tokens=500)
    assert mean_attended_tokens(TINY, w) == w.mean_context_tokens
    assert reserved_attended_tokens(TINY, w) == w.kv_tokens_reserved
    assert attended_tokens(TINY, 4096) == 4096
    zero = dataclasses.replace(TINY, sliding_window_layers=0)  # 0 local layers: no window
    assert Replica(H100, zero, 1, 16).step_terms(4, w, PLAIN) == Replica(
        H100, TINY, 1, 16
    ).step_terms(4, w, PLAIN)


@settings(max_examples=60, deadline=None)
@given(
    window=st.integers(1, 20_000),
    local=st.integers(1, 62),
    input_tokens=st.integers(1, 40_000),
    output_tokens=st.integers(1, 4_000),
    slo=st.sampled_from([5.0, 10.0, 30.0]),
    reservation=st.sampled_from(["paged", "full"]),
)
@example(window=1024, local=52, input_tokens=32000, output_tokens=768, slo=10.0,
         reservation="paged")  # fmt: skip
def test_adding_a_window_never_gives_fewer_sessions(
    window, local, input_tokens, output_tokens, slo, reservation
):
    model = dataclasses.replace(
        GEMMA_FULL, sliding_window_tokens=window, sliding_window_layers=local
    )
    w = Workload(input_tokens, output_tokens, slo, kv_reservation=reservation)
    k = calibrated_constants()
    with_window, _ = Replica(H100, model, 2, 8).sessions_at(w, k)
    without, _ = Replica(H100, GEMMA_FULL, 2, 8).sessions_at(w, k)
    assert with_window >= without
    assert Replica(H100, model, 2, 8).sessions_by_memory(w) >= Replica(
        H100, GEMMA_FULL, 2, 8
    ).sessions_by_memory(w)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sliding_window_tokens": 128}, "go together"),
        ({"sliding_window_layers": 2}, "go together"),
        ({"sliding_window_tokens": 128, "sliding_window_layers": 5}, "between 0 and layers"),
        ({"sliding_window_tokens": 0, "sliding_window_layers": 2}, "positive"),
        ({"sliding_window_tokens": 128, "sliding_window_layers": -1}, "between 0 and layers"),
    ],
)
def test_model_spec_rejects_a_half_or_impossible_window(changes, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(TINY, **changes)


def test_from_mapping_picks_the_window_up():
    row = {**dataclasses.asdict(TINY_LOCAL), "vendor": "ignored"}
    assert ModelSpec.from_mapping(row) == TINY_LOCAL
