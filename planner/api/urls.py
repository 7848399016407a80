from django.urls import path, re_path

from config.routers import OptionalSlashRouter
from planner.api import views
from planner.api.capacity import capacity_view

router = OptionalSlashRouter()
router.register("scenarios", views.ScenarioViewSet, basename="scenario")
router.register("runs", views.RunViewSet, basename="run")

urlpatterns = [
    path("solve", views.solve_view, name="solve"),
    re_path(r"^runs/(?P<pk>[0-9]{1,18})/bom/?$", views.RunBomView.as_view(), name="run-bom"),
    re_path(
        r"^runs/(?P<pk>[0-9]{1,18})/bom\.(?P<file_format>[a-z]+)/?$",
        views.RunBomFileView.as_view(),
        name="run-bom-file",
    ),
    re_path(r"^shared/(?P<token>[^/]+)/?$", views.SharedScenarioView.as_view(), name="shared"),
    re_path(
        r"^shared/(?P<token>[^/]+)/runs/?$", views.SharedRunsView.as_view(), name="shared-runs"
    ),
    *router.urls,
]
urlpatterns.append(path("capacity", capacity_view, name="capacity"))
