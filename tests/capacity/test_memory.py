"""Weight and GQA-aware KV-cache arithmetic, checked by hand."""

import pytest

from planner.capacity import kv_bytes_per_token, weight_bytes
from planner.capacity.memory import kv_heads_per_device, sessions_fitting_in_memory
from tests.capacity.test_seed_study import (
    LLAMA_1B,
    LLAMA_3B,
    LLAMA_8B,
    LLAMA_70B,
    LLAMA_405B,
)

KIB = 1024


@pytest.mark.parametrize(
    ("model", "kib"),
    [(LLAMA_1B, 32), (LLAMA_3B, 112), (LLAMA_8B, 128), (LLAMA_70B, 320), (LLAMA_405B, 504)],
)
def test_kv_bytes_per_token_at_16_bit_count_kv_heads_not_attention_heads(model, kib):
    assert kv_bytes_per_token(model, 16) == kib * KIB
    # Counting all attention heads (the common GQA mistake) would be heads / kv_heads larger.
    assert kv_bytes_per_token(model, 16) * model.attention_heads / model.kv_heads > kib * KIB


def test_kv_bytes_scale_with_kv_precision():
    assert kv_bytes_per_token(LLAMA_8B, 8) == 64 * KIB


def test_kv_heads_split_under_tp_and_replicate_beyond_the_kv_head_count():
    assert [kv_heads_per_device(LLAMA_8B, tp) for tp in (1, 2, 4, 8)] == [8, 4, 2, 1]
    assert kv_heads_per_device(LLAMA_8B, 16) == 1  # replicated, never zero
    assert kv_bytes_per_token(LLAMA_70B, 16, tp_degree=8) == 40 * KIB


def test_weight_bytes_use_1e9_bytes_per_gb_and_format_overhead():
    assert weight_bytes(LLAMA_70B, 8) == pytest.approx(70.55e9)
    assert weight_bytes(LLAMA_70B, 4) == pytest.approx(35.275e9)
    assert weight_bytes(LLAMA_8B, 8, weight_overhead=0.0625) == pytest.approx(8.03e9 * 8.5 / 8)
    with pytest.raises(ValueError):
        weight_bytes(LLAMA_8B, 8, weight_overhead=-0.1)


def test_sessions_fitting_in_memory_8b_on_one_l40s():
    # 48 GB x 0.9 = 43.2 GB; minus 8.03 GB weights = 35.17 GB; / (128 KiB x 4096) = 65.5.
    kv_session = kv_bytes_per_token(LLAMA_8B, 16) * 4096
    assert sessions_fitting_in_memory(48, 8.03e9, kv_session, 0.10) == 65


def test_weights_that_do_not_fit_are_told_apart_from_no_room_for_kv():
    assert sessions_fitting_in_memory(48, 50e9, 1e9, 0.10) == -1
    assert sessions_fitting_in_memory(48, 43e9, 1e9, 0.10) == 0
