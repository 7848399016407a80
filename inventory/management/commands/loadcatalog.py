from django.core.management.base import BaseCommand

from inventory.seed import load_seed_catalog


class Command(BaseCommand):
    help = "Load or refresh the seed catalog (idempotent: a second load changes nothing)."

    def handle(self, *args, **options) -> None:
        report = load_seed_catalog()
        self.stdout.write(f"Seed catalog: {report.summary()}.")
