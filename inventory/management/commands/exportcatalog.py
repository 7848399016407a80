"""`manage.py exportcatalog FILE`: write the catalog as CSV or XLSX (by FILE's extension)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inventory import catalog_io


class Command(BaseCommand):
    help = "Export the catalog to FILE (.csv or .xlsx), in the layout importcatalog reads."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")

    def handle(self, *args, file: str, **options) -> None:
        path = Path(file)
        if path.suffix.lower() == ".csv":
            path.write_text(catalog_io.export_csv(), encoding="utf-8")
        elif path.suffix.lower() == ".xlsx":
            path.write_bytes(catalog_io.export_xlsx())
        else:
            raise CommandError("FILE must end in .csv or .xlsx")
        self.stdout.write(f"wrote {path}")
