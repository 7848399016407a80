"""Catalog endpoints: readable by anyone."""
from rest_framework import viewsets

from inventory.api import serializers
from inventory.models import Accelerator, ModelClass, PerformanceProfile, RackType, ServerModel


class AcceleratorViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Accelerator.objects.all()
    serializer_class = serializers.AcceleratorSerializer
    filterset_fields = ["vendor", "kind"]
    ordering_fields = ["name", "memory_gb", "tdp_w"]


class ServerModelViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = ServerModel.objects.select_related("accelerator")
    serializer_class = serializers.ServerModelSerializer
    filterset_fields = ["vendor", "u_height"]
    ordering_fields = ["name", "power_w", "u_height"]


class RackTypeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = RackType.objects.all()
    serializer_class = serializers.RackTypeSerializer
    ordering_fields = ["name", "budget_kw"]


class ModelClassViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = ModelClass.objects.all()
    serializer_class = serializers.ModelClassSerializer
    filterset_fields = ["size_class"]
    ordering_fields = ["name", "parameters_b"]


class PerformanceProfileViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = PerformanceProfile.objects.select_related("server_model", "model_class")
    serializer_class = serializers.PerformanceProfileSerializer
    filterset_fields = ["precision_bits", "basis"]
    ordering_fields = ["sessions_at_slo"]
