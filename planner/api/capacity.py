"""`GET /api/v1/capacity`: sessions at the SLO for one server and model, with its explanation
and energy figures. Read-only and anonymous, like the catalog it reads."""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.models import ModelClass, ServerModel
from planner.bridge.figures import capacity_report
from planner.capacity import POLICIES, defaults


class CapacityQuerySerializer(serializers.Serializer):
    """The query parameters; defaults are the scenario spec's (docs/scenarios.md)."""

    server = serializers.SlugRelatedField(
        slug_field="name", queryset=ServerModel.objects.select_related("accelerator")
    )
    model = serializers.SlugRelatedField(slug_field="name", queryset=ModelClass.objects.all())
    precision = serializers.IntegerField(
        default=defaults.DEFAULT_PRECISION_BITS,
        min_value=1,
        max_value=32,
        help_text="Weight precision, bits."
    )
    slo_tps = serializers.FloatField(
        default=defaults.DEFAULT_SLO_TPS,
        min_value=0.001,
        max_value=defaults.SLO_TPS_MAX,
        help_text="Tokens/s per session."
    )
    context = serializers.IntegerField(
        default=defaults.DEFAULT_CONTEXT_TOKENS,
        min_value=1,
        max_value=defaults.CONTEXT_TOKENS_MAX,
        help_text="Context tokens per session.",
    )
    policy = serializers.ChoiceField(choices=POLICIES, default=defaults.DEFAULT_POLICY)


@extend_schema(
    parameters=[CapacityQuerySerializer],
    responses={
        200: OpenApiResponse(
            description="{query, result: capacity result (docs/capacity.md), energy: {...}}"
        ),
        400: OpenApiResponse(description="Invalid query: {errors: {param: [messages]}}"),
    },
)
@api_view(["GET"])
@permission_classes([permissions.AllowAny])
def capacity_view(request: Request) -> Response:
    """Concurrent sessions one server sustains for one model at the SLO, and why."""
    query = CapacityQuerySerializer(data=request.query_params)
    if not query.is_valid():
        first = next(iter(query.errors.items()))
        return Response(
            {"errors": query.errors, "detail": f"{first[0]}: {first[1][0]}"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    q = query.validated_data
    report = capacity_report(
        q["server"],
        q["model"],
        precision_bits=q["precision"],
        slo_tps=q["slo_tps"],
        context_tokens=q["context"],
        policy=q["policy"],
        grid_g_co2_per_kwh=settings.GRID_CO2_G_PER_KWH,
    )
    echo = {**q, "server": q["server"].name, "model": q["model"].name}
    return Response({"query": echo, **report})
