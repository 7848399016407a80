from django.urls import re_path

from config.routers import OptionalSlashRouter
from inventory.api import views

router = OptionalSlashRouter()
router.register("accelerators", views.AcceleratorViewSet)
router.register("server-models", views.ServerModelViewSet)
router.register("rack-types", views.RackTypeViewSet)
router.register("model-classes", views.ModelClassViewSet)
router.register("performance-profiles", views.PerformanceProfileViewSet)

urlpatterns = [
    re_path(r"^import/catalog/?$", views.CatalogImportView.as_view(), name="catalog-import"),
    re_path(
        r"^export/catalog\.(?P<file_format>[a-z]+)/?$",
        views.CatalogExportView.as_view(),
        name="catalog-export",
    ),
    *router.urls,
]
