"""`manage.py importcatalog FILE`: upsert the catalog from a CSV or XLSX file, all or nothing.

Exit status 0 when applied (or valid with --dry-run); 1 with one line per problem
(`table row N, column: message`) on stderr when any row is invalid, and nothing changed.
"""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inventory import catalog_io


class Command(BaseCommand):
    help = "Import a catalog CSV/XLSX (the layout of the catalog export); all rows or none."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Validate only.")

    def handle(self, *args, file: str, dry_run: bool, **options) -> None:
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror or exc}") from exc
        try:
            tables = catalog_io.read_catalog_file(path.name, content)
        except catalog_io.CatalogFileError as exc:
            raise CommandError(str(exc)) from exc
        report = catalog_io.import_catalog(tables, dry_run=dry_run)
        if not report.ok:
            for problem in report.problems:
                row = f" row {problem.row}" if problem.row is not None else ""
                column = f", {problem.column}" if problem.column else ""
                self.stderr.write(f"{problem.table}{row}{column}: {problem.message}")
            raise CommandError(
                f"{len(report.problems)} problem(s) in {file}; nothing was imported"
            )
        verb = "would apply" if dry_run else "applied"
        counts = report.counts()
        summary = "; ".join(
            f"{kind} " + (", ".join(f"{n} {t}" for t, n in sorted(c.items())) or "nothing")
            for kind, c in counts.items()
        )
        self.stdout.write(f"{verb}: {summary}")
