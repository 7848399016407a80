"""Catalog serializers. Model validation (`clean()`) runs on writes too."""
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from config.sparse_fields import SparseFieldsMixin
from inventory.models import Accelerator, ModelClass, PerformanceProfile, RackType, ServerModel

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refuse_control_characters(attrs: dict) -> None:
    """Text with control characters cannot be stored (PostgreSQL refuses NUL) or exported to
    XLSX; refuse it with a field error instead."""
    errors = {
        key: ["Must not contain control characters."]
        for key, value in attrs.items()
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value)
    }
    if errors:
        raise serializers.ValidationError(errors)


class CleanModelSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    """Runs the model's `clean()` so the API refuses what the admin refuses; `?fields=` on
    reads (config/sparse_fields.py)."""

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        refuse_control_characters(attrs)
        instance = self.Meta.model(**{**self._current_values(), **attrs})
        try:
            instance.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs

    def _current_values(self) -> dict:
        if self.instance is None:
            return {}
        return {
            field.name: getattr(self.instance, field.name)
            for field in self.Meta.model._meta.concrete_fields
            if not field.primary_key
        }


class AcceleratorSerializer(CleanModelSerializer):
    class Meta:
        model = Accelerator
        fields = [
            "id", "name", "vendor", "kind", "memory_gb", "memory_bandwidth_gbps", "tflops_16",
            "tflops_8", "tdp_w", "mig_max_instances", "mig_slice_memory_gb",
            "interconnect_gbps", "cores", "clock_ghz", "vector_flops_per_cycle",
            "memory_channels", "memory_mts", "bandwidth_efficiency", "compute_efficiency",
            "calibration_note", "source",
        ]


class ServerModelSerializer(CleanModelSerializer):
    accelerator = serializers.SlugRelatedField(
        slug_field="name", queryset=Accelerator.objects.all()
    )

    class Meta:
        model = ServerModel
        fields = [
            "id", "name", "vendor", "u_height", "power_w", "accelerator", "accelerator_count",
            "price_usd", "notes",
        ]


class RackTypeSerializer(CleanModelSerializer):
    class Meta:
        model = RackType
        fields = ["id", "name", "u_height", "budget_kw", "reserved_u", "reserved_kw"]


class ModelClassSerializer(CleanModelSerializer):
    class Meta:
        model = ModelClass
        fields = [
            "id", "name", "parameters_b", "size_class", "layers", "hidden_size",
            "attention_heads", "kv_heads", "head_dim", "default_precision_bits", "source",
        ]


class PerformanceProfileSerializer(CleanModelSerializer):
    server_model = serializers.SlugRelatedField(
        slug_field="name", queryset=ServerModel.objects.all()
    )
    model_class = serializers.SlugRelatedField(
        slug_field="name", queryset=ModelClass.objects.all()
    )

    class Meta:
        model = PerformanceProfile
        fields = [
            "id", "server_model", "model_class", "precision_bits", "sessions_at_slo", "slo_tps",
            "tp_degree", "context_tokens", "kv_precision_bits", "weight_overhead", "basis",
            "source",
        ]
