"""`GET /api/v1/capacity`: sessions at the SLO for one server and model, with its explanation
and energy figures. Read-only and anonymous, like the catalog it reads."""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.models import ModelClass, ServerModel
from planner.api.capacity_schema import capacity_response_schema
from planner.bridge.figures import capacity_report
from planner.capacity import (
    DEFAULT_MAX_SEQUENCES,
    KV_PRECISIONS,
    POLICIES,
    WORKLOAD_DEFAULTS,
    Workload,
    defaults,
    parse_weight_precision,
)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": defaults.PRECISION_BITS_MIN,
             "maximum": defaults.PRECISION_BITS_MAX},
            {"type": "number", "enum": [defaults.TERNARY_BITS]},
            {"type": "string", "enum": [defaults.TERNARY_NAME]},
        ]
    }
)  # fmt: skip
class WeightPrecisionField(serializers.Field):
    """Weight precision: whole bits (1-32) as before, or ternary weights as 1.58 / "ternary"."""

    def to_internal_value(self, data: object) -> int | float:
        try:
            return parse_weight_precision(data)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def to_representation(self, value: int | float) -> int | float:
        return value


class CapacityQuerySerializer(serializers.Serializer):
    """The query parameters; defaults are the scenario spec's (docs/scenarios.md)."""

    server = serializers.SlugRelatedField(
        slug_field="name", queryset=ServerModel.objects.select_related("accelerator")
    )
    model = serializers.SlugRelatedField(slug_field="name", queryset=ModelClass.objects.all())
    precision = WeightPrecisionField(
        default=defaults.DEFAULT_PRECISION_BITS,
        help_text=(
            "Weight precision: whole bits from 1 to 32, or ternary weights as 1.58 or "
            "'ternary'."
        ),
    )
    slo_tps = serializers.FloatField(
        default=defaults.DEFAULT_SLO_TPS,
        min_value=0.001,
        max_value=defaults.SLO_TPS_MAX,
        help_text="Tokens/s per session."
    )
    context = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=defaults.CONTEXT_TOKENS_MAX,
        help_text=(
            "Legacy: context tokens per session (KV reserved; study and batched policies). "
            f"Default {defaults.DEFAULT_CONTEXT_TOKENS}. For the calibrated policy, without "
            "input_tokens / output_tokens it stands for input + output."
        ),
    )
    policy = serializers.ChoiceField(choices=POLICIES, default=defaults.DEFAULT_POLICY)
    input_tokens = serializers.IntegerField(
        required=False, min_value=0, max_value=10_000_000,
        help_text=f"Mean prompt tokens per request (default {WORKLOAD_DEFAULTS.input_tokens}).",
    )  # fmt: skip
    output_tokens = serializers.IntegerField(
        required=False, min_value=1, max_value=10_000_000,
        help_text=f"Mean output tokens per request (default {WORKLOAD_DEFAULTS.output_tokens}).",
    )  # fmt: skip
    ttft_s = serializers.FloatField(
        required=False, min_value=0.001, max_value=3600,
        help_text="Time-to-first-token target, seconds (calibrated policy).",
    )  # fmt: skip
    kv_precision = serializers.ChoiceField(
        choices=KV_PRECISIONS, default=WORKLOAD_DEFAULTS.kv_precision_bits,
        help_text="KV-cache precision, bits.",
    )  # fmt: skip
    prefix_cache_hit_rate = serializers.FloatField(
        default=defaults.DEFAULT_PREFIX_CACHE_HIT_RATE, min_value=0.0, max_value=0.99,
        help_text="Share of prompt tokens served from the prefix cache.",
    )  # fmt: skip
    serving_stack = serializers.ChoiceField(
        choices=defaults.SERVING_STACKS, default=WORKLOAD_DEFAULTS.serving_stack,
        help_text="Serving engine: vllm (vLLM, SGLang) or tensorrt-llm (calibrated policy).",
    )  # fmt: skip
    max_sequences = serializers.IntegerField(
        default=DEFAULT_MAX_SEQUENCES, min_value=1, max_value=1_000_000,
        help_text="Serving stack's cap on running sequences per replica.",
    )  # fmt: skip

    def workload(self) -> Workload:
        """The calibrated policy's workload from the validated parameters."""
        q = self.validated_data
        fields = {
            "slo_tps": q["slo_tps"],
            "ttft_s": q.get("ttft_s"),
            "kv_precision_bits": int(q["kv_precision"]),
            "prefix_cache_hit_rate": q["prefix_cache_hit_rate"],
            "serving_stack": q["serving_stack"],
        }
        if "input_tokens" in q or "output_tokens" in q or "context" not in q:
            return Workload(
                input_tokens=q.get("input_tokens", WORKLOAD_DEFAULTS.input_tokens),
                output_tokens=q.get("output_tokens", WORKLOAD_DEFAULTS.output_tokens),
                **fields,
            )
        return Workload.from_context(q["context"], **fields)


@extend_schema(
    parameters=[CapacityQuerySerializer],
    responses={
        200: OpenApiResponse(
            response=capacity_response_schema(),
            description="{query, result: capacity result (docs/capacity.md), energy: {...}}",
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
    workload = query.workload() if q["policy"] == "calibrated" else None
    report = capacity_report(
        q["server"],
        q["model"],
        precision_bits=q["precision"],
        slo_tps=q["slo_tps"],
        context_tokens=q.get("context", defaults.DEFAULT_CONTEXT_TOKENS),
        policy=q["policy"],
        grid_g_co2_per_kwh=settings.GRID_CO2_G_PER_KWH,
        workload=workload,
        max_sequences=q["max_sequences"],
    )
    echo = {
        **q,
        "context": q.get("context", defaults.DEFAULT_CONTEXT_TOKENS),
        "server": q["server"].name,
        "model": q["model"].name,
    }
    return Response({"query": echo, **report})
