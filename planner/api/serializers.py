"""Scenario and run serializers. Problems are validated by the pure core's problem format v1."""

import datetime as dt
import json

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.history import ChangeSerializer
from config.sparse_fields import SparseFieldsMixin
from inventory.api.serializers import refuse_control_characters
from planner import solver
from planner.bridge.problems import ScenarioSpecError, validate_spec
from planner.history import Version, run_version
from planner.models import Run, Scenario
from planner.reports.tco import compute_tco
from planner.retention import purge_after
from planner.runs.queueing import check_problem_limits


def validate_problem_v1(value: object) -> dict:
    """Validate problem v1 JSON and its size limits; report each bad field under its path."""
    try:
        solver.validate_problem(value)
        check_problem_limits(value)
    except solver.ProblemError as exc:
        raise serializers.ValidationError(
            {path: messages for path, messages in exc.errors.items()}
        ) from exc
    return value


def validate_spec_v1(value: object) -> dict:
    try:
        return validate_spec(value)
    except ScenarioSpecError as exc:
        raise serializers.ValidationError(exc.errors) from exc


@extend_schema_field({"type": "object", "description": "Problem format v1"})
class ProblemField(serializers.JSONField):
    pass


@extend_schema_field({"type": "object", "description": "Scenario spec v1"})
class SpecField(serializers.JSONField):
    pass


class ScenarioSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    spec = SpecField(validators=[validate_spec_v1], required=False, allow_null=True)
    problem = ProblemField(validators=[validate_problem_v1], required=False, allow_null=True)
    owner = serializers.CharField(source="owner.username", read_only=True, default=None)
    share_url = serializers.SerializerMethodField()
    runs_url = serializers.SerializerMethodField()
    purge_after = serializers.SerializerMethodField()

    class Meta:
        model = Scenario
        fields = [
            "id",
            "name",
            "description",
            "owner",
            "spec",
            "problem",
            "share_token",
            "share_url",
            "runs_url",
            "created_at",
            "updated_at",
            "deleted_at",
            "purge_after",
        ]
        read_only_fields = ["share_token", "created_at", "updated_at", "deleted_at"]

    def validate(self, attrs: dict) -> dict:
        refuse_control_characters(attrs)
        for key in ("spec", "problem"):
            # PostgreSQL's jsonb cannot store NUL; refuse it here rather than at the database.
            if attrs.get(key) is not None and "\\u0000" in json.dumps(attrs[key]):
                raise serializers.ValidationError({key: ["Must not contain NUL characters."]})
        given = {key for key in ("spec", "problem") if attrs.get(key) is not None}
        if given == {"spec", "problem"}:
            raise serializers.ValidationError(
                {"spec": ["Give a scenario spec or a problem v1, not both."]}
            )
        if given:
            # One replaces the other: a scenario is solved from exactly one of them.
            other = ({"spec", "problem"} - given).pop()
            attrs[other] = None
        elif self.instance is None or "spec" in attrs or "problem" in attrs:
            raise serializers.ValidationError(
                {"spec": ["Give a scenario spec (catalog terms) or a problem v1."]}
            )
        return attrs

    @extend_schema_field(serializers.URLField())
    def get_share_url(self, scenario: Scenario) -> str:
        return self._absolute(scenario.get_share_path())

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_purge_after(self, scenario: Scenario) -> dt.datetime | None:
        """When a deleted scenario is purged for good (null while it is not deleted)."""
        return purge_after(scenario)

    @extend_schema_field(serializers.URLField())
    def get_runs_url(self, scenario: Scenario) -> str:
        return self._absolute(f"/api/v1/scenarios/{scenario.pk}/runs")

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class SolverStatisticsSerializer(serializers.Serializer):
    status = serializers.CharField(allow_null=True)
    objective = serializers.FloatField(allow_null=True)
    objective_unit = serializers.CharField(allow_null=True)
    bound = serializers.FloatField(allow_null=True)
    gap = serializers.FloatField(allow_null=True)
    solve_seconds = serializers.FloatField(allow_null=True)


STATISTICS_KEYS = tuple(SolverStatisticsSerializer().fields)


@extend_schema_field({"type": "object", "nullable": True, "description": "Result v1"})
class ResultField(serializers.JSONField):
    pass


@extend_schema_field({"type": "object", "description": "Latest progress report of the solver"})
class ProgressField(serializers.JSONField):
    pass


class VersionRefSerializer(serializers.Serializer):
    """Which version of its scenario a run solved."""

    version = serializers.IntegerField(help_text="The scenario's version, 1 for its first.")
    saved_at = serializers.DateTimeField(help_text="When that version was saved.")
    saved_by = serializers.CharField(
        allow_null=True, help_text="Who saved it (null for a script, or on a share link)."
    )
    url = serializers.URLField(help_text="The version: GET /scenarios/{id}/history/{version}.")


class RunSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    scenario = serializers.PrimaryKeyRelatedField(read_only=True)
    scenario_version = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    bom_url = serializers.SerializerMethodField()
    duration_s = serializers.FloatField(read_only=True, allow_null=True)
    progress = ProgressField(read_only=True)
    statistics = serializers.SerializerMethodField()
    tco = serializers.SerializerMethodField()
    result = ResultField(read_only=True)
    outcome = serializers.CharField(
        read_only=True,
        help_text="`status`, except `infeasible` for a succeeded run whose solve proved that no "
        "layout meets the demand (status stays `succeeded`).",
    )
    spec = SpecField(read_only=True, allow_null=True)
    settings = serializers.JSONField(source="solver_settings", read_only=True)

    class Meta:
        model = Run
        fields = [
            "id",
            "url",
            "scenario",
            "name",
            "note",
            "status",
            "outcome",
            "progress",
            "error",
            "queued_at",
            "started_at",
            "finished_at",
            "duration_s",
            "statistics",
            "tco",
            "result",
            "bom_url",
            "spec",
            "settings",
            "scenario_version",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_url(self, run: Run) -> str:
        return self._absolute(f"/api/v1/runs/{run.pk}")

    @extend_schema_field(serializers.URLField())
    def get_bom_url(self, run: Run) -> str:
        return self._absolute(f"/api/v1/runs/{run.pk}/bom")

    @extend_schema_field(SolverStatisticsSerializer(allow_null=True))
    def get_statistics(self, run: Run) -> dict | None:
        """The solver's figures pulled out of the result (null until it has one)."""
        if not run.result:
            return None
        return {key: run.result.get(key) for key in STATISTICS_KEYS}

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "description": "TCO and $ per million output tokens of the layout and per model "
            "(docs/tco.md); null until the run has a layout",
        }
    )
    def get_tco(self, run: Run) -> dict | None:
        if not run.result or not run.result.get("totals"):
            return None
        return compute_tco(run.problem, run.result)

    @extend_schema_field(VersionRefSerializer(allow_null=True))
    def get_scenario_version(self, run: Run) -> dict | None:
        """The scenario version the run solved; null for runs queued before history."""
        version = run_version(run)
        if version is None:
            return None
        user = version.record.history_user
        return {
            "version": version.number,
            "saved_at": version.record.history_date,
            "saved_by": None if self.context.get("shared") or user is None
            else user.get_username(),
            "url": self._absolute(
                f"/api/v1/scenarios/{run.scenario_id}/history/{version.number}"
            ),
        }

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ScenarioVersionSerializer(serializers.Serializer):
    """One earlier version of a scenario, and how it differs from the scenario now."""

    version = serializers.IntegerField()
    id = serializers.IntegerField(help_text="The historical record's id.")
    when = serializers.DateTimeField()
    who = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    spec = SpecField(allow_null=True)
    problem = ProblemField(allow_null=True)
    differences = ChangeSerializer(
        many=True,
        help_text="Fields (inside spec and problem: paths) whose value differs from the "
        "scenario now: `old` is this version's, `new` the current one.",
    )

    @staticmethod
    def build(version: Version, differences: list) -> dict:
        record = version.record
        user = record.history_user
        return {
            "version": version.number,
            "id": record.history_id,
            "when": record.history_date,
            "who": user.get_username() if user is not None else None,
            "reason": record.history_change_reason or None,
            **version.content,
            "differences": [change.as_dict() for change in differences],
        }


class RunRequestSerializer(serializers.Serializer):
    """The optional body of POST /scenarios/{id}/runs."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    note = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


class SharedScenarioSerializer(ScenarioSerializer):
    """What a share link shows: the scenario without its owner."""

    class Meta(ScenarioSerializer.Meta):
        fields = [f for f in ScenarioSerializer.Meta.fields if f != "owner"]
        read_only_fields = fields
