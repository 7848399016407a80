"""`manage.py solve FILE.json`: solve a problem v1 file and print the result v1 JSON."""

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError

from planner import solver


class Command(BaseCommand):
    # The system checks import the URLconf and so every view (pandas, plotly, DRF): a second
    # of start-up for a command that touches neither. They run with migrate, check and runserver.
    requires_system_checks = []
    help = "Solve a problem v1 JSON file (docs/problem-format.md) and print the result JSON."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="Path to a problem v1 JSON file ('-' for stdin).")
        parser.add_argument("--time-limit", type=float, default=None, help="Seconds.")
        parser.add_argument("--indent", type=int, default=2)

    def handle(self, *args, **options) -> None:
        path = options["file"]
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            data = json.loads(text)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path} is not valid JSON: {exc}", returncode=2) from exc
        try:
            problem = solver.validate_problem(data)
        except solver.ProblemError as exc:
            raise CommandError(f"{path}: invalid problem: {exc}", returncode=2) from exc
        with native_stdout_to_stderr():
            result = solver.solve(problem, time_limit_s=options["time_limit"])
        self.stdout.write(json.dumps(result, indent=options["indent"] or None))


@contextmanager
def native_stdout_to_stderr() -> Iterator[None]:
    """Send what native code prints to file descriptor 1 to stderr meanwhile: HiGHS's MIP solver
    prints some lines with a plain printf whatever its output options, which would corrupt the
    JSON this command writes to stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
