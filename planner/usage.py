"""Which saved scenarios use a catalog row, and the guard that refuses deleting one in use.

"Uses" means: the scenario's **spec** names the row (`rack_types[].rack_type`,
`servers[].server_model`, `models[].model_class`), because a spec is built into a problem from
the catalog each time a run is queued, so deleting the row would break the scenario. A raw
**problem** v1 carries every figure it needs (U, W, sessions) and never reads the catalog, so a
name in it that happens to match a catalog row is not a use. Runs snapshot their problem and
are never affected.

The guard is a `pre_delete` receiver raising Django's `ProtectedError`, the same exception an
`on_delete=PROTECT` foreign key raises (an Accelerator used by a ServerModel), so every caller
(API, admin, shell) is refused the same way and the API turns both into one 409 answer.
"""
from django.db.models import Model, ProtectedError
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from inventory.models import ModelClass, RackType, ServerModel
from inventory.signals import renaming
from planner.models import Scenario

# Catalog model -> (spec section, key naming the row).
SPEC_REFERENCES: dict[type[Model], tuple[str, str]] = {
    RackType: ("rack_types", "rack_type"),
    ServerModel: ("servers", "server_model"),
    ModelClass: ("models", "model_class"),
}


def spec_names(spec: object, section: str, key: str) -> set[str]:
    if not isinstance(spec, dict) or not isinstance(spec.get(section), list):
        return set()
    return {
        item[key] for item in spec[section] if isinstance(item, dict) and isinstance(
            item.get(key), str
        )
    }


def scenarios_using(row: Model) -> list[Scenario]:
    """Saved scenarios whose spec names `row` (see the module docstring for what counts)."""
    reference = SPEC_REFERENCES.get(type(row))
    if reference is None:
        return []
    section, key = reference
    # Specs are small JSON documents; checking them in Python works the same on SQLite and
    # PostgreSQL (JSON containment lookups do not exist on SQLite).
    candidates = Scenario.objects.filter(spec__isnull=False).only("id", "name", "spec")
    return [s for s in candidates if row.name in spec_names(s.spec, section, key)]


@receiver(pre_delete, sender=RackType)
@receiver(pre_delete, sender=ServerModel)
@receiver(pre_delete, sender=ModelClass)
def refuse_deleting_used_rows(sender: type[Model], instance: Model, **kwargs) -> None:
    users = scenarios_using(instance)
    if users:
        names = ", ".join(repr(s.name) for s in users[:5])
        raise ProtectedError(
            f"{sender._meta.verbose_name} {instance.name!r} is used by "
            f"{len(users)} saved scenario(s): {names}",
            set(users),
        )


def refuse_renaming_used_row(row: Model, new_name: str) -> None:
    """A spec names rows by name: renaming a row a saved scenario uses would break it."""
    if new_name == row.name:
        return
    users = scenarios_using(row)
    if users:
        names = ", ".join(repr(s.name) for s in users[:5])
        raise ProtectedError(
            f"{row._meta.verbose_name} {row.name!r} cannot be renamed: "
            f"{len(users)} saved scenario(s) name it: {names}",
            set(users),
        )


@receiver(renaming)
def refuse_renaming_used_rows(sender: type[Model], row: Model, new_name: str, **kwargs) -> None:
    """The catalog pages' rename check (inventory.signals): the API's rule."""
    refuse_renaming_used_row(row, new_name)


class RefuseDeletingUsedRowsAdmin:
    """ModelAdmin mixin: the admin's delete pages list the scenarios that use a row as
    protected objects and refuse, as for an on_delete=PROTECT foreign key."""

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        for obj in objs:
            protected = [*protected, *(f"Scenario: {s.name}" for s in scenarios_using(obj))]
        return deleted, model_count, perms_needed, protected
