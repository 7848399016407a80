"""Calibration from the catalog: measured profiles -> `CalibrationCase`s -> fitted efficiencies
stored on each `Accelerator`, with the estimate-vs-measured error per profile.

The fitting is pure (`planner.capacity.calibration`); this module only turns rows into cases,
stores results and formats the report. One accelerator (hardware plus serving stack) at a time.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from inventory.models import Accelerator, PerformanceProfile
from planner.bridge.figures import model_spec, server_spec
from planner.capacity import Efficiencies, default_efficiencies
from planner.capacity.calibration import (
    CalibrationCase,
    CaseError,
    evaluate,
    fit_efficiencies,
    identified_efficiencies,
    leave_one_out,
)
from planner.capacity.defaults import DEFAULT_CONTEXT_TOKENS, DEFAULT_KV_PRECISION_BITS


@dataclass(frozen=True)
class ProfileError:
    """One measured profile: the estimate before calibration, after (in sample) and left out."""

    profile: PerformanceProfile
    case: CalibrationCase
    before: CaseError
    after: CaseError
    left_out: CaseError | None  # None when the accelerator has a single measurement


@dataclass
class AcceleratorCalibration:
    accelerator: Accelerator
    defaults: Efficiencies
    fitted: Efficiencies
    identified: tuple[bool, bool]
    errors: list[ProfileError] = field(default_factory=list)

    def note(self) -> str:
        seen = [
            name
            for name, ok in zip(("bandwidth", "compute"), self.identified, strict=True)
            if ok
        ]
        return (
            f"Fitted by `manage.py calibrate` on {len(self.errors)} measured profile(s); "
            f"identified by the data: {', '.join(seen) or 'none'} (the other keeps its default)."
        )


def profile_case(profile: PerformanceProfile) -> CalibrationCase:
    """A measured profile as a calibration point: sessions / replicas at the SLO rate."""
    server = profile.server_model
    # Efficiencies on the row must not leak into the case: the fit supplies its own.
    spec = server_spec(server)
    return CalibrationCase.from_sessions(
        spec,
        model_spec(profile.model_class),
        profile.precision_bits,
        profile.sessions_at_slo,
        profile.slo_tps,
        tp_degree=profile.tp_degree or 1,
        context_tokens=profile.context_tokens or DEFAULT_CONTEXT_TOKENS,
        kv_precision_bits=profile.kv_precision_bits or DEFAULT_KV_PRECISION_BITS,
        weight_overhead=profile.weight_overhead or 0.0,
        label=f"{server.name} / {profile.model_class.name} / {profile.precision_bits}-bit "
        f"/ {profile.slo_tps:g} tok/s",
    )


def measured_profiles(accelerator: Accelerator) -> list[PerformanceProfile]:
    """Measured profiles with a rate to fit (a figure of 0 sessions carries none)."""
    return list(
        PerformanceProfile.objects.filter(
            server_model__accelerator=accelerator,
            basis=PerformanceProfile.Basis.MEASURED,
            sessions_at_slo__gt=0,
        )
        .select_related("server_model__accelerator", "model_class")
        .order_by("server_model__name", "model_class__parameters_b", "slo_tps")
    )


def calibrate_accelerator(accelerator: Accelerator) -> AcceleratorCalibration | None:
    """Fit one accelerator's efficiencies; None when it has no measured profile."""
    profiles = measured_profiles(accelerator)
    if not profiles:
        return None
    cases = [profile_case(p) for p in profiles]
    defaults = default_efficiencies(accelerator.kind)
    fitted = fit_efficiencies(cases, defaults)
    before = evaluate(cases, defaults)
    after = evaluate(cases, fitted)
    left_out = leave_one_out(cases, defaults) if len(cases) >= 2 else [None] * len(cases)
    return AcceleratorCalibration(
        accelerator=accelerator,
        defaults=defaults,
        fitted=fitted,
        identified=identified_efficiencies(cases, fitted),
        errors=[
            ProfileError(p, c, b, a, lo)
            for p, c, b, a, lo in zip(profiles, cases, before, after, left_out, strict=True)
        ],
    )


def calibrate_catalog(store: bool = True) -> list[AcceleratorCalibration]:
    """Calibrate every accelerator with measurements; store the fits unless `store` is False."""
    results = []
    for accelerator in Accelerator.objects.order_by("name"):
        result = calibrate_accelerator(accelerator)
        if result is None:
            continue
        results.append(result)
        if store:
            accelerator.bandwidth_efficiency = round(result.fitted.bandwidth, 4)
            accelerator.compute_efficiency = round(result.fitted.compute, 4)
            accelerator.calibration_note = result.note()
            accelerator.full_clean()
            accelerator.save(
                update_fields=["bandwidth_efficiency", "compute_efficiency", "calibration_note"]
            )
    return results


def _pct(value: float) -> str:
    return f"{value * 100:+.0f} %"


def summary(results: list[AcceleratorCalibration]) -> dict[str, float | int]:
    """Median and worst absolute relative error, before (defaults) and after (leave-one-out)."""
    errors = [e for r in results for e in r.errors]
    before = [abs(e.before.relative_error) for e in errors]
    left_out = [abs(e.left_out.relative_error) for e in errors if e.left_out is not None]
    in_sample = [abs(e.after.relative_error) for e in errors]
    out: dict[str, float | int] = {
        "profiles": len(errors),
        "before_median": statistics.median(before),
        "before_worst": max(before),
        "in_sample_median": statistics.median(in_sample),
        "in_sample_worst": max(in_sample),
        "left_out_profiles": len(left_out),
    }
    if left_out:
        out["left_out_median"] = statistics.median(left_out)
        out["left_out_worst"] = max(left_out)
    return out


def markdown_report(results: list[AcceleratorCalibration]) -> str:
    """The calibration tables for docs/capacity.md."""
    lines = [
        "| Accelerator | Defaults (bw, compute) | Fitted (bw, compute) | Identified | Profiles |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        seen = "/".join(n for n, ok in zip(("bw", "compute"), r.identified, strict=True) if ok)
        lines.append(
            f"| {r.accelerator.name} | {r.defaults.bandwidth:g}, {r.defaults.compute:g} | "
            f"{r.fitted.bandwidth:.3f}, {r.fitted.compute:.3f} | {seen or 'none'} | "
            f"{len(r.errors)} |"
        )
    lines += [
        "",
        "| Measured profile (server / model / bits / tok/s) | Batch per replica | TP | Context "
        "| Measured tok/s | Before (defaults) | After (in sample) | Leave-one-out |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for e in r.errors:
            lo = (
                f"{e.left_out.predicted_tps:.1f} ({_pct(e.left_out.relative_error)})"
                if e.left_out
                else "n/a (one profile)"
            )
            lines.append(
                f"| {e.case.label} | {e.case.batch_size:g} | {e.case.tp_degree} | "
                f"{e.case.context_tokens} | {e.case.measured_tps:g} | "
                f"{e.before.predicted_tps:.1f} ({_pct(e.before.relative_error)}) | "
                f"{e.after.predicted_tps:.1f} ({_pct(e.after.relative_error)}) | {lo} |"
            )
    s = summary(results)
    lines += [
        "",
        f"Absolute relative error of the per-session rate over {s['profiles']} measured "
        f"profiles: before calibration (documented defaults) median "
        f"{s['before_median'] * 100:.0f} %, worst {s['before_worst'] * 100:.0f} %; "
        f"after, in sample, median {s['in_sample_median'] * 100:.0f} %, worst "
        f"{s['in_sample_worst'] * 100:.0f} %"
        + (
            f"; after, leave-one-out ({s['left_out_profiles']} profiles on accelerators with "
            f"two or more), median {s['left_out_median'] * 100:.0f} %, worst "
            f"{s['left_out_worst'] * 100:.0f} %."
            if "left_out_median" in s
            else "."
        ),
    ]
    return "\n".join(lines)
