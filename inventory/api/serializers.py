"""Catalog serializers. Model validation (`clean()`) runs on writes too."""
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from config.sparse_fields import SparseFieldsMixin
from inventory.models import Accelerator, ModelClass, PerformanceProfile, RackType, ServerModel
from inventory.validation import control_character_errors


def refuse_control_characters(attrs: dict) -> None:
    """Refuse text with control characters with a field error (inventory.validation)."""
    errors = control_character_errors(attrs)
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
            "tflops_8", "tflops_4", "tdp_w", "mig_max_instances", "mig_slice_memory_gb",
            "interconnect_gbps", "cores", "clock_ghz", "vector_flops_per_cycle",
            "matrix_flops_per_cycle", "vector_unit", "matrix_unit", "memory_channels",
            "memory_mts", "bandwidth_efficiency", "compute_efficiency",
            "calibration_note", "source",
        ]


class ServerModelSerializer(CleanModelSerializer):
    accelerator = serializers.SlugRelatedField(
        slug_field="name", queryset=Accelerator.objects.all()
    )

    class Meta:
        model = ServerModel
        fields = [
            "id", "name", "vendor", "u_height", "power_w", "typical_power_w", "weight_kg",
            "cooling", "accelerator", "accelerator_count", "price_usd", "price_source",
            "price_date", "price_is_estimate", "notes",
        ]


class RackTypeSerializer(CleanModelSerializer):
    class Meta:
        model = RackType
        fields = [
            "id", "name", "u_height", "budget_kw", "reserved_u", "reserved_kw", "feeds",
            "derating_pct", "cooling", "cooling_kw", "max_weight_kg", "source",
        ]


class ModelClassSerializer(CleanModelSerializer):
    class Meta:
        model = ModelClass
        fields = [
            "id", "name", "parameters_b", "size_class", "layers", "hidden_size",
            "attention_heads", "kv_heads", "head_dim", "default_precision_bits", "vocab_size",
            "tied_embeddings", "intermediate_size", "active_parameters_b", "expert_count",
            "experts_per_token", "shared_expert_count", "moe_intermediate_size",
            "first_dense_layers", "moe_layer_step", "kv_lora_rank", "q_lora_rank",
            "qk_rope_head_dim", "v_head_dim", "sliding_window_tokens", "sliding_window_layers",
            "native_precision_bits", "source",
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
