"""Loading the seed catalog (inventory/data/seed_catalog.json) idempotently.

Rows are matched by name and written only when a figure differs, so loading twice changes
nothing; new rows go in one insert per table. GPU profiles that the seed study implies are not
typed in: once the rows are loaded, `catalog_loaded` is sent, and the planner derives them by
the capacity model's study rule from the accelerator and model rows (`planner.bridge.study`),
storing them with `upsert_profiles`.
"""
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.dispatch import Signal
from simple_history.utils import bulk_create_with_history

from inventory import catalog_cache
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


def upsert_many(
    report: LoadReport, model: type[models.Model], rows: list[tuple[dict, dict]]
) -> list[models.Model]:
    """Create or update rows of one model, each given as (lookup, values); rows in order.

    `lookup` holds the fields of the model's unique key (the same fields in every row). One
    query finds the rows that exist; each of those is saved only when a value differs. The new
    ones are validated and inserted in one statement, with their history rows in another:
    loading the catalog row by row cost five or six queries a row, and tests load it hundreds
    of times.
    """
    if not rows:
        return []
    existing = _existing(model, [lookup for lookup, _ in rows])
    result: list[models.Model] = []
    new: dict[tuple, models.Model] = {}
    for lookup, values in rows:
        key = _lookup_key(model, lookup)
        if key in new:
            raise ValidationError(f"{model._meta.verbose_name} {lookup} is listed twice.")
        obj = existing.get(key)
        if obj is None:
            obj = new[key] = _validated_new(model, {**lookup, **values})
            report.count(report.created, model)
        elif _update(obj, values):
            report.count(report.updated, model)
        else:
            report.count(report.unchanged, model)
        result.append(obj)
    if new:
        bulk_create_with_history(list(new.values()), model)
        # bulk_create sends no post_save, which is what retires cached catalog answers.
        catalog_cache.bump_now_and_on_commit()
    return result


def _existing(model: type[models.Model], lookups: list[dict]) -> dict[tuple, models.Model]:
    """The rows that match any of `lookups`, by their key, in one query."""
    first = next(iter(lookups[0]))
    candidates = model.objects.filter(**{f"{first}__in": {lookup[first] for lookup in lookups}})
    names = sorted(lookups[0])
    return {
        _lookup_key(model, {name: getattr(obj, name) for name in names}): obj
        for obj in candidates
    }


def _lookup_key(model: type[models.Model], lookup: dict) -> tuple:
    """A lookup as a hashable key: related rows by primary key, numbers as floats."""
    key = []
    for name, value in sorted(lookup.items()):
        if isinstance(value, models.Model):
            value = value.pk
        elif isinstance(value, int | float) and not isinstance(value, bool):
            value = float(value)
        else:
            value = model._meta.get_field(name).to_python(value)
        key.append(value)
    return tuple(key)


def _validated_new(model: type[models.Model], values: dict) -> models.Model:
    """A new, unsaved row, checked as full_clean would, less what costs a query a row.

    Not re-queried: uniqueness (the lookup has just found no row with this key, in this
    transaction), related rows that are saved instances, and the check constraints, which the
    fields' validators and clean() state too and the database enforces on insert.
    """
    obj = model(**values)
    saved_relations = [
        name for name, value in values.items()
        if isinstance(value, models.Model) and value.pk is not None
    ]
    obj.full_clean(exclude=saved_relations, validate_unique=False, validate_constraints=False)
    return obj


def _update(obj: models.Model, values: dict) -> bool:
    """Set the values that differ on an existing row and save it; whether anything changed."""
    model = type(obj)
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
    return dirty


@transaction.atomic
def load_seed_catalog(data: dict[str, Any] | None = None) -> LoadReport:
    """Load (or refresh) the seed catalog in one transaction."""
    data = data or seed_data()
    report = LoadReport()
    accelerators = _upsert_named(report, Accelerator, data["accelerators"])
    servers = _upsert_named(
        report,
        ServerModel,
        [{**row, "accelerator": accelerators[row["accelerator"]]} for row in data["server_models"]],
    )
    _upsert_named(report, RackType, data["rack_types"])
    model_classes = _upsert_named(report, ModelClass, data["model_classes"])
    upsert_profiles(report, [
        profile_row(
            servers[row["server_model"]],
            model_classes[row["model_class"]],
            row["precision_bits"],
            float(row["slo_tps"]),
            row["sessions_at_slo"],
            PerformanceProfile.Basis.MEASURED,
            row["source"],
            {key: row.get(key) for key in MEASUREMENT_CONFIG},
        )
        for row in data["measured_profiles"]
    ])
    catalog_loaded.send(
        sender=LoadReport, data=data, report=report, servers=servers, model_classes=model_classes
    )
    return report


def profile_row(
    server: ServerModel,
    model: ModelClass,
    precision_bits: int,
    slo_tps: float,
    sessions: int,
    basis: str,
    source: str,
    config: dict[str, Any] | None = None,
) -> tuple[dict, dict]:
    """The (lookup, values) of the profile of one (server, model, precision, SLO)."""
    lookup = {
        "server_model": server,
        "model_class": model,
        "precision_bits": precision_bits,
        "slo_tps": slo_tps,
    }
    return lookup, {"sessions_at_slo": sessions, "basis": basis, "source": source, **(config or {})}


def upsert_profiles(report: LoadReport, rows: list[tuple[dict, dict]]) -> None:
    """Create or refresh profiles given by `profile_row`."""
    upsert_many(report, PerformanceProfile, rows)


def _upsert_named(
    report: LoadReport, model: type[models.Model], rows: list[dict]
) -> dict[str, models.Model]:
    """Upsert rows keyed by their name; name -> row."""
    saved = upsert_many(
        report, model, [({"name": row["name"]}, _without(row, "name")) for row in rows]
    )
    return {obj.name: obj for obj in saved}


def _without(row: dict, *keys: str) -> dict:
    return {k: v for k, v in row.items() if k not in keys}
