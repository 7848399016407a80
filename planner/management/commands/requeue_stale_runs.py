"""`manage.py requeue_stale_runs`: re-send runs the broker lost; fail those out of attempts."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from planner.runs.recovery import requeue_stale_runs


class Command(BaseCommand):
    help = (
        "Re-queue runs stuck in queued/running past their limit (at most RUN_MAX_ATTEMPTS "
        "sends), and mark those out of attempts failed with the reason."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--queued-after", type=float, default=settings.RUN_QUEUED_LIMIT_S,
                            help="seconds queued before a run counts as lost")
        parser.add_argument("--running-after", type=float, default=settings.RUN_RUNNING_LIMIT_S,
                            help="seconds running before a run counts as lost")
        parser.add_argument("--max-attempts", type=int, default=settings.RUN_MAX_ATTEMPTS,
                            help="sends per run before it is marked failed")

    def handle(self, *args, queued_after: float, running_after: float, max_attempts: int,
               **options) -> None:
        if queued_after < 0 or running_after < 0 or max_attempts < 1:
            raise CommandError("limits must be >= 0 and --max-attempts >= 1")
        report = requeue_stale_runs(
            queued_limit_s=queued_after, running_limit_s=running_after, max_attempts=max_attempts
        )
        self.stdout.write(
            f"re-queued {len(report.requeued)} run(s) {report.requeued}; "
            f"failed {len(report.failed)} run(s) {report.failed}"
        )
