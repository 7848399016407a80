"""The 2026 catalog: every row validates, every figure has its source, model parameter counts
follow from their architecture figures (placement on rack types: tests/bridge)."""
import re

import pytest

from inventory.architecture import parameter_count
from inventory.models import Accelerator, ModelClass, RackType, ServerModel
from inventory.seed import seed_data

CATALOG_MODELS = (Accelerator, ServerModel, RackType, ModelClass)
# A row names its sources when its text carries a URL or names a document (a datasheet, user
# guide, model card, the seed study, the reference sheet's upstream splitwise-sim); generic
# rows cite the study's roll-up and the accelerator's row.
CITATION = re.compile(
    r"https?://|seed study|splitwise-sim|datasheet|data sheet|user guide|model card",
    re.IGNORECASE,
)


@pytest.mark.django_db
def test_every_row_validates(seed_catalog):
    for model in CATALOG_MODELS:
        for row in model.objects.all():
            row.full_clean()


def test_every_seed_row_has_a_source_naming_where_its_figures_come_from():
    data = seed_data()
    for table, text_field in (
        ("accelerators", "source"),
        ("server_models", "notes"),
        ("rack_types", "source"),
        ("model_classes", "source"),
    ):
        for row in data[table]:
            text = row.get(text_field, "")
            assert text.strip(), (table, row["name"])
            if table != "rack_types":  # rack classes are designs: their source is the rule
                assert CITATION.search(text), (table, row["name"])
    for row in data["server_models"]:
        if row.get("price_usd") is not None:
            assert row["price_source"].strip() and row["price_date"], row["name"]
        if row.get("typical_power_w") is not None:
            assert "typical" in row["notes"].lower() or "draw" in row["notes"].lower(), row["name"]


def test_every_derived_or_assumed_figure_is_marked():
    # A figure computed from others says so: a row whose text shows arithmetic marks it.
    for table in ("accelerators", "server_models", "rack_types"):
        for row in seed_data()[table]:
            text = row.get("source") or row.get("notes")
            if re.search(r"\d\s*x\s*\d", text) and " = " in text:
                assert "[derived]" in text or "roll-up" in text, (table, row["name"])


@pytest.mark.parametrize(
    "row", seed_data()["model_classes"], ids=lambda row: row["name"]
)
def test_parameter_count_follows_from_the_architecture(row):
    model = ModelClass(**{k: v for k, v in row.items() if k != "name"}, name=row["name"])
    counted = parameter_count(model)
    assert counted.total / 1e9 == pytest.approx(row["parameters_b"], rel=0.02)
    if row.get("active_parameters_b"):
        # Publishers count the input embedding in the active figure or leave it out
        # (DeepSeek and gpt-oss leave it out, Qwen and Llama 4 count it), or leave out the
        # output projection too (Z.ai's GLM-4.5 counts neither matrix): one must match.
        embedding = row["vocab_size"] * row["hidden_size"]
        candidates = (
            counted.active / 1e9,
            (counted.active + embedding) / 1e9,
            (counted.active - embedding) / 1e9,
        )
        assert min(abs(c / row["active_parameters_b"] - 1) for c in candidates) <= 0.02


def test_catalog_breadth():
    data = seed_data()
    servers = {row["name"] for row in data["server_models"]}
    for short in (
        "h100-sxm", "h100-pcie", "h100-nvl", "h200-sxm", "h200-nvl", "b200", "b300", "l4",
        "l40s", "rtx-pro-6000", "a100-40gb", "a100-80gb", "mi300x", "mi325x", "mi350x", "mi355x",
        "gaudi3", "a10", "l40", "h20", "gaudi2", "mi210", "rtx-6000-ada", "a100-pcie-80gb", "t4",
        "v100-sxm2-32gb",
    ):
        for count in (1, 2, 4, 8):
            assert f"{count}x-{short}" in servers, (count, short)
    assert {"1x-gh200", "2x-gh200", "4x-gh200", "gb200-nvl72", "gb300-nvl72"} <= servers
    cpus = {row["name"] for row in data["accelerators"] if row["kind"] == "cpu"}
    assert {"ampereone-a192-32x", "ampere-altra-max-m128-30", "intel-xeon-6980p",
            "amd-epyc-9755", "amd-epyc-9554", "nvidia-grace"} <= cpus
    assert {"1x-epyc-9554", "2x-epyc-9554"} <= servers
    moe = [row for row in data["model_classes"] if row.get("expert_count")]
    assert len(moe) >= 9
    assert {row["name"] for row in data["model_classes"]} >= {
        "smollm2-135m", "mistral-nemo-12b", "deepseek-v3", "gpt-oss-120b", "qwen3-30b-a3b",
        "llama-4-maverick", "mixtral-8x22b", "phi-4", "gemma-3-27b",
        "qwen3-0.6b", "qwen3-1.7b", "qwen2.5-0.5b", "qwen2.5-1.5b", "qwen2.5-3b",
        "kimi-k2", "minimax-m2", "glm-4.6",
    }


@pytest.mark.django_db
def test_cpu_rows_carry_what_the_estimator_needs(seed_catalog):
    for cpu in Accelerator.objects.filter(kind="cpu"):
        assert cpu.cores and cpu.clock_ghz and cpu.vector_flops_per_cycle, cpu.name
        assert cpu.vector_unit, cpu.name
        # Channels x MT/s, where given, is the bandwidth the row states.
        if cpu.memory_channels:
            derived = cpu.memory_channels * cpu.memory_mts * 8 / 1000
            assert derived == pytest.approx(cpu.memory_bandwidth_gbps, rel=0.01), cpu.name
    assert Accelerator.objects.get(name="intel-xeon-6980p").matrix_flops_per_cycle == 1024
