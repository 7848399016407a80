from django.apps import AppConfig

from inventory import catalog_cache


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Hardware and model catalog"

    def ready(self) -> None:
        # Django's place to connect receivers: every catalog write bumps the cache version.
        catalog_cache.connect()
