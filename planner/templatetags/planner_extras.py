"""Small display filters for the planner's pages."""
import json

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

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


@register.simple_tag
def capacity_cell(cell: dict) -> SafeString:
    """One cell (<td>) of the capacity table: the figure, its label, binding limit and watts
    per session, its typical error with the sessions it spans, the nearest evidence and any
    advice. Built here rather than in the template: the every-pair view has thousands of
    cells, and the template language spent most of that page's time on their filters."""
    sessions = thousands(cell["sessions"])
    typical = cell.get("typical_error")
    details = [escape(cell["label"])]
    if cell["binding_limit"] != cell["label"]:
        details.append(escape(limit_words(cell["binding_limit"])))
    watts = (cell.get("energy") or {}).get("watts_per_session")
    if watts:
        details.append(f"{floatformat(watts, 1)} W/session")
    parts = [
        format_html(
            '<td data-server="{}" data-model="{}" data-sessions="{}"\n'
            '            data-label="{}" data-binding="{}" title="{}" tabindex="0">\n'
            "          <strong>{}{}</strong>\n"
            '          <div class="muted small">{}</div>\n          ',
            cell["server"], cell["model"], cell["sessions"], cell["label"],
            cell["binding_limit"], cell["explanation"], "≈ " if typical is not None else "",
            sessions, mark_safe(" · ".join(details)),
        )
    ]
    if typical is not None:
        parts.append(_typical_error_html(cell, typical))
    parts.append("\n          ")
    if cell.get("advice"):
        parts.append(format_html('<div class="small advice" data-advice>{}</div>', cell["advice"]))
    parts.append("\n        </td>")
    return mark_safe("".join(parts))


def _typical_error_html(cell: dict, typical: float) -> str:
    low, high = cell.get("sessions_low"), cell.get("sessions_high")
    text = []
    if "extrapolated" in (cell.get("uncertainty_basis") or ""):
        text.append("<strong>extrapolated</strong> (a GPU unlike any measured; the range spans "
                    "two readings) · ")
    text.append(f"typical error ±{round(typical * 100)} %")
    if high:
        spans = (f"{thousands(low)} sessions either way" if low == high
                 else f"{thousands(low)}–{thousands(high)} sessions")
        text.append(f" ({spans})")
    if cell.get("evidence"):
        text.append(", nearest evidence: " + escape(Truncator(cell["evidence"][0]).chars(60)))
    return format_html(
        '<div class="muted small" data-typical-error="{}" data-sessions-low="{}" '
        'data-sessions-high="{}">{}</div>',
        typical, low, high, mark_safe("".join(text)),
    )
