"""Catalog endpoints: anyone reads; writes need the inventory add/change/delete permissions.

Deleting a row that something uses (a saved scenario's spec, or a server model through its
accelerator) raises `ProtectedError`, which the API's exception handler answers with 409 and
the list of users (config/exceptions.py, planner/usage.py).
"""
from django.db import transaction
from django.db.models import Model
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets

from config.openapi import CONFLICT, error_responses
from inventory import filtersets
from inventory.api import serializers
from inventory.models import Accelerator, ModelClass, PerformanceProfile, RackType, ServerModel


def catalog_schema(serializer: type) -> object:
    """The documented answers of a catalog viewset, errors and the delete conflict included."""
    return extend_schema_view(
        list=extend_schema(responses={200: serializer(many=True), **error_responses(400)}),
        retrieve=extend_schema(responses={200: serializer, **error_responses(404)}),
        create=extend_schema(responses={201: serializer, **error_responses(400, 401, 403)}),
        update=extend_schema(
            responses={200: serializer, **error_responses(400, 401, 403, 404)}
        ),
        partial_update=extend_schema(
            responses={200: serializer, **error_responses(400, 401, 403, 404)}
        ),
        destroy=extend_schema(
            responses={
                204: OpenApiResponse(description="Deleted."),
                409: OpenApiResponse(CONFLICT, description="In use: `used_by` lists the users."),
                **error_responses(401, 403, 404),
            }
        ),
    )


class CatalogViewSet(viewsets.ModelViewSet):
    permission_classes = [permissions.DjangoModelPermissionsOrAnonReadOnly]

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

