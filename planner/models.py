"""Scenarios (a stored problem v1) and the runs that solve them.

The scenario's `problem` JSON, validated against problem format v1 on the way in, is the one
source of truth for what is solved; a run keeps the exact problem it solved, so editing a
scenario never rewrites the history of its runs.
"""
import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse


def new_share_token() -> str:
    # 128 bits of randomness: unguessable, unlike the integer id.
    return secrets.token_urlsafe(16)


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
    problem = models.JSONField(help_text="Problem format v1 (docs/problem-format.md).")
    share_token = models.CharField(max_length=64, unique=True, default=new_share_token)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.name

    def get_share_path(self) -> str:
        return reverse("planner:shared-scenario", kwargs={"token": self.share_token})


class Run(models.Model):
    """One solve of a scenario's problem, as queued, run and stored by `solve_run`."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    problem = models.JSONField(help_text="The problem as it was when the run was queued.")
    result = models.JSONField(null=True, blank=True, help_text="Solver output (result v1).")
    progress = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
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

    class Meta:
        ordering = ["-queued_at", "-id"]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.scenario} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
