"""Which saved scenarios use a catalog row: the planner's answer to `inventory.usage.row_users`.

"Uses" means: the scenario's **spec** names the row (`rack_types[].rack_type`,
`servers[].server_model`, `models[].model_class`), because a spec is built into a problem from
the catalog each time a run is queued, so deleting or renaming the row would break the scenario.
A raw **problem** v1 carries every figure it needs (U, W, sessions) and never reads the catalog,
so a name in it that happens to match a catalog row is not a use. Runs snapshot their problem and
are never affected. The refusals themselves live with the catalog (`inventory.usage`).
"""
from django.db.models import Model

from inventory.models import ModelClass, RackType, ServerModel
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


def scenario_users(sender: type[Model], row: Model, **kwargs) -> list[Scenario]:
    """Receiver of `inventory.usage.row_users` (connected in `planner.apps`)."""
    return scenarios_using(row)
