"""Catalog input rules that are not model fields' own: shared by the API serializers and the
catalog pages so both refuse the same input with the same message."""
import re

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARACTERS_MESSAGE = "Must not contain control characters."


def control_character_errors(values: dict) -> dict[str, list[str]]:
    """Text with control characters cannot be stored (PostgreSQL refuses NUL) or exported to
    XLSX: the fields that hold any, each with its message."""
    return {
        key: [CONTROL_CHARACTERS_MESSAGE]
        for key, value in values.items()
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value)
    }
