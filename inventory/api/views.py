"""Catalog endpoints: anyone reads; writes need the inventory add/change/delete permissions.

Deleting a row that something uses (a saved scenario's spec, or a server model through its
accelerator) raises `ProtectedError`, which the API's exception handler answers with 409 and
the list of users (config/exceptions.py, inventory/usage.py).
"""
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.http import HttpResponse
from django.utils.http import parse_etags
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import permissions, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import read_cache
from config.exceptions import error_body
from config.history import HistoryEntrySerializer, history_page
from config.openapi import CONFLICT, XLSX_MEDIA_TYPE, error_responses
from config.pagination import page_response
from inventory import catalog_cache, catalog_io, filtersets
from inventory.api import serializers
from inventory.models import Accelerator, ModelClass, PerformanceProfile, RackType, ServerModel
from inventory.usage import refuse_renaming_used_row

logger = logging.getLogger(__name__)

def catalog_schema(serializer: type) -> object:
    """The documented answers of a catalog viewset, errors and the delete conflict included."""
    update_errors = {
        **error_responses(400, 401, 403, 404),
        409: OpenApiResponse(CONFLICT, description="Renaming a row a saved scenario names."),
    }
    return extend_schema_view(
        list=extend_schema(responses={200: serializer(many=True), **error_responses(400)}),
        retrieve=extend_schema(responses={200: serializer, **error_responses(404)}),
        history=extend_schema(
            responses={200: HistoryEntrySerializer(many=True), **error_responses(404)}
        ),
        create=extend_schema(responses={201: serializer, **error_responses(400, 401, 403)}),
        update=extend_schema(responses={200: serializer, **update_errors}),
        partial_update=extend_schema(responses={200: serializer, **update_errors}),
        destroy=extend_schema(
            responses={
                204: OpenApiResponse(description="Deleted."),
                409: OpenApiResponse(CONFLICT, description="In use: `used_by` lists the users."),
                **error_responses(401, 403, 404),
            }
        ),
    )


class CatalogPermissions(permissions.DjangoModelPermissionsOrAnonReadOnly):
    """Anyone reads; writes need the model's add/change/delete permission."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        # A read is allowed to everyone, so it needs no user (see perform_authentication).
        if request.method in permissions.SAFE_METHODS:
            return True
        return super().has_permission(request, view)


class CatalogViewSet(viewsets.ModelViewSet):
    permission_classes = [CatalogPermissions]
    # Ids are 64-bit: longer numbers are not ids (404 from the URL, not a database error).
    lookup_value_regex = "[0-9]{1,18}"

    def perform_authentication(self, request: Request) -> None:
        # A catalog read is the same for everyone: the user row is loaded only when something
        # asks for it (the browsable API; a token, for its throttle bucket). Writes
        # authenticate first, as everywhere.
        if request.method not in permissions.SAFE_METHODS:
            super().perform_authentication(request)

    def list(self, request: Request, *args, **kwargs) -> Response:
        return self.cached_read(request, super().list, *args, **kwargs)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return self.cached_read(request, super().retrieve, *args, **kwargs)

    def cached_read(self, request: Request, read: Callable[..., Response], *args,
                    **kwargs) -> Response:
        """`read`'s answer from the versioned catalog cache (inventory/catalog_cache.py), with
        the version's ETag; a 304 when the client's `If-None-Match` is current.

        JSON only: the browsable API's HTML shows the user. The data does not depend on who
        asks (anyone reads the catalog), so one entry serves every client of a URL.
        """
        if not catalog_cache.enabled() or request.accepted_renderer.format != "json":
            return read(request, *args, **kwargs)
        digest = catalog_cache.request_digest(
            request.build_absolute_uri(), request.accepted_media_type or ""
        )
        try:
            etag, data, last_modified = catalog_cache.lookup(digest)
        except Exception:  # noqa: BLE001 - the cache is an accelerator; answer without it
            logger.warning("catalog cache unavailable; reading the database", exc_info=True)
            return read(request, *args, **kwargs)
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if last_modified:
            headers["Last-Modified"] = last_modified
        wanted = parse_etags(request.headers.get("If-None-Match", ""))
        if etag in wanted or "*" in wanted:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        if data is None:
            response = read(request, *args, **kwargs)
            if response.status_code != status.HTTP_200_OK:
                return response
            data = response.data
            try:
                catalog_cache.store(digest, etag, data)
            except Exception:  # noqa: BLE001
                logger.warning("catalog cache: could not store an answer", exc_info=True)
        # Anyone may read it: the read cache may answer the next identical GET before DRF.
        return read_cache.allow(Response(data, headers=headers))

    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request: Request, pk: str | None = None) -> Response:
        """The row's change history, newest first: when, who, created / changed / deleted,
        and each changed field with its old and new value (a foreign key by id). Anyone who
        may read the row may read its history."""
        row = self.get_object()
        paginator = self.paginator
        count, entries = history_page(
            row.history.all(), paginator.get_offset(request), paginator.get_limit(request)
        )
        data = HistoryEntrySerializer([entry.as_dict() for entry in entries], many=True).data
        return page_response(paginator, request, count, data)

    def perform_update(self, serializer: drf_serializers.ModelSerializer) -> None:
        new_name = serializer.validated_data.get("name")
        if new_name is not None:
            refuse_renaming_used_row(serializer.instance, new_name)  # 409 when a spec uses it
        serializer.save()

    def perform_destroy(self, instance: Model) -> None:
        # A savepoint: a refused delete (ProtectedError -> 409) leaves the connection usable.
        with transaction.atomic():
            instance.delete()


@catalog_schema(serializers.AcceleratorSerializer)
class AcceleratorViewSet(CatalogViewSet):
    queryset = Accelerator.objects.all()
    serializer_class = serializers.AcceleratorSerializer
    filterset_class = filtersets.AcceleratorFilterSet
    ordering_fields = ["name", "vendor", "memory_gb", "memory_bandwidth_gbps", "tdp_w"]


@catalog_schema(serializers.ServerModelSerializer)
class ServerModelViewSet(CatalogViewSet):
    queryset = ServerModel.objects.select_related("accelerator")
    serializer_class = serializers.ServerModelSerializer
    filterset_class = filtersets.ServerModelFilterSet
    ordering_fields = ["name", "vendor", "power_w", "u_height", "price_usd", "accelerator_count"]


@catalog_schema(serializers.RackTypeSerializer)
class RackTypeViewSet(CatalogViewSet):
    queryset = RackType.objects.all()
    serializer_class = serializers.RackTypeSerializer
    filterset_class = filtersets.RackTypeFilterSet
    ordering_fields = ["name", "u_height", "budget_kw"]


@catalog_schema(serializers.ModelClassSerializer)
class ModelClassViewSet(CatalogViewSet):
    queryset = ModelClass.objects.all()
    serializer_class = serializers.ModelClassSerializer
    filterset_class = filtersets.ModelClassFilterSet
    ordering_fields = ["name", "parameters_b", "size_class"]


@catalog_schema(serializers.PerformanceProfileSerializer)
class PerformanceProfileViewSet(CatalogViewSet):
    queryset = PerformanceProfile.objects.select_related("server_model", "model_class")
    serializer_class = serializers.PerformanceProfileSerializer
    filterset_class = filtersets.PerformanceProfileFilterSet
    ordering_fields = ["sessions_at_slo", "slo_tps", "precision_bits"]



class CanImportCatalog(permissions.BasePermission):
    """Import upserts every table: it needs add and change permission on each."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        perms = [
            f"inventory.{action}_{serializer.Meta.model._meta.model_name}"
            for serializer, _ in catalog_io.TABLES.values()
            for action in ("add", "change")
        ]
        return bool(request.user and request.user.is_authenticated
                    and request.user.has_perms(perms))


IMPORT_REPORT = inline_serializer(
    "CatalogImportReport",
    fields={
        "dry_run": drf_serializers.BooleanField(),
        "created": drf_serializers.DictField(child=drf_serializers.IntegerField()),
        "updated": drf_serializers.DictField(child=drf_serializers.IntegerField()),
        "unchanged": drf_serializers.DictField(child=drf_serializers.IntegerField()),
    },
)
IMPORT_REJECTED = inline_serializer(
    "CatalogImportRejected",
    fields={
        "detail": drf_serializers.CharField(),
        "errors": drf_serializers.DictField(
            child=drf_serializers.ListField(child=drf_serializers.CharField())
        ),
        "report": inline_serializer(
            "CatalogImportProblem",
            required=False,  # absent when the file itself is unreadable
            fields={
                "table": drf_serializers.CharField(),
                "row": drf_serializers.IntegerField(allow_null=True),
                "column": drf_serializers.CharField(allow_null=True),
                "message": drf_serializers.CharField(),
            },
            many=True,
        ),
    },
)


class CatalogImportView(APIView):
    """Upload a catalog (CSV or XLSX, multipart field `file`). Every row is validated first;
    any invalid row rejects the whole file with a report (table, row, column, message) and
    changes nothing. A valid file is applied in one transaction, upserting by name.
    `?dry_run=1` validates without saving."""

    permission_classes = [CanImportCatalog]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        parameters=[OpenApiParameter("dry_run", bool, description="Validate only.")],
        responses={
            200: IMPORT_REPORT,
            400: OpenApiResponse(IMPORT_REJECTED, description="Rejected; nothing changed."),
            **error_responses(401, 403),
        },
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["Upload the catalog as multipart field 'file'."]})
        if upload.size > settings.CATALOG_IMPORT_MAX_BYTES:
            return Response(
                error_body(
                    f"Catalog file too large: {upload.size} bytes; the limit is "
                    f"{settings.CATALOG_IMPORT_MAX_BYTES} (CATALOG_IMPORT_MAX_BYTES)."
                ),
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        dry_run = request.query_params.get("dry_run", "").lower() in {"1", "true", "yes"}
        try:
            tables = catalog_io.read_catalog_file(upload.name or "", upload.read())
        except catalog_io.CatalogFileError as exc:
            raise ValidationError({"file": [str(exc)]}) from exc
        report = catalog_io.import_catalog(tables, dry_run=dry_run)
        if not report.ok:
            errors: dict[str, list[str]] = {}
            for problem in report.problems:
                errors.setdefault(problem.path(), []).append(problem.message)
            first = report.problems[0]
            detail = (
                f"{len(report.problems)} problem(s); nothing was imported. First: "
                f"{first.path()}: {first.message}"
            )
            body = error_body(detail, errors, report=[p.as_dict() for p in report.problems])
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response({"dry_run": dry_run, **report.counts()})


class CatalogExportView(APIView):
    """The whole catalog as CSV (one file, first column `table`) or XLSX (a sheet per table),
    in the layout the import reads."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("file_format", str, OpenApiParameter.PATH,
                                     enum=["csv", "xlsx"])],
        responses={
            (200, "text/csv"): OpenApiResponse({"type": "string"}),
            (200, XLSX_MEDIA_TYPE): OpenApiResponse({"type": "string", "format": "binary"}),
            **error_responses(404),
        },
    )
    def get(self, request: Request, file_format: str) -> HttpResponse:
        if file_format == "csv":
            body, content_type = catalog_io.export_csv().encode("utf-8"), "text/csv; charset=utf-8"
        elif file_format == "xlsx":
            body, content_type = catalog_io.export_xlsx(), XLSX_MEDIA_TYPE
        else:
            raise NotFound(f"No catalog export as {file_format!r}; use csv or xlsx.")
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="catalog.{file_format}"'
        return response
