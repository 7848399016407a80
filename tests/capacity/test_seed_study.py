"""The seed rack study (shared/seeds/003) under the "study" policy: its 15 per-server figures.

The specs below are the seed's hardware and Llama 3.x shapes (reference/hardware-and-models.md);
the other capacity tests import them.
"""

import dataclasses

import pytest

from planner.capacity import (
    AcceleratorSpec,
    Measurement,
    ModelSpec,
    ServerSpec,
    sessions_at_slo,
)
from tests.study_cells import STUDY_SESSIONS_PER_RACK

H100 = AcceleratorSpec(
    name="nvidia-h100-sxm5-80gb",
    kind="gpu",
    memory_gb=80,
    memory_bandwidth_gbps=3350,
    tflops_16=989,
    tflops_8=1979,
    tdp_w=700,
    mig_max_instances=7,
    mig_slice_memory_gb=None,  # the study's 80 / 7 assumption
    interconnect_gbps=450,  # NVLink 4: 900 GB/s bidirectional per GPU
)
L40S = AcceleratorSpec(
    name="nvidia-l40s",
    kind="gpu",
    memory_gb=48,
    memory_bandwidth_gbps=864,
    tflops_16=362,
    tflops_8=733,
    tdp_w=350,
)
AMPEREONE = AcceleratorSpec(
    name="ampereone-a192-32x",
    kind="cpu",
    memory_gb=512,
    memory_bandwidth_gbps=332.8,
    tflops_16=19.7,
    tflops_8=39.3,
    tdp_w=350,
)
AMPERE_SERVER = ServerSpec("ampereone-a192", 1, 577, AMPEREONE, 1)
L40S_SERVER = ServerSpec("8x-l40s", 4, 3097, L40S, 8)
H100_SERVER = ServerSpec("8x-h100-sxm", 8, 6297, H100, 8)
SERVERS = (AMPERE_SERVER, L40S_SERVER, H100_SERVER)

LLAMA_1B = ModelSpec("llama-3.2-1b", 1.236, 16, 2048, 32, 8, 64)
LLAMA_3B = ModelSpec("llama-3.2-3b", 3.213, 28, 3072, 24, 8, 128)
LLAMA_8B = ModelSpec("llama-3.1-8b", 8.03, 32, 4096, 32, 8, 128)
LLAMA_70B = ModelSpec("llama-3.1-70b", 70.55, 80, 8192, 64, 8, 128)
LLAMA_405B = ModelSpec("llama-3.1-405b", 405.85, 126, 16384, 128, 8, 128)
MODELS = (LLAMA_1B, LLAMA_3B, LLAMA_8B, LLAMA_70B, LLAMA_405B)

# The seed's measured AmpereOne profiles (n/a = 0 sessions).
AMPERE_MEASURED = {
    "llama-3.2-1b": 64,
    "llama-3.2-3b": 32,
    "llama-3.1-8b": 8,
    "llama-3.1-70b": 0,
    "llama-3.1-405b": 0,
}

STUDY_SESSIONS_PER_SERVER = {
    "ampereone-a192": (64, 32, 8, 0, 0),
    "8x-l40s": (8, 8, 8, 4, 0),
    "8x-h100-sxm": (56, 56, 56, 8, 1),
}


def ampere_measurement(model: ModelSpec) -> Measurement:
    return Measurement(
        AMPERE_SERVER.name, model.name, 8, AMPERE_MEASURED[model.name], 10.0, "seed 003"
    )


def measurement_for(server: ServerSpec, model: ModelSpec) -> Measurement | None:
    return ampere_measurement(model) if server is AMPERE_SERVER else None


CELLS = [(server, index, model) for server in SERVERS for index, model in enumerate(MODELS)]


@pytest.mark.parametrize(
    ("server", "index", "model"), CELLS, ids=[f"{s.name}-{m.name}" for s, _, m in CELLS]
)
def test_study_policy_reproduces_the_seed_study(server, index, model):
    result = sessions_at_slo(server, model, 8, 10.0, measured=measurement_for(server, model))
    assert result.sessions == STUDY_SESSIONS_PER_SERVER[server.name][index]
    assert result.policy == "study"
    expected_label = "measured" if server is AMPERE_SERVER else "study rule"
    assert result.label == expected_label


def test_70b_on_l40s_needs_two_gpus_per_replica():
    result = sessions_at_slo(L40S_SERVER, LLAMA_70B)
    assert (result.tp_degree, result.replicas_per_server, result.sessions) == (2, 4, 4)
    assert result.binding_limit == "partitioning_rule"
    assert result.weight_gb_per_replica == pytest.approx(70.55)


def test_405b_does_not_fit_eight_l40s_at_8_bit_but_does_at_4_bit():
    at_8 = sessions_at_slo(L40S_SERVER, LLAMA_405B, 8)
    assert at_8.sessions == 0
    assert at_8.binding_limit == "does_not_fit"
    assert "405.85 GB" in at_8.explanation
    at_4 = sessions_at_slo(L40S_SERVER, LLAMA_405B, 4)  # 202.9 GB > 4 x 48: needs all 8
    assert (at_4.sessions, at_4.tp_degree) == (1, 8)


def test_4_bit_study_figures():
    assert sessions_at_slo(L40S_SERVER, LLAMA_70B, 4).sessions == 8  # 35.3 GB fits one L40S
    assert sessions_at_slo(H100_SERVER, LLAMA_70B, 4).sessions == 8  # 35.3 GB > 11.4 GB slice
    assert sessions_at_slo(H100_SERVER, LLAMA_405B, 4).tp_degree == 4  # 202.9 GB <= 320 GB
    assert sessions_at_slo(H100_SERVER, LLAMA_405B, 4).sessions == 2
    assert sessions_at_slo(H100_SERVER, LLAMA_8B, 4).sessions == 56


def test_mig_uses_the_smallest_slice_under_the_study_assumption():
    result = sessions_at_slo(H100_SERVER, LLAMA_8B)
    assert result.mig_slices_used == 7
    assert result.replicas_per_server == 56
    assert result.binding_limit == "partitioning_rule"
    assert result.limits["mig_slice_memory_gb"] == pytest.approx(80 / 7)
    assert "MIG" in result.explanation


def test_70b_on_h100_runs_one_session_per_gpu_without_mig():
    result = sessions_at_slo(H100_SERVER, LLAMA_70B)
    assert (result.tp_degree, result.mig_slices_used, result.sessions) == (1, 0, 8)
    assert "MIG is not used" in result.explanation


def test_405b_on_h100_takes_all_eight_gpus():
    result = sessions_at_slo(H100_SERVER, LLAMA_405B)
    assert (result.tp_degree, result.replicas_per_server, result.sessions) == (8, 1, 1)


def test_corrected_h100_slice_of_10_gb_still_holds_8b():
    corrected = dataclasses.replace(H100, mig_slice_memory_gb=10.0)  # 1g.10gb
    server = dataclasses.replace(H100_SERVER, accelerator=corrected)
    assert sessions_at_slo(server, LLAMA_8B).sessions == 56  # 8.03 GB <= 10 GB
    # GGUF-style Q8_0 overhead (8.5 bits): 8.53 GB still fits a 10 GB slice.
    assert sessions_at_slo(server, LLAMA_8B, weight_overhead=0.0625).sessions == 56
    # A slice of 8 GB would not: one session per GPU.
    tight = dataclasses.replace(H100, mig_slice_memory_gb=8.0)
    tight_server = dataclasses.replace(H100_SERVER, accelerator=tight)
    assert sessions_at_slo(tight_server, LLAMA_8B).sessions == 8


def test_cpu_without_a_measurement_gets_no_study_figure():
    result = sessions_at_slo(AMPERE_SERVER, LLAMA_1B)
    assert result.sessions == 0
    assert result.label == "study rule"
    assert result.binding_limit == "does_not_fit"
    assert "no measured figure" in result.explanation


def test_measured_figure_carries_its_source_and_power_per_session():
    result = sessions_at_slo(AMPERE_SERVER, LLAMA_1B, measured=ampere_measurement(LLAMA_1B))
    assert result.binding_limit == "measured"
    assert result.source == "seed 003"
    assert result.power_per_session_w == pytest.approx(577 / 64)
    assert result.per_session_tps == 10.0


def test_seed_rack_totals_follow_from_per_server_figures():
    # 40U and 11.5 kW usable: power binds for all three servers (19, 3 and 1 per rack).
    servers_per_rack = {
        server.name: min(40 // server.u_height, int(11_500 // server.power_w)) for server in SERVERS
    }
    assert servers_per_rack == {"ampereone-a192": 19, "8x-l40s": 3, "8x-h100-sxm": 1}
    totals = {
        (server.name, model.name): servers_per_rack[server.name]
        * sessions_at_slo(server, model, measured=measurement_for(server, model)).sessions
        for server, _, model in CELLS
    }
    assert totals == STUDY_SESSIONS_PER_RACK
