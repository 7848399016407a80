"""Scenarios (a stored problem v1) and the runs that solve them.

The scenario's `problem` JSON, validated against problem format v1 on the way in, is the one
source of truth for what is solved; a run keeps the exact problem it solved, so editing a
scenario never rewrites the history of its runs.
"""
import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from config.read_versions import VersionedQuerySet
from planner.solver import has_layout


def new_share_token() -> str:
    # 128 bits of randomness: unguessable, unlike the integer id.
    return secrets.token_urlsafe(16)


class LiveScenarioManager(models.Manager.from_queryset(VersionedQuerySet)):
    """Scenarios that are not deleted: what every list, link, page and queue sees (bulk updates
    bump the read cache's generation, as every scenario write does)."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class Scenario(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scenarios",
    )
    # Exactly one of the two says what is solved: a spec in catalog terms (built into a problem
    # v1 from the catalog when a run is queued), or a raw problem v1 from a tool.
    spec = models.JSONField(
        null=True, blank=True, help_text="Scenario spec v1 (docs/problem-format.md)."
    )
    problem = models.JSONField(
        null=True, blank=True, help_text="Problem format v1 (docs/problem-format.md)."
    )
    share_token = models.CharField(max_length=64, unique=True, default=new_share_token)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Deleting is soft: the scenario is out of sight until SCENARIO_RETENTION_DAYS have passed
    # (its owner may restore it), then `purge_deleted_scenarios` removes it (planner/history.py).
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)

    # Each save is a version (who, when, which fields): planner/history.py. The share token is
    # a secret, not content; `updated_at` is the version's own date.
    history = HistoricalRecords(excluded_fields=["share_token", "updated_at"])

    # The default manager hides deleted scenarios, so no query forgets to; `all_objects` is
    # for the recently-deleted list, restore and the purge. (A run's `scenario` still reaches a
    # deleted one: Django follows foreign keys through the base manager.)
    all_objects = VersionedQuerySet.as_manager()
    objects = LiveScenarioManager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        default_manager_name = "objects"
        base_manager_name = "all_objects"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(spec__isnull=False) | models.Q(problem__isnull=False),
                name="scenario_has_spec_or_problem",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_share_path(self) -> str:
        return reverse("planner:shared-scenario", kwargs={"token": self.share_token})


OUTCOME_LABELS = {
    "queued": "Queued",
    "running": "Running",
    "succeeded": "Succeeded",
    "infeasible": "Infeasible",
    "failed": "Failed",
    "cancelled": "Cancelled",
}


class Run(models.Model):
    """One solve of a scenario's problem, as queued, run and stored by `solve_run`."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    problem = models.JSONField(help_text="The problem as it was when the run was queued.")
    # What the planner asked for, kept as it was when the run was queued: editing the scenario
    # afterwards never changes what a run says it solved (planner/reports/inputs.py reads them).
    spec = models.JSONField(
        null=True,
        blank=True,
        help_text="The scenario spec v1 the run was built from (defaults filled); null for a "
        "raw problem v1.",
    )
    solver_settings = models.JSONField(
        default=dict,
        blank=True,
        help_text="Solver settings the run was queued with: time_limit_s, method.",
    )
    name = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True, help_text="Solver output (result v1).")
    progress = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The client's Idempotency-Key header: a retried POST with the same key (same scenario,
    # same user) gets this run back instead of queueing another.
    idempotency_key = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(
        default=1,
        help_text="How many times the run was sent to the workers: the first send and each "
        "re-send by requeue_stale_runs (planner/recovery.py).",
    )
    queued_at = models.DateTimeField(
        auto_now_add=True, help_text="When the run was queued, or last re-queued."
    )
    started_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a worker claimed the run; also the claim's fencing token (tasks.py).",
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    # The scenario version (its history record) the run was built from; null for runs queued
    # before history was kept.
    scenario_version = models.ForeignKey(
        "planner.HistoricalScenario",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # A worker's claim, progress and result are bulk updates: they bump the generation cached
    # API reads are kept under (config/read_versions.py), so the next poll sees them.
    objects = VersionedQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scenario", "requested_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="run_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.scenario} ({self.status})"

    @property
    def has_layout(self) -> bool:
        """Whether the run's result carries a layout (`planner.solver.has_layout`)."""
        return has_layout(self.result)

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED, self.Status.CANCELLED}

    @property
    def outcome(self) -> str:
        """What the planner reads: the status, except that a finished solve which proved no
        layout exists is `infeasible` (its status stays `succeeded` for API clients)."""
        if self.status == self.Status.SUCCEEDED and (self.result or {}).get("status") == (
            "infeasible"
        ):
            return "infeasible"
        return self.status

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome, self.outcome)

    @property
    def label(self) -> str:
        """`#12 name` (or the scenario's name when the run has none)."""
        return f"#{self.pk} {self.name or self.scenario.name}"

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class Sweep(models.Model):
    """One parameter of a scenario varied over values, one run per value × server option.

    `variants` lists `{"value", "server", "run"}` (run id): the runs are ordinary runs of the
    scenario whose problems carry `x-sweep` (the solver ignores it), so a worker needs nothing
    but a run id, and the scenario's own run list can leave them out.
    """

    class Parameter(models.TextChoices):
        RACK_BUDGET_KW = "rack_budget_kw", "Rack power budget (kW)"
        SLO_TPS = "slo_tps", "SLO (tokens/s per session)"
        PRECISION_BITS = "precision_bits", "Weight precision (bits)"
        RACK_COUNT = "rack_count", "Number of racks"
        INPUT_TOKENS = "input_tokens", "Prompt tokens per request"
        TTFT_S = "ttft_s", "First-token target (s)"
        OUTPUT_TOKENS = "output_tokens", "Output tokens per request"
        KV_PRECISION_BITS = "kv_precision_bits", "KV-cache precision (bits)"

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="sweeps")
    parameter = models.CharField(max_length=20, choices=Parameter.choices)
    values = models.JSONField(help_text="The parameter's values, in order.")
    variants = models.JSONField(default=list, blank=True)
    cancelled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Sweep {self.pk} of {self.scenario} over {self.parameter}"
