"""`manage.py calibrate`: fit per-accelerator efficiencies to the measured profiles."""
import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from planner.bridge.calibration import calibrate_catalog, markdown_report

START, END = "<!-- calibration:start -->", "<!-- calibration:end -->"


class Command(BaseCommand):
    help = (
        "Fit bandwidth and compute efficiency per accelerator from the measured profiles "
        "(scipy least squares), store them on the accelerator and print the estimate-vs-"
        "measured error per profile (before, after, leave-one-out)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Fit and report, store nothing."
        )
        parser.add_argument(
            "--update-doc",
            metavar="FILE",
            help=f"Replace the text between {START} and {END} in FILE with the report.",
        )

    def handle(self, *args, **options) -> None:
        results = calibrate_catalog(store=not options["dry_run"])
        if not results:
            raise CommandError("no measured profiles with sessions > 0: nothing to calibrate")
        report = markdown_report(results)
        self.stdout.write(report)
        if options["update_doc"]:
            path = Path(options["update_doc"])
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
            pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
            if not pattern.search(text):
                raise CommandError(f"{path} has no {START} ... {END} markers")
            path.write_text(
                pattern.sub(lambda _: f"{START}\n{report}\n{END}", text), encoding="utf-8"
            )
            self.stdout.write(f"updated {path}")
        if not options["dry_run"]:
            stored = ", ".join(
                f"{r.accelerator.name} ({r.fitted.bandwidth:.3f}, {r.fitted.compute:.3f})"
                for r in results
            )
            self.stdout.write(f"stored efficiencies (bandwidth, compute): {stored}")
