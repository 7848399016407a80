from django.urls import path

from planner.pages import capacity, history, home, runs, scenarios, sweeps

app_name = "planner"

urlpatterns = [
    path("", home.home, name="home"),
    path("study/", home.study, name="study"),
    path("capacity/", capacity.capacity, name="capacity"),
    path("capacity/table.csv", capacity.capacity_csv, name="capacity-csv"),
    path("scenarios/new/", scenarios.scenario_new, name="scenario-new"),
    path("scenarios/<int:pk>/", scenarios.scenario_detail, name="scenario"),
    path("scenarios/<int:pk>/edit/", scenarios.scenario_edit, name="scenario-edit"),
    path("scenarios/<int:pk>/solve/", scenarios.scenario_solve, name="scenario-solve"),
    path(
        "scenarios/<int:pk>/share/regenerate/",
        scenarios.scenario_regenerate_token,
        name="scenario-regenerate-token",
    ),
    path("scenarios/<int:pk>/sweeps/", sweeps.sweep_start, name="sweep-start"),
    path("scenarios/<int:pk>/history/", history.scenario_history, name="scenario-history"),
    path(
        "scenarios/<int:pk>/history/<int:number>/",
        history.scenario_version,
        name="scenario-version",
    ),
    path(
        "scenarios/<int:pk>/history/<int:number>/restore/",
        history.scenario_version_restore,
        name="scenario-version-restore",
    ),
    path("scenarios/<int:pk>/delete/", history.scenario_delete, name="scenario-delete"),
    path("scenarios/<int:pk>/restore/", history.scenario_undelete, name="scenario-undelete"),
    path("scenarios/deleted/", history.deleted_scenarios, name="scenarios-deleted"),
    path("sweeps/<int:pk>/", sweeps.sweep_detail, name="sweep"),
    path("sweeps/<int:pk>/table.csv", sweeps.sweep_csv, name="sweep-csv"),
    path("sweeps/<int:pk>/status.json", sweeps.sweep_status, name="sweep-status"),
    path("sweeps/<int:pk>/cancel/", sweeps.sweep_cancel, name="sweep-cancel"),
    path("runs/<int:pk>/", runs.run_detail, name="run"),
    path("runs/<int:pk>/rename/", runs.run_rename, name="run-rename"),
    path("runs/<int:pk>/status.json", runs.run_status, name="run-status"),
    path("runs/<int:pk>/bom.<str:fmt>", runs.run_bom, name="run-bom"),
    path("compare/", runs.compare, name="compare"),
    path("s/<str:token>/", scenarios.shared_scenario, name="shared-scenario"),
    path("s/<str:token>/duplicate/", scenarios.shared_duplicate, name="shared-duplicate"),
]
