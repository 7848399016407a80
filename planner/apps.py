from django.apps import AppConfig


class PlannerConfig(AppConfig):
    name = "planner"
    verbose_name = "Rack planner"

    def ready(self) -> None:
        # Django's place to connect receivers: the bridge's modules import models, which are
        # not loaded yet when this module is. The catalog sends; it never imports the planner.
        from django.contrib.auth import get_user_model

        from config import read_versions
        from inventory.seed import catalog_loaded
        from inventory.usage import row_users
        from planner.bridge import figures, usage
        from planner.models import Run, Scenario

        read_versions.connect(get_user_model(), [Scenario, Run])
        row_users.connect(usage.scenario_users, dispatch_uid="planner-scenarios-use-rows")
        catalog_loaded.connect(
            figures.derive_study_profiles, dispatch_uid="planner-derives-study-profiles"
        )
