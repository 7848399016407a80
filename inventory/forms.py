"""Catalog editing forms for the pages: the API's fields, the model's validation.

Each form edits the fields its API serializer exposes (one list of editable fields), and a
ModelForm runs the model's `full_clean()`, i.e. the same field validators and `clean()` rules
the API serializers run, plus the shared control-character rule (inventory.validation).
"""
from django import forms
from django.db import models

from inventory.api import serializers
from inventory.models import Accelerator, ModelClass, RackType, ServerModel
from inventory.validation import control_character_errors


def editable_fields(serializer_class: type) -> list[str]:
    return [name for name in serializer_class.Meta.fields if name != "id"]


class CatalogForm(forms.ModelForm):
    """Adds the shared control-character rule and a 'long text' look for notes and sources."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            model_field = self._meta.model._meta.get_field(name)
            if isinstance(model_field, models.TextField):
                field.widget = forms.Textarea(attrs={"rows": 3})
            if isinstance(model_field, models.DateField):
                field.widget = forms.DateInput(attrs={"type": "date"})

    def clean(self) -> dict:
        cleaned = super().clean()
        for name, messages in control_character_errors(cleaned).items():
            for message in messages:
                self.add_error(name, message)
        return cleaned


class AcceleratorForm(CatalogForm):
    class Meta:
        model = Accelerator
        fields = editable_fields(serializers.AcceleratorSerializer)


class ServerModelForm(CatalogForm):
    class Meta:
        model = ServerModel
        fields = editable_fields(serializers.ServerModelSerializer)


class RackTypeForm(CatalogForm):
    class Meta:
        model = RackType
        fields = editable_fields(serializers.RackTypeSerializer)


class ModelClassForm(CatalogForm):
    class Meta:
        model = ModelClass
        fields = editable_fields(serializers.ModelClassSerializer)
