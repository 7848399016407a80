"""What outside the catalog uses a catalog row, and the guards that keep those users working.

The catalog does not know who uses its rows: another app answers the `row_users` signal with the
objects that name a row (the planner: saved scenarios whose spec names it, see
`planner.bridge.usage`). From those answers the catalog refuses, the same way for every caller
(API, admin, pages, shell), to delete or rename a row in use. A refusal is Django's
`ProtectedError`, the exception an `on_delete=PROTECT` foreign key raises, so the API turns both
into one 409 answer (config/exceptions.py).
"""
from django.db.models import Model, ProtectedError
from django.db.models.signals import pre_delete
from django.dispatch import Signal, receiver

from inventory.models import Accelerator, ModelClass, PerformanceProfile, RackType, ServerModel

#: Sent with ``row=<catalog row>``; a receiver returns the model instances that use the row.
row_users = Signal()

CATALOG_MODELS = (Accelerator, ServerModel, RackType, ModelClass, PerformanceProfile)


def users_of(row: Model) -> list[Model]:
    """Every object another app says uses `row`, in the order the receivers gave them."""
    return [obj for _, found in row_users.send(sender=type(row), row=row) for obj in found or ()]


def describe(users: list[Model]) -> str:
    """``1 saved scenario(s): 'Hall A'`` (at most five names)."""
    kinds = "/".join(sorted({str(obj._meta.verbose_name) for obj in users}))
    names = ", ".join(repr(str(obj)) for obj in users[:5])
    return f"{len(users)} saved {kinds}(s): {names}"


@receiver(pre_delete)
def refuse_deleting_used_rows(sender: type[Model], instance: Model, **kwargs) -> None:
    if sender not in CATALOG_MODELS:
        return
    users = users_of(instance)
    if users:
        raise ProtectedError(
            f"{sender._meta.verbose_name} {str(instance)!r} is used by {describe(users)}",
            set(users),
        )


def refuse_renaming_used_row(row: Model, new_name: str) -> None:
    """Users name rows by name: renaming a row in use would break them."""
    if new_name == row.name:
        return
    users = users_of(row)
    if users:
        raise ProtectedError(
            f"{row._meta.verbose_name} {row.name!r} cannot be renamed: "
            f"{describe(users)} name it",
            set(users),
        )


class RefuseDeletingUsedRowsAdmin:
    """ModelAdmin mixin: the admin's delete pages list the objects that use a row as protected
    objects and refuse, as for an on_delete=PROTECT foreign key."""

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        for obj in objs:
            protected = [
                *protected,
                *(f"{user._meta.verbose_name.capitalize()}: {user}" for user in users_of(obj)),
            ]
        return deleted, model_count, perms_needed, protected
