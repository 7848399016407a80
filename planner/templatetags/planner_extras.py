"""Small display filters for the planner's pages."""
import json

from django import template

from planner.capacity import binding_limit_words
from planner.reports.inputs import OBJECTIVE_LABELS

register = template.Library()


@register.filter
def percent(share: float | None) -> str:
    """0.4567 -> '45.7%' (clamped to 0-100 % so a bar never overflows)."""
    if share is None:
        return "0%"
    return f"{max(0.0, min(1.0, float(share))) * 100:.1f}%"


@register.filter
def limit_words(limit: str | None) -> str:
    """A binding limit code as people read it ('ttft' -> 'time to first token')."""
    return binding_limit_words(limit or "")


@register.filter
def figure(value: int | float | None) -> str:
    """12.5 -> '12.5', 10.0 -> '10', 1500 -> '1,500': as typed, grouped, no padded decimals."""
    return "" if value is None else f"{float(value):,.6g}"


@register.filter
def objective_words(objective: str | None) -> str:
    """'max_sessions' -> 'most sessions', as runs name their objective."""
    return OBJECTIVE_LABELS.get(objective or "", objective or "")


@register.filter
def intcomma_plain(value: int | float | None) -> str:
    """12345 -> '12,345' without needing django.contrib.humanize."""
    if value is None:
        return "n/a"
    return f"{value:,.0f}"


@register.filter
def served(sessions: dict | None) -> str:
    """{'a': 3, 'b': 0} -> 'a: 3' (the models a layout serves, with their sessions)."""
    return ", ".join(f"{model}: {n:,}" for model, n in (sessions or {}).items() if n)


@register.filter
def thousands(value: int | float | str | None, digits: int = 0) -> str:
    """1234567.8 -> '1,234,568' (or with `digits` decimals: '1,234,567.80'); '' for None."""
    if value is None or value == "":
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:,.{int(digits)}f}"


@register.filter
def usd(value: int | float | None) -> str:
    """Dollars with thousands separators: 12345.6 -> '$12,346', 3.456 -> '$3.46',
    0.01234 -> '$0.0123' (cents matter for $ per million tokens)."""
    if value is None:
        return "n/a"
    amount = float(value)
    if abs(amount) >= 100:
        return f"${amount:,.0f}"
    if abs(amount) >= 1:
        return f"${amount:,.2f}"
    return f"${amount:.4f}"


@register.filter
def subtract(value: int | float, other: int | float) -> int | float:
    return value - other


@register.filter
def change_value(value: object) -> str:
    """A value in a change history: numbers with thousands separators, JSON compact, none as
    an em dash (the field's name carries its unit: power_w, budget_kw)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(", ", ": "))
    return str(value)
