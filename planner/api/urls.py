from django.urls import path

from config.routers import OptionalSlashRouter
from planner.api import views

router = OptionalSlashRouter()
router.register("scenarios", views.ScenarioViewSet, basename="scenario")
router.register("runs", views.RunViewSet, basename="run")

urlpatterns = [path("solve", views.solve_view, name="solve"), *router.urls]
