"""Change history as the API and the pages show it: one entry per saved version of a row.

django-simple-history (https://django-simple-history.readthedocs.io/) writes a historical row
on every save and delete of the catalog models and of scenarios, with the request's user
(`HistoryRequestMiddleware`). This module turns those rows into entries — who, when, created /
changed / deleted, and each changed field with its old and new value — for the catalog
(inventory) and for scenarios (planner/history.py adds versions, compare and restore).

JSON fields (a scenario's spec) are compared key by key: a change names the path inside the
document (`spec.slo_tps`, `spec.rack_types[0].count`), not the whole document twice.
"""
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone
from rest_framework import serializers

#: Fields every historical row carries besides the model's own.
HISTORY_FIELDS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
    "history_relation",
}
TYPES = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass
class Entry:
    """One saved version of a row."""

    id: int
    version: int
    when: dt.datetime
    who: str | None
    type: str
    reason: str | None
    changes: list[Change] = field(default_factory=list)
    record: Any = None  # the historical row, for pages that show more of it

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "when": self.when,
            "who": self.who,
            "type": self.type,
            "reason": self.reason,
            "changes": [change.as_dict() for change in self.changes],
        }


def tracked_fields(record: Model) -> list[str]:
    """The model fields a historical row copies (attnames: a foreign key compares by id)."""
    return [
        f.attname for f in record._meta.concrete_fields if f.name not in HISTORY_FIELDS
    ]


def plain(value: Any) -> Any:
    """A value as JSON carries it (decimals as strings, like the API's serializers)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def json_changes(path: str, old: Any, new: Any) -> list[Change]:
    """Differences between two JSON documents, one per leaf path (a key only one side has
    is a change from / to null)."""
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in list(old) + [k for k in new if k not in old]:
            found.extend(json_changes(f"{path}.{key}", old.get(key), new.get(key)))
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        found = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            found.extend(json_changes(f"{path}[{index}]", a, b))
        return found
    if old == new:
        return []
    return [Change(path, old, new)]


def field_changes(
    old: dict[str, Any] | None, new: dict[str, Any], fields: Sequence[str],
    json_fields: Sequence[str] = (),
) -> list[Change]:
    """The fields of `new` that differ from `old` (every non-empty field when `old` is None:
    what a row was created with)."""
    changes = []
    for name in fields:
        before = None if old is None else old.get(name)
        after = new.get(name)
        if old is not None and before == after:
            continue
        if old is None and after in (None, "", {}, []):
            continue
        label = name[:-3] if name.endswith("_id") and name != "id" else name
        if name in json_fields and (isinstance(before, dict | list) or before is None):
            changes.extend(json_changes(label, before, after) if before is not None
                           else [Change(label, None, after)])
        else:
            changes.append(Change(label, plain(before), plain(after)))
    return changes


def record_values(record: Model, fields: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in fields}


def json_field_names(record: Model) -> list[str]:
    return [f.attname for f in record._meta.concrete_fields
            if f.get_internal_type() == "JSONField"]


def entries(records: Sequence[Model], previous: Model | None, first_version: int,
            *, hidden: Sequence[str] = ("id",)) -> list[Entry]:
    """Entries for `records` (oldest first, consecutive versions of one row), `previous`
    being the version before the first of them (None when the first is the row's first).

    `first_version` numbers the first record (1 = the row's first version)."""
    found = []
    for offset, record in enumerate(records):
        fields = [name for name in tracked_fields(record) if name not in hidden]
        values = record_values(record, fields)
        old = record_values(previous, fields) if previous is not None else None
        kind = TYPES.get(record.history_type, record.history_type)
        changes = [] if kind == "deleted" else field_changes(
            old, values, fields, json_field_names(record)
        )
        user = record.history_user
        found.append(Entry(
            id=record.history_id,
            version=first_version + offset,
            when=record.history_date,
            who=user.get_username() if user is not None else None,
            type=kind,
            reason=record.history_change_reason or None,
            changes=changes,
            record=record,
        ))
        previous = record
    return found


def name_related(model: type[Model], page: list[Entry]) -> list[Entry]:
    """For pages: foreign keys of `model` shown by the related row's name instead of its id
    (`#12 (deleted)` when that row is gone). The API keeps ids."""
    keys = {f.name: f.related_model for f in model._meta.concrete_fields if f.is_relation}
    wanted: dict[str, set] = {}
    for entry in page:
        for change in entry.changes:
            if change.field in keys:
                wanted.setdefault(change.field, set()).update(
                    v for v in (change.old, change.new) if v is not None
                )
    names = {
        name: {pk: str(row) for pk, row in keys[name]._base_manager.in_bulk(ids).items()}
        for name, ids in wanted.items()
    }

    def label(name: str, value: Any) -> Any:
        if value is None:
            return None
        return names[name].get(value, f"#{value} (deleted)")

    for entry in page:
        entry.changes = [
            Change(c.field, label(c.field, c.old), label(c.field, c.new))
            if c.field in keys else c
            for c in entry.changes
        ]
    return page


def history_page(history: QuerySet, offset: int, limit: int) -> tuple[int, list[Entry]]:
    """(count, entries newest first) of `history` (one row's historical rows), `limit` from
    `offset` — two queries plus the page, whatever its size."""
    ordered = history.select_related("history_user").order_by("-history_id")
    count = ordered.count()
    page = list(ordered[offset:offset + limit])
    if not page:
        return count, []
    previous = ordered.filter(history_id__lt=page[-1].history_id).first()
    oldest_version = count - offset - len(page) + 1
    return count, list(reversed(entries(list(reversed(page)), previous, oldest_version)))


def version_number(history: QuerySet, history_id: int) -> int:
    """The 1-based version of the historical row `history_id` within its row's history."""
    return history.filter(history_id__lte=history_id).count()


# --- the API's view of an entry -------------------------------------------------------------

class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text="The field; inside a JSON field, its path (`spec.rack_types[0].count`). A "
        "foreign key is named without `_id` and compares by id."
    )
    old = serializers.JSONField(allow_null=True, help_text="Value before (null: none).")
    new = serializers.JSONField(allow_null=True, help_text="Value after (null: none).")


class HistoryEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The historical record's id.")
    version = serializers.IntegerField(help_text="1 for the row's first version, then 2, 3 …")
    when = serializers.DateTimeField()
    who = serializers.CharField(
        allow_null=True, help_text="Username of who saved it; null for scripts and loads."
    )
    type = serializers.ChoiceField(choices=["created", "changed", "deleted", "restored"])
    reason = serializers.CharField(allow_null=True, help_text="Why, when the change says.")
    changes = ChangeSerializer(many=True)


# --- migrations ------------------------------------------------------------------------------

def backfill(apps: Any, app_label: str, model_names: Sequence[str],
             reason: str = "History begins") -> None:
    """A first historical row for every existing row of each model, so that the first edit
    after history was switched on shows its difference from the row as it was. Used by the
    data step of the migrations that add history (historical models of the migration state)."""
    now = timezone.now()
    for name in model_names:
        model = apps.get_model(app_label, name)
        historical = apps.get_model(app_label, f"Historical{name}")
        copied = [f.attname for f in historical._meta.concrete_fields
                  if f.name not in HISTORY_FIELDS]
        rows = [
            historical(
                **{attname: getattr(row, attname) for attname in copied},
                history_date=now, history_type="+", history_change_reason=reason,
            )
            for row in model._base_manager.all().iterator()
        ]
        historical.objects.bulk_create(rows, batch_size=500)
