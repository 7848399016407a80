"""Catalog forms (inventory/forms.py): the API's fields and the model's rules, in one place."""
import pytest

from inventory import forms
from inventory.api import serializers

PAIRS = [
    (forms.AcceleratorForm, serializers.AcceleratorSerializer),
    (forms.ServerModelForm, serializers.ServerModelSerializer),
    (forms.RackTypeForm, serializers.RackTypeSerializer),
    (forms.ModelClassForm, serializers.ModelClassSerializer),
]


@pytest.mark.parametrize(("form_class", "serializer_class"), PAIRS)
def test_forms_edit_the_fields_the_api_exposes(form_class, serializer_class):
    assert list(form_class().fields) == [f for f in serializer_class.Meta.fields if f != "id"]


@pytest.mark.django_db
def test_model_rules_apply_on_the_form():
    base = {"name": "tiny-moe", "parameters_b": 1, "size_class": 0, "layers": 2,
            "hidden_size": 64, "attention_heads": 4, "kv_heads": 2, "head_dim": 16,
            "default_precision_bits": 8, "shared_expert_count": 0, "first_dense_layers": 0,
            "moe_layer_step": 1, "source": "test"}
    assert forms.ModelClassForm(base).is_valid()
    moe = forms.ModelClassForm({**base, "expert_count": 8, "experts_per_token": 9})
    assert not moe.is_valid()
    assert "experts_per_token" in moe.errors and "moe_intermediate_size" in moe.errors
    assert not forms.ModelClassForm({**base, "kv_heads": 8}).is_valid()


@pytest.mark.django_db
def test_a_price_needs_its_source(seed_catalog):
    from inventory.models import Accelerator

    data = {"name": "8x-test", "vendor": "Test", "u_height": 8, "power_w": 8000,
            "cooling": "air", "accelerator": Accelerator.objects.get(name="nvidia-b200").pk,
            "accelerator_count": 8, "price_usd": "300000", "notes": "test"}
    form = forms.ServerModelForm(data)
    assert not form.is_valid() and "price_source" in form.errors
    assert forms.ServerModelForm({**data, "price_source": "Quote Q-1"}).is_valid()
