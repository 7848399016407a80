"""Catalog export (CSV / XLSX) and import with all-or-nothing validation.

File layout, the same for export and import:

- XLSX: one sheet per table, named as in `TABLES` (accelerators, server_models, rack_types,
  model_classes, performance_profiles), a header row of field names.
- CSV: the tables stacked in one file; the first column `table` says which table a row
  belongs to, and each row fills the columns of its table (the others stay empty).

Columns are the API's fields without `id` (ids are not portable between installations); rows
refer to each other by name (a server model's `accelerator`, a profile's `server_model` and
`model_class`). Import upserts: by `name`, and profiles by (server_model, model_class,
precision_bits, slo_tps).

Columns that are no field of their table are reported, all of them in one message per table,
and the file is refused (a vendor's spreadsheet is never imported with columns silently
dropped).

Import validates every row with the API's serializers (so model `clean()` rules apply) inside
one transaction, in dependency order so a file may add an accelerator and the servers that use
it. Any invalid row rolls the whole transaction back and the report lists every problem as
(table, row, column, message); a valid file is committed at once. Rows are numbered as a
spreadsheet shows them: the header is row 1.
"""
import io
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.db import IntegrityError, transaction
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rest_framework import serializers as drf_serializers

from inventory.api import serializers
from inventory.models import PerformanceProfile

# table -> (serializer, natural key fields); in dependency order.
TABLES: dict[str, tuple[type[drf_serializers.ModelSerializer], tuple[str, ...]]] = {
    "accelerators": (serializers.AcceleratorSerializer, ("name",)),
    "server_models": (serializers.ServerModelSerializer, ("name",)),
    "rack_types": (serializers.RackTypeSerializer, ("name",)),
    "model_classes": (serializers.ModelClassSerializer, ("name",)),
    "performance_profiles": (
        serializers.PerformanceProfileSerializer,
        ("server_model", "model_class", "precision_bits", "slo_tps"),
    ),
}
TABLE_COLUMN = "table"
INTEGRAL_FLOAT = re.compile(r"^-?\d+\.0+$")


def columns(table: str) -> list[str]:
    serializer_class = TABLES[table][0]
    return [f for f in serializer_class.Meta.fields if f != "id"]


def export_frames() -> dict[str, pd.DataFrame]:
    frames = {}
    for table, (serializer_class, _) in TABLES.items():
        queryset = serializer_class.Meta.model.objects.all()
        if serializer_class.Meta.model is PerformanceProfile:
            queryset = queryset.select_related("server_model", "model_class")
        rows = serializer_class(queryset, many=True).data
        frame = pd.DataFrame(rows, columns=["id", *columns(table)]).drop(columns="id")
        if "price_usd" in frame:  # DRF writes decimals as strings; a sheet wants numbers
            frame["price_usd"] = frame["price_usd"].map(lambda v: None if v is None else float(v))
        frames[table] = frame
    return frames


def export_csv() -> str:
    # Object columns keep integers integral once other tables' columns add empty cells.
    stacked = pd.concat(
        [
            frame.astype(object).assign(**{TABLE_COLUMN: table})
            for table, frame in export_frames().items()
        ],
        ignore_index=True,
    )
    order = [TABLE_COLUMN] + [c for c in stacked.columns if c != TABLE_COLUMN]
    return stacked[order].to_csv(index=False)


def export_xlsx() -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for table, frame in export_frames().items():
            # Rows written before control characters were refused would break the workbook.
            frame = frame.map(
                lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v
            )
            frame.to_excel(writer, sheet_name=table, index=False)
    return buffer.getvalue()


@dataclass
class ImportProblem:
    table: str
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "row": self.row, "column": self.column,
                "message": self.message}

    def path(self) -> str:
        where = self.table + (f"[row {self.row}]" if self.row is not None else "")
        return f"{where}.{self.column}" if self.column else where


@dataclass
class ImportReport:
    problems: list[ImportProblem] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, dict[str, int]]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


class CatalogFileError(ValueError):
    """A file that cannot be read as a catalog at all (not CSV/XLSX, no known tables)."""


# Row = (row number as a spreadsheet shows it, {column: text}).
Rows = list[tuple[int, dict[str, str]]]


def read_catalog_file(name: str, content: bytes) -> dict[str, Rows]:
    """Parse an uploaded CSV or XLSX catalog into rows per table (cells as text)."""
    lowered = name.lower()
    try:
        if lowered.endswith(".xlsx") or content[:2] == b"PK":
            sheets = pd.read_excel(io.BytesIO(content), sheet_name=None, dtype=str)
            return {
                sheet: _rows(frame) for sheet, frame in sheets.items()
            }
        frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001 - pandas raises many types for unreadable input
        raise CatalogFileError(f"cannot read {name!r} as CSV or XLSX: {exc}") from exc
    if TABLE_COLUMN not in frame.columns:
        raise CatalogFileError(f"a CSV catalog needs a first column {TABLE_COLUMN!r}")
    tables: dict[str, Rows] = {}
    for number, record in zip(range(2, len(frame) + 2), _records(frame), strict=True):
        table = record.pop(TABLE_COLUMN)
        tables.setdefault(table, []).append((number, record))
    return tables


def _records(frame: pd.DataFrame) -> list[dict[str, str]]:
    return frame.fillna("").astype(str).to_dict("records")


def _rows(frame: pd.DataFrame) -> Rows:
    return list(zip(range(2, len(frame) + 2), _records(frame), strict=True))


def import_catalog(tables: dict[str, Rows], *, dry_run: bool = False) -> ImportReport:
    """Validate and upsert every row in one transaction; roll back on any problem."""
    report = ImportReport()
    for table in tables:
        if table not in TABLES:
            report.problems.append(ImportProblem(
                table, None, None, f"unknown table (known: {', '.join(TABLES)})"
            ))
        else:
            report.problems.extend(_unknown_columns(table, tables[table]))
    if report.problems:
        return report
    with transaction.atomic():
        for table in TABLES:
            key = TABLES[table][1]
            seen: dict[tuple, int] = {}
            for number, record in tables.get(table, []):
                identity = tuple(record.get(part, "") for part in key)
                if identity in seen:
                    report.problems.append(ImportProblem(
                        table, number, key[0],
                        f"{' / '.join(identity)} is listed twice (first at row {seen[identity]})",
                    ))
                    continue
                seen[identity] = number
                _import_row(report, table, number, record)
        if dry_run or not report.ok:
            transaction.set_rollback(True)
    return report


def _unknown_columns(table: str, rows: Rows) -> list[ImportProblem]:
    """One problem listing the columns of `table` that are no catalog field, so a vendor's
    spreadsheet is never imported with columns silently dropped. A stacked CSV has every
    table's columns: another table's column, empty in this table's rows, is not unknown."""
    known = set(columns(table))
    any_table = {name for other in TABLES for name in columns(other)} | {TABLE_COLUMN}
    seen: dict[str, bool] = {}
    for _, record in rows:
        for column, text in record.items():
            if column not in known:
                seen[column] = seen.get(column, False) or text != ""
    unknown = [c for c, filled in seen.items() if filled or c not in any_table]
    if not unknown:
        return []
    return [ImportProblem(
        table, 1, None,
        f"unknown column(s) {', '.join(repr(c) for c in unknown)}: not fields of {table}, "
        f"which has {', '.join(columns(table))}. Rename or remove them.",
    )]


def _import_row(report: ImportReport, table: str, number: int, record: dict[str, str]) -> None:
    serializer_class, key = TABLES[table]
    known = set(columns(table))
    # Unknown columns were reported before any row (`_unknown_columns`).
    cells = {column: text for column, text in record.items() if column in known}
    fields = serializer_class().fields
    data = {}
    for column, text in cells.items():
        if text == "" and getattr(fields[column], "allow_null", False):
            data[column] = None
        elif INTEGRAL_FLOAT.match(text) and isinstance(
            fields[column], drf_serializers.IntegerField | drf_serializers.ChoiceField
        ):
            data[column] = text.split(".")[0]  # a spreadsheet's 42.0 for 42
        else:
            data[column] = text
    instance = _existing(serializer_class, key, data)
    serializer = serializer_class(instance=instance, data=data, partial=instance is not None)
    if not serializer.is_valid():
        for column, messages in serializer.errors.items():
            column_name = None if column == "non_field_errors" else column
            for message in messages:
                report.problems.append(ImportProblem(table, number, column_name, str(message)))
        return
    if instance is not None and all(
        getattr(instance, name) == value for name, value in serializer.validated_data.items()
    ):
        # Not saved: a re-import of the same figures adds no version to the row's history.
        report.unchanged[table] = report.unchanged.get(table, 0) + 1
        return
    before = serializer_class(instance).data if instance is not None else None
    try:
        with transaction.atomic():
            saved = serializer.save()
    except IntegrityError as exc:
        report.problems.append(ImportProblem(table, number, None, f"rejected: {exc}"))
        return
    bucket = report.created if instance is None else (
        report.unchanged if serializer_class(saved).data == before else report.updated
    )
    bucket[table] = bucket.get(table, 0) + 1


def _existing(serializer_class, key: tuple[str, ...], data: dict) -> Any:
    model = serializer_class.Meta.model
    if key == ("name",):
        return model.objects.filter(name=data.get("name")).first() if data.get("name") else None
    lookup = {}
    for part in key:
        value = data.get(part)
        if value in (None, ""):
            return None
        lookup[f"{part}__name" if part in ("server_model", "model_class") else part] = value
    try:
        return model.objects.filter(**lookup).first()
    except (ValueError, TypeError):
        return None  # a bad number: the serializer reports it
