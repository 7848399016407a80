from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from inventory.models import Accelerator, ModelClass, PerformanceProfile, RackType, ServerModel
from inventory.usage import RefuseDeletingUsedRowsAdmin


@admin.register(Accelerator)
class AcceleratorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "vendor", "kind", "memory_gb", "memory_bandwidth_gbps", "tdp_w"]
    list_filter = ["vendor", "kind"]
    search_fields = ["name", "vendor"]


@admin.register(ServerModel)
class ServerModelAdmin(RefuseDeletingUsedRowsAdmin, SimpleHistoryAdmin):
    list_display = [
        "name", "vendor", "u_height", "power_w", "typical_power_w", "accelerator",
        "accelerator_count", "price_usd", "price_is_estimate",
    ]
    list_filter = ["vendor", "u_height", "cooling", "price_is_estimate"]
    search_fields = ["name", "vendor", "notes"]


@admin.register(RackType)
class RackTypeAdmin(RefuseDeletingUsedRowsAdmin, SimpleHistoryAdmin):
    list_display = [
        "name", "u_height", "budget_kw", "feeds", "derating_pct", "cooling", "cooling_kw",
        "max_weight_kg", "reserved_u", "reserved_kw",
    ]
    list_filter = ["feeds", "cooling"]


@admin.register(ModelClass)
class ModelClassAdmin(RefuseDeletingUsedRowsAdmin, SimpleHistoryAdmin):
    list_display = [
        "name", "parameters_b", "active_parameters_b", "size_class", "layers", "kv_heads",
        "expert_count", "native_precision_bits",
    ]
    list_filter = ["size_class"]


@admin.register(PerformanceProfile)
class PerformanceProfileAdmin(SimpleHistoryAdmin):
    list_display = [
        "server_model", "model_class", "precision_bits", "sessions_at_slo", "slo_tps", "basis",
    ]
    list_filter = ["basis", "precision_bits", "server_model"]
