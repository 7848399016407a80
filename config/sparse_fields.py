"""`?fields=a,b` on API reads: the answer carries only those fields, and the serializer never
computes the others (a run's layout is not serialized for a client polling its status).

Unknown names are a 400 naming the ones there are. Writes ignore the parameter: they answer
with the whole object.
"""
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

PARAMETER = "fields"


class SparseFieldsMixin:
    """For a (model) serializer: keep only the fields `?fields=` asks for, on reads."""

    def get_fields(self) -> dict:
        fields = super().get_fields()
        wanted = self.wanted_fields()
        if wanted is None:
            return fields
        unknown = sorted(wanted - fields.keys())
        if unknown:
            raise serializers.ValidationError(
                {PARAMETER: [f"Unknown field(s): {', '.join(unknown)}; choose from "
                             f"{', '.join(fields)}."]}
            )
        return {name: field for name, field in fields.items() if name in wanted}

    def wanted_fields(self) -> set[str] | None:
        request = self.context.get("request")
        # The top-level object only (or each item of a top-level list), never nested ones.
        parent = self.parent
        top = parent is None or (isinstance(parent, serializers.ListSerializer)
                                 and parent.parent is None)
        if request is None or not top or request.method not in SAFE_METHODS:
            return None
        text = request.query_params.get(PARAMETER)
        if text is None:
            return None
        return {name.strip() for name in text.split(",") if name.strip()}
