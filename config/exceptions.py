"""One error shape for every 4xx answer of the API.

    {"detail": "one line for a human", "errors": {"field.path": ["message", ...]}}

`errors` is empty when the failure is not about a field (404, 403, 401, 405, 415, 429...).
Nested serializer errors are flattened to dotted paths (`problem.servers[0].power_w`), errors
not about one field go under `non_field_errors`. Extra keys may follow (`used_by` on a 409).
"""
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DataError
from django.db.models import ProtectedError
from django.http import HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD = "non_field_errors"


def flatten_errors(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as `{dotted path: [messages]}`."""
    out: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            key = str(key)
            if prefix and key in (NON_FIELD, "detail", "(root)", prefix):
                path = prefix  # errors about the field as a whole
            else:
                path = f"{prefix}.{key}" if prefix else key
            for field, messages in flatten_errors(value, path).items():
                out.setdefault(field, []).extend(messages)
    elif isinstance(data, list):
        if all(not isinstance(item, dict | list) for item in data):
            out.setdefault(prefix or NON_FIELD, []).extend(str(item) for item in data)
        else:
            for i, item in enumerate(data):
                if item:
                    for field, messages in flatten_errors(item, f"{prefix}[{i}]").items():
                        out.setdefault(field, []).extend(messages)
    elif data is not None:
        out.setdefault(prefix or NON_FIELD, []).append(str(data))
    return out


def error_body(detail: str, errors: dict[str, list[str]] | None = None, **extra: Any) -> dict:
    return {"detail": detail, "errors": errors or {}, **extra}


def summary(errors: dict[str, list[str]]) -> str:
    if not errors:
        return "Invalid input."
    field, messages = next(iter(errors.items()))
    total = sum(len(m) for m in errors.values())
    more = f" (and {total - 1} more)" if total > 1 else ""
    where = "" if field == NON_FIELD else f"{field}: "
    return f"{where}{messages[0]}{more}"


def protected_response(exc: ProtectedError) -> Response:
    used_by = sorted(
        (
            {"type": obj._meta.model_name, "id": obj.pk, "name": str(obj)}
            for obj in exc.protected_objects
        ),
        key=lambda item: (item["type"], item["id"]),
    )
    detail = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    if "Cannot delete some instances" in detail:
        kinds = sorted({item["type"] for item in used_by})
        detail = f"In use by {len(used_by)} {'/'.join(kinds)} row(s); delete or change them first."
    return Response(
        error_body(detail, {NON_FIELD: [detail]}, used_by=used_by),
        status=status.HTTP_409_CONFLICT,
    )


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's EXCEPTION_HANDLER: DRF's own handling, reshaped, plus the Django errors it misses."""
    if isinstance(exc, ProtectedError):
        return protected_response(exc)
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent):
        return Response(
            error_body(f"Request body too large: {exc}"),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DataError):
        # A value the database cannot hold (an integer filter beyond 64 bits, ...): the
        # caller's input, not a server fault.
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid value"
        return Response(
            error_body(f"A value is out of range for the database: {message}"),
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(response.data)
        response.data = error_body(summary(errors), errors)
    else:
        data = response.data
        detail = data.get("detail") if isinstance(data, dict) else data
        response.data = error_body(str(detail))
    return response


def json_page_not_found(request: HttpRequest, exception: Exception | None = None):
    """handler404: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("Not found."), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def json_bad_request(request: HttpRequest, exception: Exception | None = None):
    """handler400 (e.g. a body over DATA_UPLOAD_MAX_MEMORY_SIZE read outside DRF)."""
    if request.path.startswith("/api/"):
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse(error_body(f"Request body too large: {exception}"), status=413)
        return JsonResponse(error_body("Bad request."), status=400)
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def json_server_error(request: HttpRequest):
    """handler500: the API answers JSON even when something unexpected breaks."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("Server error."), status=500)
    from django.views.defaults import server_error

    return server_error(request)
