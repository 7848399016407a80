"""Solver, scenario, run, BOM and shared-link endpoints. Thin: the work is in planner.runs.queueing,
planner.reports.bom and the pure solver."""

from django.conf import settings
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, mixins, permissions, renderers, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.exceptions import APIException, NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from config import read_cache
from config.exceptions import error_body
from config.history import HistoryEntrySerializer
from config.openapi import ERRORS, error_responses
from config.pagination import page_response
from planner import history as scenario_history
from planner import retention, solver
from planner.access import (
    duplicate_scenario,
    is_owner,
    regenerate_share_token,
    scenarios_visible_to,
)
from planner.api.renderers import XLSX_MEDIA_TYPE, BomCSVRenderer, BomXLSXRenderer
from planner.api.serializers import (
    RunRequestSerializer,
    RunSerializer,
    ScenarioSerializer,
    ScenarioVersionSerializer,
    SharedScenarioSerializer,
)
from planner.bridge.problems import ScenarioSpecError
from planner.models import Run, Scenario
from planner.reports.bom import build_bom
from planner.reports.inputs import INPUT_LABELS, run_inputs
from planner.runs.queueing import RunAlreadyFinished, cancel_run, check_problem_limits, queue_run


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict."
    default_code = "conflict"


def problem_error_response(exc: "solver.ProblemError") -> Response:
    return Response(error_body(str(exc), exc.errors), status=status.HTTP_400_BAD_REQUEST)


@extend_schema(
    request={"application/json": {"type": "object", "description": "Problem format v1"}},
    responses={
        200: OpenApiResponse(
            {"type": "object", "description": "Result v1"},
            description="Result v1 (docs/problem-format.md)",
        ),
        **error_responses(400),
    },
)
@api_view(["POST"])
@permission_classes([permissions.AllowAny])
def solve_view(request: Request) -> Response:
    """Solve a problem v1 body synchronously and return the result v1 JSON."""
    try:
        problem = solver.validate_problem(request.data)
        check_problem_limits(request.data)
    except solver.ProblemError as exc:
        return problem_error_response(exc)
    # A synchronous solve holds a web process: cap it well below gunicorn's timeout (queue a
    # run for longer solves).
    limit_s = solver.time_budget_s(problem.time_limit_s, settings.SYNC_SOLVE_TIME_LIMIT_S)
    result = solver.solve(problem, time_limit_s=limit_s)
    if result["status"] == "invalid":  # valid JSON, but e.g. too large for the exact method
        return Response(
            {"errors": result.get("errors") or {}, "detail": result.get("reason", "invalid")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return Response(result)


class IsOwnerOrStaff(permissions.BasePermission):
    """The ownership rule of `planner.access`, as a DRF object permission."""

    def has_object_permission(self, request: Request, view, obj) -> bool:
        return is_owner(request.user, obj.scenario if isinstance(obj, Run) else obj)


ID_ERRORS = error_responses(401, 404)
# What a run's `scenario_version` reads, fetched with the run.
RUN_RELATED = ("scenario_version__history_user",)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="A retried POST with the same key (same scenario and user) returns the first "
    "run instead of queueing another. At most 255 characters.",
)


@extend_schema_view(
    list=extend_schema(responses={200: ScenarioSerializer(many=True), **error_responses(400, 401)}),
    create=extend_schema(
        responses={201: ScenarioSerializer, **error_responses(400, 401)}
    ),
    retrieve=extend_schema(responses={200: ScenarioSerializer, **ID_ERRORS}),
    update=extend_schema(
        responses={200: ScenarioSerializer, **error_responses(400, 401, 404)}
    ),
    partial_update=extend_schema(
        responses={200: ScenarioSerializer, **error_responses(400, 401, 404)}
    ),
    destroy=extend_schema(
        description="Delete the scenario: it is gone from every list, link and queue at once "
        "(its unfinished runs are cancelled) and answers 404, but its owner can restore it "
        "(`POST /scenarios/{id}/restore`) for SCENARIO_RETENTION_DAYS (default 30) before it is "
        "purged with its runs and history.",
        responses={204: OpenApiResponse(description="Deleted (restorable)."), **ID_ERRORS},
    ),
)
class ScenarioViewSet(viewsets.ModelViewSet):
    """Scenarios: the caller's own (staff: all). Owner or staff edit, delete and re-share."""

    serializer_class = ScenarioSerializer
    permission_classes = [permissions.IsAuthenticated, IsOwnerOrStaff]
    lookup_value_regex = "[0-9]{1,18}"
    filterset_fields = ["name"]
    ordering_fields = ["name", "created_at", "updated_at"]

    def get_queryset(self) -> QuerySet[Scenario]:
        return scenarios_visible_to(self.request.user).select_related("owner")

    def perform_create(self, serializer: ScenarioSerializer) -> None:
        serializer.save(owner=self.request.user)

    def perform_destroy(self, instance: Scenario) -> None:
        retention.soft_delete(instance, self.request.user)

    @extend_schema(
        request=None,
        responses={200: ScenarioSerializer(many=True), **error_responses(400, 401)},
    )
    @action(detail=False, methods=["get"], filter_backends=[])
    def deleted(self, request: Request) -> Response:
        """The caller's deleted scenarios (staff: all), latest deleted first, each restorable
        until `purge_after`."""
        page = self.paginate_queryset(
            retention.deleted_visible_to(request.user).select_related("owner")
        )
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        request=None, responses={200: ScenarioSerializer, **error_responses(401, 404)}
    )
    @action(detail=True, methods=["post"], url_path="restore")
    def undelete(self, request: Request, pk: str | None = None) -> Response:
        """Bring back a deleted scenario (owner or staff, before it is purged)."""
        scenario = retention.owned_deleted_scenario(request.user, int(pk))
        retention.undelete(scenario, request.user)
        return Response(self.get_serializer(scenario).data)

    @extend_schema(
        request=None,
        responses={200: HistoryEntrySerializer(many=True), **ID_ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="history", filter_backends=[])
    def history(self, request: Request, pk: str | None = None) -> Response:
        """Every saved version of the scenario, newest first: when, who, created / changed /
        deleted / restored, and each changed field (inside spec and problem: each changed
        path) with its old and new value."""
        scenario = self.get_object()
        paginator = self.paginator
        count, entries = scenario_history.entries_page(
            scenario, paginator.get_offset(request), paginator.get_limit(request)
        )
        data = HistoryEntrySerializer([entry.as_dict() for entry in entries], many=True).data
        return page_response(paginator, request, count, data)

    @extend_schema(
        request=None, responses={200: ScenarioVersionSerializer, **ID_ERRORS}
    )
    @action(detail=True, methods=["get"], url_path=r"history/(?P<version>[0-9]{1,9})")
    def history_version(self, request: Request, pk: str | None = None,
                        version: str = "") -> Response:
        """One version: its name, description and spec (or problem), and the fields in which
        it differs from the scenario now."""
        scenario = self.get_object()
        found = self._version(scenario, version)
        return Response(
            ScenarioVersionSerializer.build(found, scenario_history.compare(found, scenario))
        )

    @extend_schema(
        request=None, responses={200: ScenarioSerializer, **error_responses(400, 401, 404)}
    )
    @action(detail=True, methods=["post"], url_path=r"history/(?P<version>[0-9]{1,9})/restore")
    def restore_version(self, request: Request, pk: str | None = None,
                        version: str = "") -> Response:
        """Make that version's content (name, description, spec or problem) the scenario's
        again, as a new version. 400 when it no longer validates against the catalog."""
        scenario = self.get_object()
        found = self._version(scenario, version)
        try:
            scenario_history.restore(scenario, found, request.user)
        except scenario_history.RestoreError as exc:
            return Response(error_body(str(exc), exc.errors), status=status.HTTP_400_BAD_REQUEST)
        return Response(self.get_serializer(scenario).data)

    @staticmethod
    def _version(scenario: Scenario, number: str) -> scenario_history.Version:
        found = scenario_history.get_version(scenario, int(number))
        if found is None:
            raise NotFound(f"Scenario {scenario.pk} has no version {number}.")
        return found

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        scenario = self.get_object()
        # Kept by the read cache for the owner (and staff) until a write (config/read_cache.py).
        return read_cache.allow(Response(self.get_serializer(scenario).data),
                                owner_id=scenario.owner_id or 0)

    @extend_schema(
        request=None, responses={201: ScenarioSerializer, **error_responses(401, 404)}
    )
    @action(detail=True, methods=["post"])
    def duplicate(self, request: Request, pk: str | None = None) -> Response:
        """Copy the scenario (name, description, spec or problem) to a new one the caller owns,
        with its own share token and no runs."""
        copy = duplicate_scenario(self.get_object(), request.user)
        data = self.get_serializer(copy).data
        location = request.build_absolute_uri(f"/api/v1/scenarios/{copy.pk}")
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": location})

    @extend_schema(
        request=None, responses={200: ScenarioSerializer, **error_responses(401, 404)}
    )
    @action(detail=True, methods=["post"])
    def share(self, request: Request, pk: str | None = None) -> Response:
        """Give the scenario a new share token: the old link stops working at once."""
        scenario = self.get_object()
        regenerate_share_token(scenario)
        return Response(self.get_serializer(scenario).data)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: RunSerializer(many=True), **ID_ERRORS},
    )
    @extend_schema(
        methods=["POST"],
        request=RunRequestSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            202: OpenApiResponse(
                RunSerializer, description="Queued (or the first run for this Idempotency-Key)."
            ),
            **error_responses(400, 401, 404),
        },
    )
    @action(detail=True, methods=["post", "get"], url_path="runs")
    def runs(self, request: Request, pk: str | None = None) -> Response:
        """GET lists the scenario's runs (latest first, paginated); POST queues a solve and
        answers 202 with its URL in `Location`."""
        scenario = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(scenario.runs.select_related(*RUN_RELATED))
            serializer = RunSerializer(page, many=True, context={"request": request})
            return self.get_paginated_response(serializer.data)
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 255:
            return Response(
                error_body(
                    "Idempotency-Key is longer than 255 characters.",
                    {"Idempotency-Key": ["Ensure this header has at most 255 characters."]},
                ),
                status=status.HTTP_400_BAD_REQUEST,
            )
        body = RunRequestSerializer(data=request.data if isinstance(request.data, dict) else {})
        body.is_valid(raise_exception=True)
        try:
            run = queue_run(
                scenario,
                requested_by=request.user,
                idempotency_key=key,
                name=body.validated_data.get("name", ""),
                note=body.validated_data.get("note", ""),
            )
        except ScenarioSpecError as exc:
            errors = {f"spec.{k}": v for k, v in exc.errors.items()}
            return Response(error_body(str(exc), errors), status=status.HTTP_400_BAD_REQUEST)
        except solver.ProblemError as exc:
            return problem_error_response(exc)
        run.refresh_from_db()
        data = RunSerializer(run, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


@extend_schema_view(
    retrieve=extend_schema(responses={200: RunSerializer, **ID_ERRORS}),
    destroy=extend_schema(
        summary="Cancel a queued or running run",
        responses={
            200: OpenApiResponse(RunSerializer, description="Cancelled; the run is returned."),
            409: OpenApiResponse(ERRORS, description="The run has already finished."),
            **ID_ERRORS,
        },
    ),
)
class RunViewSet(mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Runs of the caller's scenarios: status, progress, timings, statistics and layout."""

    serializer_class = RunSerializer
    permission_classes = [permissions.IsAuthenticated, IsOwnerOrStaff]
    lookup_value_regex = "[0-9]{1,18}"

    def get_queryset(self) -> QuerySet[Run]:
        return Run.objects.filter(
            scenario__in=scenarios_visible_to(self.request.user)
        ).select_related("scenario", *RUN_RELATED)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        run = self.get_object()
        # Kept by the read cache for the owner (and staff) until the run or its scenario is
        # written (config/read_cache.py): a worker's every write makes the next poll miss.
        return read_cache.allow(Response(self.get_serializer(run).data),
                                owner_id=run.scenario.owner_id or 0)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        """Revoke a queued or running run (a running task is terminated); it ends `cancelled`.
        The run's record stays."""
        return self._cancel(self.get_object())

    @extend_schema(
        request=None,
        responses={
            200: RunSerializer,
            409: OpenApiResponse(ERRORS, description="The run has already finished."),
            **ID_ERRORS,
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """The same as DELETE, for clients that cannot send DELETE."""
        return self._cancel(self.get_object())

    def _cancel(self, run: Run) -> Response:
        try:
            run = cancel_run(run)
        except RunAlreadyFinished as exc:
            raise Conflict(str(exc)) from exc
        return Response(self.get_serializer(run).data)


BOM_RESPONSES = {
    (200, "application/json"): OpenApiResponse(
        {"type": "object", "description": "BOM (planner/bom.py): servers, rack_groups, totals"},
        description="The bill of materials.",
    ),
    (200, "text/csv"): OpenApiResponse(
        {"type": "string"}, description="The three tables stacked, first column `section`."
    ),
    (200, XLSX_MEDIA_TYPE): OpenApiResponse(
        {"type": "string", "format": "binary"},
        description="Sheets servers, rack_groups, totals.",
    ),
    **{
        (code, "application/json"): response
        for code, response in {
            **ID_ERRORS,
            406: OpenApiResponse(ERRORS, description="Not a format the BOM comes in."),
            409: OpenApiResponse(ERRORS, description="The run has no layout (yet)."),
        }.items()
    },
}


class RunBomView(generics.GenericAPIView):
    """A run's bill of materials as JSON, CSV or XLSX (by `Accept` or a `.json`/`.csv`/`.xlsx`
    suffix). Needs a layout: runs without one (queued, failed, infeasible) answer 409."""

    permission_classes = [permissions.IsAuthenticated, IsOwnerOrStaff]
    renderer_classes = [renderers.JSONRenderer, BomCSVRenderer, BomXLSXRenderer]
    serializer_class = None
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Run]:
        return RunViewSet.get_queryset(self)

    @extend_schema(responses=BOM_RESPONSES)
    def get(self, request: Request, pk: str) -> Response:
        run = self.get_object()
        if not run.has_layout:
            raise Conflict(f"Run {run.pk} has no layout ({run.status}).")
        inputs = run_inputs(run.spec, run.problem, run.solver_settings)
        bom = build_bom(
            run.problem, run.result, {INPUT_LABELS[key]: v for key, v in inputs.items()}
        )
        headers = {}
        if self.format_kwarg or request.accepted_renderer.format != "json":
            extension = request.accepted_renderer.format
            headers["Content-Disposition"] = f'attachment; filename="run-{run.pk}-bom.{extension}"'
        return Response(bom, headers=headers)
    # Errors and OPTIONS are JSON whatever format was asked for: config/json_answers.py.


class RunBomFileView(RunBomView):
    """The BOM in the format its suffix names (`bom.json`, `bom.csv`, `bom.xlsx`)."""

    def get_format_suffix(self, **kwargs) -> str | None:
        # Named `file_format`, not DRF's `format`, which schema generators skip as a suffix.
        return kwargs.get("file_format")

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "file_format", str, OpenApiParameter.PATH, enum=["json", "csv", "xlsx"]
            )
        ],
        responses=BOM_RESPONSES,
    )
    def get(self, request: Request, pk: str, file_format: str | None = None) -> Response:
        return super().get(request, pk)


class SharedScenarioView(generics.RetrieveAPIView):
    """A scenario read by its share token, by anyone who has the link."""

    permission_classes = [permissions.AllowAny]
    serializer_class = SharedScenarioSerializer
    queryset = Scenario.objects.all()
    lookup_field = "share_token"
    lookup_url_kwarg = "token"

    @extend_schema(responses={200: SharedScenarioSerializer, **error_responses(404)})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class SharedRunsView(generics.ListAPIView):
    """The runs of a scenario read by its share token (latest first)."""

    permission_classes = [permissions.AllowAny]
    serializer_class = RunSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Run]:
        scenario = get_object_or_404(Scenario, share_token=self.kwargs["token"])
        return scenario.runs.select_related(*RUN_RELATED)

    def get_serializer_context(self) -> dict:
        # A share link shows what was solved, not who in the owner's team saved it.
        return {**super().get_serializer_context(), "shared": True}

    @extend_schema(responses={200: RunSerializer(many=True), **error_responses(404)})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)
