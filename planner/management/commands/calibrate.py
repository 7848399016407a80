"""`manage.py calibrate`: fit per-accelerator efficiencies to the measured profiles, or with
`--report`, fit the calibrated serving model on the published-measurement dataset, store its
constants and residuals (planner/capacity/data/calibration.json) and regenerate the error
tables in docs/capacity.md."""

import json
import re
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from planner.bridge.calibration import calibrate_catalog, markdown_report
from planner.capacity import evidence, measurements
from planner.capacity import report as serving_report

START, END = "<!-- calibration:start -->", "<!-- calibration:end -->"
SERVING_START = "<!-- serving-calibration:start -->"
SERVING_END = "<!-- serving-calibration:end -->"
DEFAULT_DOC = Path(settings.BASE_DIR) / "docs" / "capacity.md"


def replace_between(path: Path, start: str, end: str, body: str) -> None:
    """Replace the text between two markers in `path` (CommandError when missing)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise CommandError(f"{path} has no {start} ... {end} markers")
    path.write_text(pattern.sub(lambda _: f"{start}\n{body}\n{end}", text), encoding="utf-8")


class Command(BaseCommand):
    help = (
        "Fit bandwidth and compute efficiency per accelerator from the measured profiles "
        "(scipy least squares), store them on the accelerator and print the estimate-vs-"
        "measured error per profile (before, after, leave-one-out)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Fit and report, store nothing.")
        parser.add_argument(
            "--update-doc",
            metavar="FILE",
            help=f"Replace the text between {START} and {END} in FILE with the report.",
        )
        parser.add_argument(
            "--report",
            action="store_true",
            help=(
                "Calibrate the serving model on planner/capacity/data/measurements.json: store "
                "constants and residuals in planner/capacity/data/calibration.json and rewrite "
                f"the tables between {SERVING_START} and {SERVING_END} in --doc."
            ),
        )
        parser.add_argument(
            "--kept-out",
            action="store_true",
            help=(
                "With --report: no refit; recompute only the kept-out sources' errors "
                "(validation.json) under the stored constants, for a model change that moves "
                "no fitting row, and store and render them as --report does."
            ),
        )
        parser.add_argument(
            "--doc", metavar="FILE", default=str(DEFAULT_DOC),
            help="Document --report rewrites (default docs/capacity.md).",
        )  # fmt: skip

    def handle(self, *args, **options) -> None:
        if options["kept_out"] and not options["report"]:
            raise CommandError("--kept-out goes with --report")
        if options["report"]:
            self.serving_report(
                Path(options["doc"]), store=not options["dry_run"], refit=not options["kept_out"]
            )
            return
        results = calibrate_catalog(store=not options["dry_run"])
        if not results:
            raise CommandError("no measured profiles with sessions > 0: nothing to calibrate")
        report = markdown_report(results)
        self.stdout.write(report)
        if options["update_doc"]:
            path = Path(options["update_doc"])
            replace_between(path, START, END, report)
            self.stdout.write(f"updated {path}")
        if not options["dry_run"]:
            stored = ", ".join(
                f"{r.accelerator.name} ({r.fitted.bandwidth:.3f}, {r.fitted.compute:.3f})"
                for r in results
            )
            self.stdout.write(f"stored efficiencies (bandwidth, compute): {stored}")

    def serving_report(self, doc: Path, store: bool, refit: bool = True) -> None:
        if refit:
            result = evidence.calibrate()
        else:
            # The fit and its tables stay as stored; only the kept-out sources, which are
            # never fitted on, are recomputed under the stored constants.
            result = evidence.calibration_from_json(measurements.stored_calibration())
            kept_out, kept_out_rates = evidence.kept_out_errors(result.constants)
            result = replace(result, kept_out=kept_out, kept_out_rate_errors=kept_out_rates)
        if store:
            measurements.CALIBRATION_PATH.write_text(
                json.dumps(evidence.calibration_to_json(result), indent=1) + "\n",
                encoding="utf-8",
            )
            # The study's cells and their typical errors read the stored calibration: the
            # report must quote the one just written, not the one this process started with.
            measurements.stored_calibration.cache_clear()
            measurements.uncertainty.cache_clear()
        # Rendered from what is stored (constants rounded as stored) when storing, so that the
        # doc and calibration.json always agree.
        stored = result
        if store:
            stored = evidence.calibration_from_json(measurements.stored_calibration())
        report = serving_report.markdown_report(stored)
        self.stdout.write(report)
        if store:
            replace_between(doc, SERVING_START, SERVING_END, report)
            self.stdout.write(f"updated {measurements.CALIBRATION_PATH} and {doc}")
