"""OpenAPI pieces shared by the apps: the one error shape and its responses per status."""
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ERRORS = inline_serializer(
    "Error",
    fields={
        "detail": serializers.CharField(),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="Field path -> messages; empty when the error is not about a field.",
        ),
    },
)

CONFLICT = inline_serializer(
    "Conflict",
    fields={
        "detail": serializers.CharField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
        "used_by": inline_serializer(
            "UsedBy",
            fields={
                "type": serializers.CharField(),
                "id": serializers.IntegerField(),
                "name": serializers.CharField(),
            },
            many=True,
        ),
    },
)

DESCRIPTIONS = {
    400: "Invalid input: `errors` maps each field path to its messages.",
    401: "Not authenticated.",
    403: "Not allowed.",
    404: "Not found (or not visible to the caller).",
    409: "Conflict.",
    413: "Request body too large.",
    415: "Unsupported media type.",
    429: "Throttled: too many requests.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """`{status: OpenApiResponse(Error)}` for `extend_schema(responses=...)`.

    For what a view answers itself; what the framework answers for every view (401, 404, 405,
    406, 413, 415, 429 ...) config.schema.document_every_answer adds to each operation."""
    return {code: OpenApiResponse(ERRORS, description=DESCRIPTIONS[code]) for code in codes}

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
