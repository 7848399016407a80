"""Catalog filters (django-filter): the fields a buyer narrows a catalog by.

Ranges use django-filter's `_min` / `_max` pairs (`memory_gb_min=40&memory_gb_max=96`); names
and vendors match exactly or by `q` (case-insensitive substring of name or vendor).
"""
import django_filters
from django.db.models import Q, QuerySet

from config.filters import RangeCheckedFilterSet
from inventory.models import Accelerator, ModelClass, PerformanceProfile, RackType, ServerModel


class SearchFilterSet(RangeCheckedFilterSet):
    q = django_filters.CharFilter(method="search", label="Name or vendor contains")

    search_fields: tuple[str, ...] = ("name",)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


class AcceleratorFilterSet(SearchFilterSet):
    search_fields = ("name", "vendor")
    vendor = django_filters.CharFilter(lookup_expr="iexact")
    memory_gb = django_filters.RangeFilter()
    memory_bandwidth_gbps = django_filters.RangeFilter()
    tdp_w = django_filters.RangeFilter()
    mig = django_filters.BooleanFilter(
        method="filter_mig", label="Supports MIG (mig_max_instances > 0)"
    )

    class Meta:
        model = Accelerator
        fields = ["name", "vendor", "kind"]

    def filter_mig(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(mig_max_instances__gt=0) if value else queryset.filter(
            mig_max_instances=0
        )


class ServerModelFilterSet(SearchFilterSet):
    search_fields = ("name", "vendor")
    vendor = django_filters.CharFilter(lookup_expr="iexact")
    accelerator = django_filters.CharFilter(field_name="accelerator__name")
    accelerator_kind = django_filters.ChoiceFilter(
        field_name="accelerator__kind", choices=Accelerator.Kind.choices
    )
    accelerator_vendor = django_filters.CharFilter(
        field_name="accelerator__vendor", lookup_expr="iexact"
    )
    memory_gb = django_filters.RangeFilter(
        field_name="accelerator__memory_gb", label="Memory per accelerator, GB"
    )
    power_w = django_filters.RangeFilter()
    u_height = django_filters.NumberFilter()
    price_usd = django_filters.RangeFilter()
    has_price = django_filters.BooleanFilter(
        field_name="price_usd", lookup_expr="isnull", exclude=True, label="Has a price"
    )

    class Meta:
        model = ServerModel
        fields = ["name", "vendor", "u_height", "accelerator_count", "cooling",
                  "price_is_estimate"]


class RackTypeFilterSet(SearchFilterSet):
    u_height = django_filters.NumberFilter()
    budget_kw = django_filters.RangeFilter()

    class Meta:
        model = RackType
        fields = ["name", "u_height", "feeds", "cooling"]


class ModelClassFilterSet(SearchFilterSet):
    parameters_b = django_filters.RangeFilter()
    moe = django_filters.BooleanFilter(
        field_name="expert_count", lookup_expr="isnull", exclude=True,
        label="Mixture of experts (expert_count set)",
    )
    sliding_window = django_filters.BooleanFilter(
        field_name="sliding_window_tokens", lookup_expr="isnull", exclude=True,
        label="Sliding-window (local) attention layers (sliding_window_tokens set)",
    )

    class Meta:
        model = ModelClass
        fields = ["name", "size_class", "default_precision_bits"]


class PerformanceProfileFilterSet(RangeCheckedFilterSet):
    server_model = django_filters.CharFilter(field_name="server_model__name")
    model_class = django_filters.CharFilter(field_name="model_class__name")
    size_class = django_filters.ChoiceFilter(
        field_name="model_class__size_class", choices=ModelClass.SizeClass.choices
    )
    sessions_at_slo = django_filters.RangeFilter()
    slo_tps = django_filters.NumberFilter()

    class Meta:
        model = PerformanceProfile
        fields = ["precision_bits", "basis"]
