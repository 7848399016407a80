"""The calibration report docs/capacity.md quotes (`manage.py calibrate --report`): error
tables of the calibrated policy against the former ones, and the seed study's 15 cells under the
calibrated default. Apart from `evidence` because it also runs the policies, which use it."""

from __future__ import annotations

from collections.abc import Sequence

from planner.capacity.evidence import (
    ALL_KEPT_OUT,
    Calibration,
    ErrorSummary,
    observed_intervals,
    range_errors,
    split,
    summarise,
)
from planner.capacity.measurements import (
    MeasuredPoint,
    catalog_rows,
    load_points,
    load_validation_points,
    model_specs,
)
from planner.capacity.policies import sessions_at_slo
from planner.capacity.specs import AcceleratorSpec, ServerSpec, binding_limit_words
from planner.capacity.workload import WORKLOAD_DEFAULTS


def markdown_report(c: Calibration, points: Sequence[MeasuredPoint] | None = None) -> str:
    points = list(points) if points is not None else load_points()
    accels = sorted({p.accelerator.name for p in points})
    lines = [
        f"{len(points)} measurements from {len({p.source for p in points})} sources, "
        f"{len(accels)} accelerators ({', '.join(accels)}), "
        f"{len({p.model.name for p in points})} models "
        f"({sum(1 for p in points if p.model.is_moe)} rows mixture-of-experts); "
        f"fitted on {c.fitted_on} rows, {c.held_out} held out.",
    ]
    lines += _error_table(
        "Error of the per-session decode rate at the measured load (equivalently of aggregate "
        "tokens/s at the measured concurrency). Each figure is the error factor "
        "exp(|ln(estimate / observed)|) - 1 as a percentage: 91 % means off by 1.91x either "
        "way; 'within 2x' counts rows with |ln| <= ln 2:",
        c.tables["rate"],
    )
    lines += _error_table(
        "Error of sessions per replica at the measured per-session rate (the inverse "
        "question; where the rate barely falls with load, a small rate error is a large "
        "sessions error):",
        c.tables["sessions"],
    )
    lines += _error_table(
        "What a measurement says about sessions is an interval: a row that ran c sessions at "
        "r tok/s each shows sessions at r >= c (raised by any row of the same sweep with more "
        "sessions at a rate still >= r), and the next row of its sweep whose rate fell below r "
        "caps it (< c'; no cap for a sweep's last row or a lone row). Error = distance of the "
        "estimate from that interval, |ln|, 0 inside it:",
        c.tables["sessions, interval"],
    )
    lines += _error_table(
        "The plain point comparison where it is meaningful: rows where the measured rate "
        "falls clearly with load (-d ln rate / d ln sessions >= 0.5 to the next row of the "
        "sweep), so that sessions at the rate are pinned down by the rate:",
        c.tables["sessions, saturated rows"],
    )
    if "ttft" in c.tables:
        lines += _error_table(
            "Error of the mean time to first token, on the rows whose source gives it, at the "
            "row's load and its arrival rate (Little's law: sessions / (first-token time + "
            "output tokens / per-session rate)). Only `first_token_overhead_s` is fitted on "
            "these figures; the compute terms come from the rate fit:",
            c.tables["ttft"],
        )
    lines += [
        "",
        "Leave-one-source-out by source (each source estimated by constants fitted on the "
        "others): rate / sessions at the point / sessions against the interval / first-token "
        "time (where the source gives it), median and worst:",
        "",
        "| Source | Rows | Rate median, worst | Sessions median, worst | Interval median, worst "
        "| First token median, worst |",
        "|---|---|---|---|---|---|",
    ]
    for source, t in c.by_source.items():
        lines.append(
            f"| {source} | {t['rate'].count} | {_pair(t['rate'])} | {_pair(t['sessions'])} | "
            f"{_pair(t['sessions, interval'])} | {_pair(t.get('ttft'))} |"
        )
    lines += _range_table(c, points)
    lines += _kept_out_table(c)
    lines += ["", *study_cells_table()]
    lines += ["", "Fitted constants (fitting split only):", ""]
    lines += [f"- `{name}` = {value:.4g}" for name, value in c.constants.as_dict().items()]
    return "\n".join(lines)


def _range_table(c: Calibration, points: Sequence[MeasuredPoint]) -> list[str]:
    """The sessions range an estimate shows against the measured sessions interval."""
    _, held = split(points)
    kept = list(load_validation_points())
    rows = {
        "calibrated range, held-out": range_errors(held, c.constants, observed_intervals(points)),
        "calibrated range, kept-out sources": range_errors(
            kept, c.constants, observed_intervals(kept)
        ),
    }
    lines = [
        "",
        "What a planner is shown is an estimate with a range (`sessions_low` to "
        "`sessions_high`: the figure at a rate the typical error slower and faster). Distance of "
        "that range from the measured sessions interval, |ln|, 0 where they meet (the typical "
        "errors pool out-of-sample residuals that include the row's own):",
        "",
        "| Policy, rows | Rows | Median | Worst | Within 2x | Range meets the interval |",
        "|---|---|---|---|---|---|",
    ]
    for name, errors in rows.items():
        meets = sum(e.log_error == 0 for e in errors) / len(errors)
        lines.append(f"| {name} | {summarise(errors).row()} | {meets:.0%} |")
    return lines


def _pair(s: ErrorSummary | None) -> str:
    """Median and worst of one summary; a dash where the rows give no such figure."""
    return "—" if s is None else " , ".join(s.row().split(" | ")[1:3])


def _kept_out_table(c: Calibration) -> list[str]:
    """The sources kept out of the fit, estimated by the fitted constants."""
    if not c.kept_out:
        return []
    every = c.kept_out[ALL_KEPT_OUT]

    def triple(s: ErrorSummary | None) -> str:
        if s is None:
            return "—"
        median, worst, within = s.row().split(" | ")[1:]
        return f"{median} , {worst} , {within}"

    lines = [
        "",
        f"Sources kept out of the fit (`validation.json`: {every['rate'].count} rows from "
        f"{len(c.kept_out) - 1} sources, found after the model's structure and constants were "
        "settled and never fitted on), each row estimated by the constants above: rate / "
        "sessions at the point / sessions against the interval (from the kept-out sweeps "
        "themselves) / mean time to first token (rows that give it; their count in "
        "brackets), median, worst and share within 2x:",
        "",
        "| Source | Rows | Rate | Sessions | Interval | First token |",
        "|---|---|---|---|---|---|",
    ]
    for source, t in c.kept_out.items():
        name = f"**{source}**" if source == ALL_KEPT_OUT else source
        first = t.get("ttft")
        counted = f"({first.count}) {triple(first)}" if first else triple(None)
        lines.append(
            f"| {name} | {t['rate'].count} | {triple(t['rate'])} | {triple(t['sessions'])} | "
            f"{triple(t['sessions, interval'])} | {counted} |"
        )
    return lines


def _error_table(intro: str, table: dict[str, ErrorSummary]) -> list[str]:
    """One error table of the report: a blank line, its introduction, the rows."""
    return [
        "",
        intro,
        "",
        "| Policy, rows | Rows | Median | Worst | Within 2x |",
        "|---|---|---|---|---|",
        *(f"| {name} | {s.row()} |" for name, s in table.items()),
    ]


def study_cells_table() -> list[str]:
    """The seed study's 15 cells (8-bit, 10 tok/s): the study's own sessions per server beside
    the calibrated estimate at the default workload (seed catalog rows)."""
    catalog = catalog_rows()
    study = catalog["study"]
    accelerators = {a["name"]: AcceleratorSpec.from_mapping(a) for a in catalog["accelerators"]}
    models = model_specs()
    rows = {s["name"]: s for s in catalog["server_models"]}
    lines = [
        "The seed study's 15 cells (8-bit weights, 10 tok/s), sessions per server: the study's "
        "figure / the calibrated estimate at the default workload (1,024 + 256 tokens, 16-bit "
        "KV) with its typical error. The product shows AmpereOne's measured profiles (64 / 32 "
        "/ 8), which win over any estimate.",
        "",
        "| Server | " + " | ".join(study["model_classes"]) + " |",
        "|---|" + "---|" * len(study["model_classes"]),
    ]
    for name in study["server_models"]:
        row = rows[name]
        server = ServerSpec.from_mapping(row, accelerators[row["accelerator"]])
        cells = []
        for model_name in study["model_classes"]:
            model = models[model_name]
            ruled = sessions_at_slo(server, model, study["precision_bits"], study["slo_tps"])
            if server.accelerator.kind == "cpu":
                measured = [
                    p["sessions_at_slo"] for p in catalog["measured_profiles"]
                    if p["server_model"] == name and p["model_class"] == model_name
                ]  # fmt: skip
                study_figure = measured[0] if measured else ruled.sessions
            else:
                study_figure = ruled.sessions
            estimate = sessions_at_slo(
                server, model, study["precision_bits"], policy="calibrated",
                workload=WORKLOAD_DEFAULTS.with_slo(float(study["slo_tps"])),
            )  # fmt: skip
            band = (
                binding_limit_words(estimate.binding_limit) if estimate.typical_error is None
                else f"±{estimate.typical_error:.0%}"
            )  # fmt: skip
            cells.append(f"{study_figure:,} / {estimate.sessions:,} ({band})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines
