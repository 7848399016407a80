"""Solver, scenario and run endpoints."""
from django.conf import settings
from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from planner import solver
from planner.api.serializers import RunSerializer, ScenarioSerializer
from planner.models import Run, Scenario
from planner.runs import queue_run


def problem_error_response(exc: "solver.ProblemError") -> Response:
    return Response(
        {"errors": exc.errors, "detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST
    )


@extend_schema(
    request={"application/json": {"type": "object", "description": "Problem format v1"}},
    responses={
        200: OpenApiResponse(description="Result v1 (docs/problem-format.md)"),
        400: OpenApiResponse(description="Invalid problem: {errors: {field: [messages]}}"),
    },
)
@api_view(["POST"])
@permission_classes([permissions.AllowAny])
def solve_view(request: Request) -> Response:
    """Solve a problem v1 body synchronously and return the result v1 JSON."""
    try:
        problem = solver.validate_problem(request.data)
    except solver.ProblemError as exc:
        return problem_error_response(exc)
    # A synchronous solve holds a web process: cap it well below gunicorn's timeout (queue a
    # run for longer solves).
    limit_s = min(problem.time_limit_s or solver.DEFAULT_TIME_LIMIT_S,
                  settings.SYNC_SOLVE_TIME_LIMIT_S)
    result = solver.solve(problem, time_limit_s=limit_s)
    if result["status"] == "invalid":  # valid JSON, but e.g. too large for the exact method
        return Response(
            {"errors": result.get("errors") or {}, "detail": result.get("reason", "invalid")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return Response(result)


class IsOwnerOrStaff(permissions.BasePermission):
    def has_object_permission(self, request: Request, view, obj) -> bool:
        scenario = obj.scenario if isinstance(obj, Run) else obj
        user = request.user
        return bool(user.is_authenticated and (user.is_staff or scenario.owner_id == user.pk))


def scenarios_visible_to(user) -> QuerySet[Scenario]:
    if not user.is_authenticated:
        return Scenario.objects.none()
    if user.is_staff:
        return Scenario.objects.all()
    return Scenario.objects.filter(Q(owner=user))


class ScenarioViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ScenarioSerializer
    permission_classes = [permissions.IsAuthenticated, IsOwnerOrStaff]

    def get_queryset(self) -> QuerySet[Scenario]:
        return scenarios_visible_to(self.request.user).select_related("owner")

    def perform_create(self, serializer: ScenarioSerializer) -> None:
        serializer.save(owner=self.request.user)

    @extend_schema(request=None, responses={202: RunSerializer})
    @action(detail=True, methods=["post", "get"], url_path="runs")
    def runs(self, request: Request, pk: str | None = None) -> Response:
        """GET lists the scenario's runs; POST queues a solve and answers 202 with its URL."""
        scenario = self.get_object()
        if request.method == "GET":
            runs = scenario.runs.all()[:100]
            return Response(RunSerializer(runs, many=True, context={"request": request}).data)
        run = queue_run(scenario)
        run.refresh_from_db()
        data = RunSerializer(run, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


class RunViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RunSerializer
    permission_classes = [permissions.IsAuthenticated, IsOwnerOrStaff]

    def get_queryset(self) -> QuerySet[Run]:
        return Run.objects.filter(
            scenario__in=scenarios_visible_to(self.request.user)
        ).select_related("scenario")

