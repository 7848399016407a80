"""`manage.py purge_deleted_scenarios`: remove scenarios deleted past the retention period."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from planner.retention import purge_deleted_scenarios


class Command(BaseCommand):
    help = (
        "Delete for good (with their runs, sweeps and history) the scenarios deleted more than "
        "SCENARIO_RETENTION_DAYS ago. Celery beat runs the same every SCENARIO_PURGE_INTERVAL_S."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=float,
            default=settings.SCENARIO_RETENTION_DAYS,
            help="purge scenarios deleted more than this many days ago "
            "(default SCENARIO_RETENTION_DAYS)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be purged, change nothing"
        )

    def handle(self, *args, days: float, dry_run: bool, **options) -> None:
        if not days >= 0:  # also refuses NaN
            raise CommandError("--days must be a number >= 0")
        ids = purge_deleted_scenarios(days=days, dry_run=dry_run)
        verb = "would purge" if dry_run else "purged"
        self.stdout.write(f"{verb} {len(ids)} deleted scenario(s) {ids}")
