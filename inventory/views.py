"""Catalog pages: planners list, add, edit, save a variant of, and delete catalog rows.

Same rules as the API: the forms run the model's validation (inventory.forms); writing needs
`inventory.add_<model>` / `change_<model>` / `delete_<model>`; renaming or deleting a row in use
(a saved scenario names it) is refused by the guards of `inventory.usage` the API uses, beside
the name field (rename, 409) or as a page message (delete).
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import ProtectedError
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from config.history import history_page, name_related
from inventory import forms
from inventory.models import Accelerator, ModelClass, RackType, ServerModel
from inventory.usage import refuse_renaming_used_row


def price_cell(server: ServerModel) -> str:
    if server.price_usd is None:
        return "n/a"
    label = " (estimate)" if server.price_is_estimate else ""
    return f"${server.price_usd:,.0f}{label}"


def power_cell(server: ServerModel) -> str:
    typical = f" · typical {server.typical_power_w:,.0f} W" if server.typical_power_w else ""
    return f"nameplate {server.power_w:,.0f} W{typical}"


def model_attention(model: ModelClass) -> str:
    """How a model's layers attend, in the words the KV cache follows: full, latent (one
    compressed vector per token) and, for some layers, a local window of the last W tokens."""
    kind = "full" if model.kv_lora_rank is None else f"latent (rank {model.kv_lora_rank})"
    if model.sliding_window_tokens is None:
        return kind
    return (
        f"{model.sliding_window_layers} of {model.layers} layers local "
        f"({model.sliding_window_tokens:,} tokens), the others {kind}"
    )


@dataclass(frozen=True)
class CatalogKind:
    """One catalog table as the pages show it."""

    slug: str
    title: str
    model: type[models.Model]
    form: type[forms.CatalogForm]
    columns: tuple[tuple[str, Callable[[Any], object]], ...]
    related: tuple[str, ...] = field(default=())

    @property
    def model_name(self) -> str:
        return self.model._meta.model_name

    @property
    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)

    def permission(self, action: str) -> str:
        return f"inventory.{action}_{self.model_name}"


KINDS: dict[str, CatalogKind] = {
    kind.slug: kind
    for kind in (
        CatalogKind(
            "servers", "Server models", ServerModel, forms.ServerModelForm,
            (
                ("Accelerators", lambda s: f"{s.accelerator_count} × {s.accelerator.name}"),
                ("Height", lambda s: f"{s.u_height}U"),
                ("Power", power_cell),
                ("Cooling", lambda s: s.get_cooling_display()),
                ("Weight", lambda s: "n/a" if s.weight_kg is None else f"{s.weight_kg:,g} kg"),
                ("Price", price_cell),
            ),
            related=("accelerator",),
        ),
        CatalogKind(
            "accelerators", "Accelerators", Accelerator, forms.AcceleratorForm,
            (
                ("Kind", lambda a: a.get_kind_display()),
                ("Memory", lambda a: f"{a.memory_gb:,g} GB · {a.memory_bandwidth_gbps:,g} GB/s"),
                ("TFLOPS 16 / 8 / 4", lambda a: " / ".join(
                    "–" if v is None else f"{v:,g}" for v in (a.tflops_16, a.tflops_8, a.tflops_4)
                )),
                ("Link to peers", lambda a: (
                    f"{a.interconnect_gbps:,g} GB/s per direction" if a.interconnect_gbps
                    else "–" if a.kind == Accelerator.Kind.CPU else "PCIe Gen5 (assumed)"
                )),
                ("TDP", lambda a: f"{a.tdp_w:,g} W"),
            ),
        ),
        CatalogKind(
            "rack-types", "Rack types", RackType, forms.RackTypeForm,
            (
                ("Height", lambda r: f"{r.u_height}U"),
                ("Provisioned", lambda r: f"{r.budget_kw:,g} kW, {r.feeds}, {r.derating_pct:,g} %"),
                ("Usable for servers", lambda r: f"{r.usable_kw:,g} kW · {r.usable_u}U"),
                ("Cooling", lambda r: r.get_cooling_display() + (
                    f" ({r.cooling_kw:,g} kW)" if r.cooling_kw else "")),
                ("Weight limit", lambda r: "none" if r.max_weight_kg is None
                    else f"{r.max_weight_kg:,g} kg"),
            ),
        ),
        CatalogKind(
            "models", "Model classes", ModelClass, forms.ModelClassForm,
            (
                ("Parameters", lambda m: f"{m.parameters_b:,g} B" + (
                    f" ({m.active_parameters_b:,g} B active)" if m.active_parameters_b else "")),
                ("Class", lambda m: m.get_size_class_display()),
                ("Shape", lambda m: f"{m.layers} layers · {m.hidden_size:,} · "
                                    f"{m.attention_heads}/{m.kv_heads} heads"),
                ("Attention", model_attention),
                ("Experts", lambda m: "dense" if m.expert_count is None
                    else f"{m.experts_per_token} of {m.expert_count}"
                    + (f" + {m.shared_expert_count} shared" if m.shared_expert_count else "")),
                ("Native bits", lambda m: "n/a" if m.native_precision_bits is None
                    else f"{m.native_precision_bits:,g}"),
            ),
        ),
    )
}


def catalog_kind(slug: str) -> CatalogKind:
    try:
        return KINDS[slug]
    except KeyError:
        raise Http404("No such catalog table") from None


def require(request: HttpRequest, kind: CatalogKind, action: str) -> None:
    if not request.user.has_perm(kind.permission(action)):
        raise PermissionDenied(f"Needs the {kind.permission(action)} permission.")


def index(request: HttpRequest) -> HttpResponse:
    tables = [(kind, kind.model.objects.count()) for kind in KINDS.values()]
    return render(request, "inventory/index.html", {"tables": tables})


def row_list(request: HttpRequest, slug: str) -> HttpResponse:
    kind = catalog_kind(slug)
    rows = kind.model.objects.select_related(*kind.related).order_by("name")
    table = [(row, [getter(row) for _, getter in kind.columns]) for row in rows]
    return render(request, "inventory/list.html", {
        "kind": kind,
        "headers": [label for label, _ in kind.columns],
        "table": table,
        "can_add": request.user.has_perm(kind.permission("add")),
        "can_change": request.user.has_perm(kind.permission("change")),
    })


#: Versions per page of a row's history.
HISTORY_PAGE_SIZE = 50


def row_history(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Who changed which figure of a row, when, from what to what (anyone who reads the
    catalog reads its history, as in the API)."""
    kind = catalog_kind(slug)
    row = get_object_or_404(kind.model, pk=pk)
    try:
        page = max(1, min(int(request.GET.get("page", "1")), 10**6))
    except ValueError:
        page = 1
    count, entries = history_page(
        row.history.all(), (page - 1) * HISTORY_PAGE_SIZE, HISTORY_PAGE_SIZE
    )
    return render(request, "inventory/history.html", {
        "kind": kind,
        "row": row,
        "entries": name_related(kind.model, entries),
        "count": count,
        "previous_page": page - 1 if page > 1 else None,
        "next_page": page + 1 if page * HISTORY_PAGE_SIZE < count else None,
        "can_change": request.user.has_perm(kind.permission("change")),
    })


def variant_name(kind: CatalogKind, name: str) -> str:
    """A free name for a variant of `name`: name-variant, name-variant-2, ..."""
    candidate, n = f"{name}-variant", 1
    while kind.model.objects.filter(name=candidate).exists():
        n += 1
        candidate = f"{name}-variant-{n}"
    return candidate


def render_form(request: HttpRequest, kind: CatalogKind, form, *, row=None, source=None,
                status: int = 200) -> HttpResponse:
    return render(request, "inventory/form.html", {
        "kind": kind, "form": form, "row": row, "source": source,
        "can_delete": row is not None and request.user.has_perm(kind.permission("delete")),
    }, status=status)


@login_required
def add(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    """A new row; with `pk`, a variant that starts from that row's figures."""
    kind = catalog_kind(slug)
    require(request, kind, "add")
    source = get_object_or_404(kind.model, pk=pk) if pk is not None else None
    if request.method == "POST":
        form = kind.form(request.POST)
        if form.is_valid():
            row = form.save()
            messages.success(request, f"Saved {kind.verbose_name} {row.name!r}.")
            return redirect("inventory:edit", slug=slug, pk=row.pk)
        return render_form(request, kind, form, source=source, status=400)
    initial = None
    if source is not None:
        initial = model_to_dict(source, fields=kind.form._meta.fields)
        initial["name"] = variant_name(kind, source.name)
    return render_form(request, kind, kind.form(initial=initial), source=source)


@login_required
def edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    kind = catalog_kind(slug)
    require(request, kind, "change")
    row = get_object_or_404(kind.model, pk=pk)
    if request.method != "POST":
        return render_form(request, kind, kind.form(instance=row), row=row)
    stored = kind.model.objects.get(pk=pk)  # the form changes `row` while it validates
    form = kind.form(request.POST, instance=row)
    if not form.is_valid():
        return render_form(request, kind, form, row=stored, status=400)
    try:
        with transaction.atomic():
            refuse_renaming_used_row(stored, form.cleaned_data["name"])
            form.save()
    except ProtectedError as exc:
        form.add_error("name", exc.args[0])
        return render_form(request, kind, form, row=stored, status=409)
    messages.success(request, f"Saved {kind.verbose_name} {row.name!r}.")
    return redirect("inventory:edit", slug=slug, pk=row.pk)


@login_required
@require_POST
def delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    kind = catalog_kind(slug)
    require(request, kind, "delete")
    row = get_object_or_404(kind.model, pk=pk)
    try:
        with transaction.atomic():
            row.delete()
    except ProtectedError as exc:
        messages.error(request, f"Not deleted: {exc.args[0]}")
        return redirect("inventory:edit", slug=slug, pk=pk)
    messages.success(request, f"Deleted {kind.verbose_name} {row.name!r}.")
    return redirect("inventory:list", slug=slug)
