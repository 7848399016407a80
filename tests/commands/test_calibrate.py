import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inventory.models import Accelerator, ModelClass, PerformanceProfile, ServerModel
from planner.bridge.figures import capacity_figure


@pytest.mark.django_db
def test_calibrate_stores_bounded_efficiencies_and_reports_errors(seed_catalog):
    out = io.StringIO()
    call_command("calibrate", stdout=out)
    text = out.getvalue()
    for accelerator in ("ampereone-a192-32x", "nvidia-h100-sxm5-80gb", "nvidia-l40s"):
        acc = Accelerator.objects.get(name=accelerator)
        assert 0 < acc.bandwidth_efficiency <= 1 and 0 < acc.compute_efficiency <= 1
        assert "calibrate" in acc.calibration_note
        assert accelerator in text
    # One line per measured profile with a rate, and the summary.
    measured = PerformanceProfile.objects.filter(basis="measured", sessions_at_slo__gt=0)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "-bit / " in line]
    assert len(rows) == measured.count()
    assert "Leave-one-out" in text and "median" in text
    # Without measurements an accelerator keeps the documented defaults (empty fields).
    assert Accelerator.objects.get(name="amd-mi300x").bandwidth_efficiency is None
    # The estimator uses what was stored.
    figure = capacity_figure(
        ServerModel.objects.get(name="dgx-h100"),
        ModelClass.objects.get(name="llama-3.1-8b"),
        precision_bits=8, slo_tps=10.0, policy="batched",
    )  # fmt: skip
    stored = Accelerator.objects.get(name="nvidia-h100-sxm5-80gb")
    assert figure.bandwidth_efficiency == stored.bandwidth_efficiency
    assert figure.compute_efficiency == stored.compute_efficiency


@pytest.mark.django_db
def test_dry_run_stores_nothing_and_update_doc_rewrites_between_markers(seed_catalog, tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("before\n<!-- calibration:start -->\nold\n<!-- calibration:end -->\nafter\n")
    call_command("calibrate", "--dry-run", "--update-doc", str(doc), stdout=io.StringIO())
    assert Accelerator.objects.filter(bandwidth_efficiency__isnull=False).count() == 0
    text = doc.read_text()
    assert text.startswith("before\n") and text.endswith("after\n") and "old" not in text
    assert "| ampereone-a192 / llama-3.2-1b" in text


@pytest.mark.django_db
def test_calibrate_without_measurements_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="nothing to calibrate"):
        call_command("calibrate", stdout=io.StringIO())


@pytest.mark.django_db
def test_update_doc_without_markers_is_a_clear_error(seed_catalog, tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("no markers here\n")
    with pytest.raises(CommandError, match="markers"):
        call_command("calibrate", "--dry-run", "--update-doc", str(doc), stdout=io.StringIO())


@pytest.mark.django_db
def test_the_documented_calibration_table_is_what_the_command_prints(seed_catalog):
    """docs/capacity.md's table is generated (`calibrate --update-doc`), never typed: it must
    match what the command prints on the seed catalog."""
    import re
    from pathlib import Path

    from planner.management.commands.calibrate import END, START

    doc = (Path(__file__).resolve().parents[2] / "docs" / "capacity.md").read_text()
    documented = re.search(re.escape(START) + r"\n(.*?)\n" + re.escape(END), doc, re.S)
    out = io.StringIO()
    call_command("calibrate", "--dry-run", stdout=out)
    assert documented is not None
    assert documented.group(1).strip() == out.getvalue().strip()


def test_kept_out_only_recomputes_the_kept_out_sources_under_the_stored_fit(
    tmp_path, monkeypatch
):
    """`calibrate --report --kept-out` refits nothing: the constants and fitting tables stay as
    stored, the kept-out sources' errors are recomputed, and what it writes is the committed
    calibration.json and docs text (they were made by it)."""
    from planner.capacity import measurements
    from planner.management.commands.calibrate import SERVING_END, SERVING_START

    committed = measurements.CALIBRATION_PATH.read_text(encoding="utf-8")
    stored = tmp_path / "calibration.json"
    stored.write_text(committed, encoding="utf-8")
    monkeypatch.setattr(measurements, "CALIBRATION_PATH", stored)
    measurements.stored_calibration.cache_clear()
    doc = tmp_path / "capacity.md"
    doc.write_text(f"a\n{SERVING_START}\nSTALE\n{SERVING_END}\nb\n", encoding="utf-8")
    try:
        call_command("calibrate", "--report", "--kept-out", "--doc", str(doc),
                     stdout=io.StringIO())  # fmt: skip
        assert stored.read_text(encoding="utf-8") == committed
        text = doc.read_text(encoding="utf-8")
        assert "STALE" not in text and text.startswith("a\n") and text.endswith("b\n")
    finally:
        measurements.stored_calibration.cache_clear()
        measurements.uncertainty.cache_clear()


def test_kept_out_goes_with_report():
    with pytest.raises(CommandError, match="--report"):
        call_command("calibrate", "--kept-out", stdout=io.StringIO())
