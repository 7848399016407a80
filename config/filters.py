"""Numeric query filters are range-checked before they reach the database.

A filter value the column cannot hold is the caller's mistake: a 400 with the field's message,
the same on every database. Without the check SQLite raises OverflowError for an integer beyond
64 bits in a `BETWEEN` (`sessions_at_slo_min=...&sessions_at_slo_max=9223372036854775808`) and
PostgreSQL a DataError for one beyond its column type.

The bounds are Django's own per field type (`BaseDatabaseOperations.integer_field_ranges`: the
PostgreSQL column ranges, the narrowest of the supported databases), finite floats for
FloatField and the digits a DecimalField holds.
"""
from __future__ import annotations

import sys
from decimal import Decimal

import django_filters
from django import forms
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.rest_framework import FilterSet as RestFilterSet
from django_filters.utils import get_model_field

INTEGER_RANGES: dict[str, tuple[int, int]] = BaseDatabaseOperations.integer_field_ranges
FLOAT_MAX = Decimal(sys.float_info.max)


def column_limits(field: models.Field | None) -> dict | None:
    """forms.DecimalField arguments that keep a filter value within what this column holds."""
    if field is None:
        return None
    internal = field.get_internal_type()
    if internal in INTEGER_RANGES:
        low, high = INTEGER_RANGES[internal]
        return {"min_value": Decimal(low), "max_value": Decimal(high)}
    if internal == "FloatField":
        return {"min_value": -FLOAT_MAX, "max_value": FLOAT_MAX}
    if internal == "DecimalField":
        # The digits the column has: PostgreSQL refuses a numeric like 1e-999999 outright.
        return {"max_digits": field.max_digits, "decimal_places": field.decimal_places}
    return None


class RangeCheckedMixin:
    """FilterSet mixin: every NumberFilter / RangeFilter gets its column's bounds."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model = self.queryset.model if self.queryset is not None else self._meta.model
        for filter_ in self.filters.values():
            if filter_.lookup_expr in ("isnull", "in") or filter_.method:
                continue
            limits = column_limits(get_model_field(model, filter_.field_name))
            if limits is None:
                continue
            if isinstance(filter_, django_filters.RangeFilter):
                filter_.extra["fields"] = tuple(
                    forms.DecimalField(required=False, **limits) for _ in "ab"
                )
            elif isinstance(filter_, django_filters.NumberFilter):
                filter_.extra.update(limits)
            else:
                continue
            if hasattr(filter_, "_field"):
                del filter_._field  # built again, with the bounds, when the form asks for it


class RangeCheckedFilterSet(RangeCheckedMixin, django_filters.FilterSet):
    """The base of the catalog's filter sets."""


class RangeCheckedRestFilterSet(RangeCheckedMixin, RestFilterSet):
    """What `filterset_fields` on a view builds."""


class RangeCheckedFilterBackend(DjangoFilterBackend):
    filterset_base = RangeCheckedRestFilterSet
