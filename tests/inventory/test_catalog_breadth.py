"""The seed catalog holds every accelerator and server of the reference sheet, with sources,
the corrected rows beside the study's, and enough cited measurements to calibrate."""
import pytest

from inventory.models import Accelerator, ModelClass, PerformanceProfile, ServerModel
from inventory.seed import seed_data
from planner.bridge.figures import capacity_figure, measured_profiles

REFERENCE_ACCELERATORS = {
    # name: (memory GB, bandwidth GB/s, FP16 TFLOPS, 8-bit TFLOPS, TDP W), the reference sheet
    "nvidia-h100-sxm5-80gb": (80, 3350, 989, 1979, 700),
    "nvidia-h200-sxm": (141, 4800, 989, 1979, 700),
    "nvidia-l40s": (48, 864, 362, 733, 350),
    "nvidia-a100-sxm4-80gb": (80, 2039, 312, 624, 400),
    "nvidia-b200": (180, 8000, 2250, 4500, 1000),
    "amd-mi300x": (192, 5300, 1307, 2615, 750),
    "nvidia-h100-pcie-80gb": (80, 2000, 756, 1513, 350),
}
REFERENCE_SERVERS = {
    # name: (U, power W), the reference sheet
    "dgx-h100": (8, 10200),
    "dgx-h200": (8, 10200),
    "dgx-a100": (6, 6500),
    "dgx-h100-power-capped": (8, 7140),
}


@pytest.mark.django_db
def test_every_reference_accelerator_is_in_the_catalog(seed_catalog):
    for name, figures in REFERENCE_ACCELERATORS.items():
        acc = Accelerator.objects.get(name=name)
        got = (acc.memory_gb, acc.memory_bandwidth_gbps, acc.tflops_16, acc.tflops_8, acc.tdp_w)
        assert got == figures, name
        assert acc.source, name
    for name, (u, power_w) in REFERENCE_SERVERS.items():
        server = ServerModel.objects.get(name=name)
        assert (server.u_height, server.power_w, server.accelerator_count) == (u, power_w, 8)
        assert "splitwise-sim" in server.notes or "DGX H100" in server.notes
    for accelerator in ("nvidia-b200", "amd-mi300x", "nvidia-h100-pcie-80gb", "nvidia-h200-sxm"):
        assert ServerModel.objects.filter(accelerator__name=accelerator).exists(), accelerator
    assert all(s.notes for s in ServerModel.objects.all())


@pytest.mark.django_db
def test_corrected_rows_sit_beside_the_studys(seed_catalog):
    assert ServerModel.objects.get(name="8x-l40s").power_w == 3097
    assert ServerModel.objects.get(name="8x-l40s-3497w").power_w == 2 * 270 + 8 * 350 + 157
    study_h100 = Accelerator.objects.get(name="nvidia-h100-sxm5-80gb")
    corrected = Accelerator.objects.get(name="nvidia-h100-sxm5-80gb-1g10gb")
    assert study_h100.mig_slice_memory_gb is None and corrected.mig_slice_memory_gb == 10
    assert {p["study"] for p in seed_data()["corrections"]["pairs"]} == {"8x-l40s", "8x-h100-sxm"}


@pytest.mark.django_db
def test_every_catalog_pair_gets_a_labelled_figure(seed_catalog):
    servers = ServerModel.objects.select_related("accelerator")
    for server in servers:
        for model in ModelClass.objects.all():
            for policy in ("study", "batched"):
                figure = capacity_figure(
                    server, model, precision_bits=8, slo_tps=10.0, policy=policy
                )
                assert figure.label in ("measured", "study rule", "estimated")
                assert figure.sessions >= 0 and figure.explanation


@pytest.mark.django_db
def test_published_measurements_are_cited_and_enough_to_calibrate(seed_catalog):
    measured = PerformanceProfile.objects.filter(basis="measured", sessions_at_slo__gt=0)
    assert measured.count() >= 12
    kinds = set(measured.values_list("server_model__accelerator__kind", flat=True))
    assert kinds == {"cpu", "gpu"}
    for profile in measured:
        assert "http" in profile.source or "Seed study 003" in profile.source, profile


@pytest.mark.django_db
def test_a_measurement_at_a_shorter_context_does_not_stand_for_a_longer_one(seed_catalog):
    server = ServerModel.objects.get(name="dgx-h100")
    model = ModelClass.objects.get(name="llama-2-7b")
    short = capacity_figure(server, model, precision_bits=8, slo_tps=10.0, context_tokens=1024)
    assert short.label == "measured" and short.sessions == 896  # best lower bound that applies
    long = capacity_figure(server, model, precision_bits=8, slo_tps=10.0, context_tokens=4096)
    assert long.label == "study rule"


@pytest.mark.django_db
def test_on_the_catalog_a_higher_slo_never_raises_sessions_and_estimates_are_monotone(
    seed_catalog,
):
    """The pure core's hypothesis properties (tests/capacity/test_batched.py) hold through the
    product path too, on every catalog pair: measured figures mixed in included for the SLO;
    for precision, on estimates (a measurement exists at one precision only)."""
    # The measured profiles once per precision (as the capacity page reads them), not one query
    # per figure: the same figures, 30,000 fewer queries.
    profiles = {bits: measured_profiles(bits) for bits in (16, 8, 4)}
    models = list(ModelClass.objects.all())
    for server in ServerModel.objects.select_related("accelerator"):
        for model in models:
            for policy in ("study", "batched"):
                figures = [
                    capacity_figure(server, model, precision_bits=8, slo_tps=slo, policy=policy,
                                    profiles=profiles[8])
                    for slo in (5.0, 10.0, 20.0, 40.0)
                ]
                sessions = [f.sessions for f in figures]
                assert sessions == sorted(sessions, reverse=True), (server, model, policy)
            by_bits = [
                capacity_figure(server, model, precision_bits=bits, slo_tps=25.0, policy="batched",
                                profiles=profiles[bits])
                for bits in (16, 8, 4)
            ]
            if all(f.label == "estimated" for f in by_bits):
                sessions = [f.sessions for f in by_bits]
                assert sessions == sorted(sessions), (server, model)


def test_every_seed_accelerator_has_an_architecture_family():
    """Uncertainty pools and the ROCm factor go by family: a new row must not fall into
    "other" (an AMD GPU there would be estimated at CUDA's efficiency)."""
    from planner.capacity.specs import accelerator_family

    for row in seed_data()["accelerators"]:
        family = accelerator_family(row["name"])
        assert family != "other", row["name"]
        assert (family == "cpu") == (row["kind"] == "cpu"), (row["name"], family)
        if row["vendor"] == "AMD" and row["kind"] == "gpu":
            assert family.startswith("amd-"), row["name"]
