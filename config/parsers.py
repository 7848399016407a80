"""Request parsers: DRF's JSON parser, hardened against hostile bodies.

A deeply nested body ("[[[[...") makes Python's json decoder raise RecursionError, which DRF
does not catch (a 500); "\u0000" in a string makes PostgreSQL refuse the row (a 500 again).
Both, lone surrogates and anything nested deeper than any real problem are refused with 400
before they reach validation, storage (PostgreSQL jsonb) or templates.
"""
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

#: Problem v1 nests 4 levels (problem > servers > [i] > sessions); 32 leaves room for extensions.
MAX_JSON_DEPTH = 32


def unstorable(text: str) -> bool:
    """NUL cannot be stored by PostgreSQL; a lone surrogate is not Unicode at all."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def json_problem(value: object, limit: int) -> str | None:
    """Why parsed JSON must be refused (too deep, unstorable strings), or None."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if unstorable(item):
                return "strings must not contain NUL (\\u0000) or unpaired surrogates"
            continue
        if isinstance(item, dict):
            if any(unstorable(key) for key in item):
                return "keys must not contain NUL (\\u0000) or unpaired surrogates"
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return f"nested deeper than {limit} levels"
        stack.extend((child, depth + 1) for child in children)
    return None


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels") \
                from exc
        problem = json_problem(data, MAX_JSON_DEPTH)
        if problem:
            raise ParseError(f"JSON parse error - {problem}")
        return data
