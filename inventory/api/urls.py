from config.routers import OptionalSlashRouter
from inventory.api import views

router = OptionalSlashRouter()
router.register("accelerators", views.AcceleratorViewSet)
router.register("server-models", views.ServerModelViewSet)
router.register("rack-types", views.RackTypeViewSet)
router.register("model-classes", views.ModelClassViewSet)
router.register("performance-profiles", views.PerformanceProfileViewSet)

urlpatterns = router.urls
