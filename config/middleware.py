"""Refuse oversized request bodies up front, with 413 and a JSON reason.

Django itself refuses a body above DATA_UPLOAD_MAX_MEMORY_SIZE only when a view reads it, with
an HTML 400 page; checking Content-Length first answers API clients in their format and never
reads the body.
"""
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class BodySizeLimitMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and request.content_type == "multipart/form-data":
            # A catalog file upload: its own limit, plus room for the multipart framing.
            limit = max(limit, settings.CATALOG_IMPORT_MAX_BYTES + 65_536)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            message = "invalid Content-Length header"
            return JsonResponse({"detail": message, "errors": {"body": [message]}}, status=400)
        if limit is not None and length > limit:
            message = f"request body too large: {length} bytes (at most {limit})"
            return JsonResponse({"detail": message, "errors": {"body": [message]}}, status=413)
        return self.get_response(request)
