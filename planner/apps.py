from django.apps import AppConfig


class PlannerConfig(AppConfig):
    name = "planner"
    verbose_name = "Rack planner"

    def ready(self) -> None:
        # Registers the guard that refuses deleting catalog rows a saved scenario uses.
        from planner import usage  # noqa: F401
