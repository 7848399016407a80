from django.urls import path

from config.routers import OptionalSlashRouter
from planner.api import views
from planner.api.capacity import capacity_view

router = OptionalSlashRouter()
router.register("scenarios", views.ScenarioViewSet, basename="scenario")
router.register("runs", views.RunViewSet, basename="run")

urlpatterns = [path("solve", views.solve_view, name="solve"), *router.urls]
urlpatterns.append(path("capacity", capacity_view, name="capacity"))
