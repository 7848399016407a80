"""Loading the seed catalog (inventory/data/seed_catalog.json) idempotently.

Rows are matched by name and written only when a figure differs, so loading twice changes
nothing. GPU profiles that the seed study implies are not typed in: once the rows are loaded,
`catalog_loaded` is sent, and the planner derives them by the capacity model's study rule from
the accelerator and model rows (`planner.bridge.study`), storing them with `upsert_profile`.
"""
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.dispatch import Signal

from inventory.models import Accelerator, ModelClass, PerformanceProfile, RackType, ServerModel

# How a measured profile ran (tensor-parallel degree, average context...), for calibration.
MEASUREMENT_CONFIG = ("tp_degree", "context_tokens", "kv_precision_bits", "weight_overhead")
SEED_PATH = Path(__file__).resolve().parent / "data" / "seed_catalog.json"

#: Sent inside the loading transaction once every row is in, with ``data`` (the seed document),
#: ``report`` (the LoadReport to count into), ``servers`` and ``model_classes`` (name -> row).
catalog_loaded = Signal()


@cache
def seed_data() -> dict[str, Any]:
    return json.loads(SEED_PATH.read_text(encoding="utf-8"))


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: dict[str, int], model: type[models.Model]) -> None:
        key = model._meta.verbose_name_plural
        bucket[key] = bucket.get(key, 0) + 1

    @property
    def changed(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())

    def summary(self) -> str:
        def fmt(bucket: dict[str, int]) -> str:
            return ", ".join(f"{n} {k}" for k, n in sorted(bucket.items())) or "nothing"

        return (
            f"created {fmt(self.created)}; updated {fmt(self.updated)}; "
            f"unchanged {fmt(self.unchanged)}"
        )


def upsert(
    report: LoadReport, model: type[models.Model], lookup: dict, values: dict
) -> models.Model:
    """Create or update one row, saving only when a value differs."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save()
        report.count(report.created, model)
        return obj
    dirty = False
    for name, value in values.items():
        current = getattr(obj, name)
        field = model._meta.get_field(name)
        if not field.is_relation and value is not None:
            value = field.to_python(value)  # a JSON date string compares as a date
        if isinstance(current, models.Model):
            same = current.pk == value.pk
        elif current is not None and value is not None and isinstance(current, float | int):
            same = float(current) == float(value)
        else:
            same = current == value
        if not same:
            setattr(obj, name, value)
            dirty = True
    if dirty:
        obj.full_clean()
        obj.save()
        report.count(report.updated, model)
    else:
        report.count(report.unchanged, model)
    return obj


@transaction.atomic
def load_seed_catalog(data: dict[str, Any] | None = None) -> LoadReport:
    """Load (or refresh) the seed catalog in one transaction."""
    data = data or seed_data()
    report = LoadReport()
    accelerators = {
        row["name"]: upsert(report, Accelerator, {"name": row["name"]}, _without(row, "name"))
        for row in data["accelerators"]
    }
    servers = {}
    for row in data["server_models"]:
        values = _without(row, "name")
        values["accelerator"] = accelerators[row["accelerator"]]
        servers[row["name"]] = upsert(report, ServerModel, {"name": row["name"]}, values)
    for row in data["rack_types"]:
        upsert(report, RackType, {"name": row["name"]}, _without(row, "name"))
    model_classes = {
        row["name"]: upsert(report, ModelClass, {"name": row["name"]}, _without(row, "name"))
        for row in data["model_classes"]
    }
    for row in data["measured_profiles"]:
        upsert_profile(
            report,
            servers[row["server_model"]],
            model_classes[row["model_class"]],
            row["precision_bits"],
            float(row["slo_tps"]),
            row["sessions_at_slo"],
            PerformanceProfile.Basis.MEASURED,
            row["source"],
            {key: row.get(key) for key in MEASUREMENT_CONFIG},
        )
    catalog_loaded.send(
        sender=LoadReport, data=data, report=report, servers=servers, model_classes=model_classes
    )
    return report


def upsert_profile(
    report: LoadReport,
    server: ServerModel,
    model: ModelClass,
    precision_bits: int,
    slo_tps: float,
    sessions: int,
    basis: str,
    source: str,
    config: dict[str, Any] | None = None,
) -> None:
    """Create or refresh the profile of one (server, model, precision, SLO)."""
    upsert(
        report,
        PerformanceProfile,
        {
            "server_model": server,
            "model_class": model,
            "precision_bits": precision_bits,
            "slo_tps": slo_tps,
        },
        {"sessions_at_slo": sessions, "basis": basis, "source": source, **(config or {})},
    )


def _without(row: dict, *keys: str) -> dict:
    return {k: v for k, v in row.items() if k not in keys}
