from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from planner.models import Run, Scenario, Sweep


@admin.register(Scenario)
class ScenarioAdmin(SimpleHistoryAdmin):
    list_display = ["name", "owner", "updated_at"]
    search_fields = ["name", "description"]
    readonly_fields = ["share_token", "created_at", "updated_at", "deleted_at"]


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["id", "scenario", "status", "queued_at", "finished_at"]
    list_filter = ["status"]
    readonly_fields = ["queued_at", "started_at", "finished_at"]


@admin.register(Sweep)
class SweepAdmin(admin.ModelAdmin):
    list_display = ["id", "scenario", "parameter", "cancelled", "created_at"]
