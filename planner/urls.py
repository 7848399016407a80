from django.urls import path

from planner import capacity_page, views, views_runs, views_scenarios, views_sweeps

app_name = "planner"

urlpatterns = [
    path("", views.home, name="home"),
    path("study/", views.study, name="study"),
    path("capacity/", capacity_page.capacity, name="capacity"),
    path("scenarios/new/", views_scenarios.scenario_new, name="scenario-new"),
    path("scenarios/<int:pk>/", views_scenarios.scenario_detail, name="scenario"),
    path("scenarios/<int:pk>/edit/", views_scenarios.scenario_edit, name="scenario-edit"),
    path("scenarios/<int:pk>/solve/", views_scenarios.scenario_solve, name="scenario-solve"),
    path(
        "scenarios/<int:pk>/share/regenerate/",
        views_scenarios.scenario_regenerate_token,
        name="scenario-regenerate-token",
    ),
    path("scenarios/<int:pk>/sweeps/", views_sweeps.sweep_start, name="sweep-start"),
    path("sweeps/<int:pk>/", views_sweeps.sweep_detail, name="sweep"),
    path("sweeps/<int:pk>/status.json", views_sweeps.sweep_status, name="sweep-status"),
    path("sweeps/<int:pk>/cancel/", views_sweeps.sweep_cancel, name="sweep-cancel"),
    path("runs/<int:pk>/", views_runs.run_detail, name="run"),
    path("runs/<int:pk>/status.json", views_runs.run_status, name="run-status"),
    path("runs/<int:pk>/bom.<str:fmt>", views_runs.run_bom, name="run-bom"),
    path("compare/", views_runs.compare, name="compare"),
    path("s/<str:token>/", views_scenarios.shared_scenario, name="shared-scenario"),
    path("s/<str:token>/duplicate/", views_scenarios.shared_duplicate, name="shared-duplicate"),
]
