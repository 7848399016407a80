"""The scenario editor's form: one row per catalog rack type, server and model.

The form is a view of a scenario spec v1 (docs/scenarios.md): `to_spec()` builds one and
`initial_from_spec()` reads one back. `validate_spec` stays the one judge of a spec; its error
paths (e.g. `models[1].max`) are mapped back onto the fields they came from, so every error
shows beside what the planner typed, and a bound form keeps everything typed.
"""

from django import forms
from django.conf import settings

from inventory.models import Accelerator, ModelClass, RackType, ServerModel
from planner import solver
from planner.bridge.problems import ScenarioSpecError, build_problem, validate_spec
from planner.capacity import KV_PRECISIONS, Workload, defaults, parse_weight_precision
from planner.reports.tco import TcoSettings

OBJECTIVES = [
    ("max_sessions", "Most concurrent sessions"),
    ("min_power", "Least power (meet every minimum)"),
    ("min_cost", "Least cost (meet every minimum; needs server prices)"),
    ("min_tco", "Least total cost of ownership (meet every minimum; needs server prices)"),
]
RESILIENCE = [
    ("none", "None"),
    ("n_plus_1_rack", "N+1 racks (every minimum survives losing any one rack)"),
    ("n_plus_1_server", "N+1 servers (every minimum survives losing any one server)"),
]
BUDGET_BASES = [("tco", "TCO over the life"), ("capex", "Capex")]
PRECISIONS = [
    (bits, f"{bits:g}-bit (ternary)" if bits == defaults.TERNARY_BITS else f"{bits}-bit")
    for bits in defaults.PRECISIONS_BITS
]
POLICIES = [
    ("calibrated", "Calibrated serving model (published measurements)"),
    ("study", "Study rule (seed study)"),
    ("batched", "Batched roofline estimate"),
]
KV_CHOICES = [(bits, f"{bits}-bit") for bits in reversed(KV_PRECISIONS)]
# Per-model workload fields (the calibrated policy reads them; blank prompt and output tokens
# take the scenario's context, as specs saved before them did), in spec key order.
WORKLOAD_KEYS = ("input_tokens", "output_tokens", "ttft_s", "requests_per_second")
# Per-model spec fields the editor has no column for: kept as saved, so that editing a
# scenario made through the API loses nothing.
KEPT_MODEL_KEYS = ("slo_tps", "prefix_cache_hit_rate")
# The editor's one setting for every model, with the default a spec leaves unwritten; a saved
# per-model value stays while the planner leaves the setting as it was shown.
PER_MODEL_SETTINGS = {
    "kv_precision_bits": defaults.DEFAULT_KV_PRECISION_BITS,
    "serving_stack": defaults.DEFAULT_SERVING_STACK,
}
# The scenario's cost settings (spec `tco`, docs/tco.md); blank = the documented default.
TCO_LABELS = {
    "electricity_usd_per_kwh": "Electricity (USD/kWh)",
    "pue": "PUE",
    "years": "Years of life",
    "maintenance_share_per_year": "Maintenance per year (share of capex)",
    "rack_usd_per_position": "Rack cost per position (USD)",
    "rack_usd_per_kw": "Facility cost per provisioned kW (USD)",
    "network_usd_per_server": "Network cost per server (USD)",
    "utilisation": "Utilisation for $ per million tokens (0-1)",
    "slo_tps": "Token rate for $ per million tokens (tokens/s per session)",
}
# The capacity page's "accelerators per server" filter: the usual board counts, and rack-scale
# for a whole NVLink rack sold as one "server" (more accelerators than one 8-way board, e.g.
# GB200 NVL72; see ServerModel).
PER_SERVER_CHOICES = [("1", "1"), ("2", "2"), ("4", "4"), ("8", "8"), ("rack", "rack-scale (> 8)")]
RACK_SCALE_MIN_ACCELERATORS = 9
SERVING_STACK_CHOICES = list(defaults.SERVING_STACK_NAMES.items())
POWER_BASES = [
    ("nameplate", "Nameplate (maximum) power"),
    ("typical", "Typical inference draw + headroom (nameplate where none is published)"),
]


class ScenarioForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    slo_tps = forms.FloatField(
        label="SLO (tokens/s per session)",
        min_value=0.001,
        max_value=defaults.SLO_TPS_MAX,
        initial=defaults.DEFAULT_SLO_TPS,
    )
    precision_bits = forms.TypedChoiceField(
        label="Weight precision",
        choices=PRECISIONS,
        coerce=parse_weight_precision,
        initial=defaults.DEFAULT_PRECISION_BITS,
    )
    capacity_policy = forms.ChoiceField(
        label="Capacity policy", choices=POLICIES, initial=defaults.DEFAULT_POLICY
    )
    kv_precision_bits = forms.TypedChoiceField(
        label="KV-cache precision (calibrated policy)",
        choices=KV_CHOICES,
        coerce=int,
        initial=defaults.DEFAULT_KV_PRECISION_BITS,
        required=False,
        empty_value=None,
    )
    serving_stack = forms.ChoiceField(
        label="Serving engine (calibrated policy)",
        choices=SERVING_STACK_CHOICES,
        initial=defaults.DEFAULT_SERVING_STACK,
        required=False,
    )
    context_tokens = forms.IntegerField(
        label="Context (tokens per session)",
        help_text="Study and batched policies; calibrated models with blank prompt and output",
        required=False, min_value=1, max_value=defaults.CONTEXT_TOKENS_MAX,
        initial=defaults.DEFAULT_CONTEXT_TOKENS,
    )  # fmt: skip
    objective = forms.ChoiceField(choices=OBJECTIVES, initial="max_sessions")
    hall_power_kw = forms.FloatField(
        label="Hall power cap (kW, optional)", required=False, min_value=0.001
    )
    resilience = forms.ChoiceField(
        label="Resilience", choices=RESILIENCE, initial="none", required=False
    )
    power_trains = forms.IntegerField(
        label="Power trains (optional; every min survives losing any one)",
        required=False,
        min_value=2,
        max_value=64,
    )
    budget_usd = forms.FloatField(
        label="Budget (USD, optional; needs server prices)", required=False, min_value=0.01
    )
    budget_basis = forms.ChoiceField(
        label="Budget caps", choices=BUDGET_BASES, initial="tco", required=False
    )
    power_basis = forms.ChoiceField(
        label="Plan server power on", choices=POWER_BASES, initial="nameplate", required=False
    )
    power_headroom_pct = forms.FloatField(
        label="Headroom over typical draw (%)", min_value=0, max_value=100, initial=0,
        required=False,
    )

    def __init__(
        self, *args, colours: dict[str, str] | None = None, saved_spec: dict | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.colours = colours or {}
        # The scenario's models as saved (edit only): what the editor shows no field for.
        self.saved_models = {
            m["model_class"]: m for m in (saved_spec or {}).get("models", [])
        }
        self.rack_types = list(RackType.objects.all())
        self.servers = list(ServerModel.objects.select_related("accelerator").order_by("id"))
        self.models = list(ModelClass.objects.all())
        tco_defaults = TcoSettings().to_dict()
        for name, label in TCO_LABELS.items():
            default = tco_defaults[name]
            shown = "the SLO" if default is None else f"{default:g}"
            self.fields[f"tco_{name}"] = forms.FloatField(
                label=label,
                required=False,
                widget=forms.NumberInput(attrs={"placeholder": shown, "step": "any"}),
            )
        for rack in self.rack_types:
            self.fields[f"rack_{rack.pk}_count"] = forms.IntegerField(
                label=f"Racks of {rack.name}",
                min_value=0,
                max_value=settings.PROBLEM_LIMITS["racks"],
                initial=0,
            )
        for server in self.servers:
            self.fields[f"server_{server.pk}_use"] = forms.BooleanField(
                label=f"Use {server.name}", required=False
            )
            self.fields[f"server_{server.pk}_available"] = forms.IntegerField(
                label=f"At most (stock of {server.name})", required=False, min_value=0
            )
        for model in self.models:
            self.fields[f"model_{model.pk}_use"] = forms.BooleanField(
                label=f"Serve {model.name}", required=False
            )
            self.fields[f"model_{model.pk}_min"] = forms.IntegerField(
                label=f"Minimum sessions of {model.name}", min_value=0, initial=0
            )
            self.fields[f"model_{model.pk}_max"] = forms.IntegerField(
                label=f"Maximum sessions of {model.name}", required=False, min_value=0
            )
            self.fields[f"model_{model.pk}_weight"] = forms.FloatField(
                label=f"Weight of {model.name}", min_value=0, initial=1
            )
            self.fields[f"model_{model.pk}_input_tokens"] = forms.IntegerField(
                label=f"Prompt tokens per request of {model.name}", required=False,
                min_value=0, max_value=10_000_000,
            )  # fmt: skip
            self.fields[f"model_{model.pk}_output_tokens"] = forms.IntegerField(
                label=f"Output tokens per request of {model.name}", required=False,
                min_value=1, max_value=10_000_000,
            )  # fmt: skip
            self.fields[f"model_{model.pk}_ttft_s"] = forms.FloatField(
                label=f"Time to first token target of {model.name} (s)", required=False,
                min_value=0.001, max_value=3600,
            )  # fmt: skip
            self.fields[f"model_{model.pk}_requests_per_second"] = forms.FloatField(
                label=f"Peak requests/s of {model.name}", required=False, min_value=0,
                max_value=1_000_000,
            )  # fmt: skip

    # Rows for the template: each catalog item with its bound fields.
    def rack_rows(self) -> list[dict]:
        return [{"rack": r, "count": self[f"rack_{r.pk}_count"]} for r in self.rack_types]

    def server_rows(self) -> list[dict]:
        return [
            {
                "server": s,
                "use": self[f"server_{s.pk}_use"],
                "available": self[f"server_{s.pk}_available"],
                "colour": self.colours.get(s.name, ""),
            }
            for s in self.servers
        ]

    def model_rows(self) -> list[dict]:
        return [
            {
                "model": m,
                "use": self[f"model_{m.pk}_use"],
                "min": self[f"model_{m.pk}_min"],
                "max": self[f"model_{m.pk}_max"],
                "weight": self[f"model_{m.pk}_weight"],
                "inputs": [
                    self[f"model_{m.pk}_{key}"] for key in ("min", "max", "weight", *WORKLOAD_KEYS)
                ],
            }
            for m in self.models
        ]

    def tco_fields(self) -> list:
        return [self[f"tco_{name}"] for name in TCO_LABELS]

    def to_spec(self) -> tuple[dict, dict[str, str]]:
        """The spec from cleaned data, and which form field each spec path came from."""
        data = self.cleaned_data
        fields: dict[str, str] = {}
        rack_types, servers, models = [], [], []
        for rack in self.rack_types:
            count = data.get(f"rack_{rack.pk}_count") or 0
            if count > 0:
                fields[f"rack_types[{len(rack_types)}]"] = f"rack_{rack.pk}_count"
                rack_types.append({"rack_type": rack.name, "count": count})
        for server in self.servers:
            if data.get(f"server_{server.pk}_use"):
                fields[f"servers[{len(servers)}]"] = f"server_{server.pk}_available"
                servers.append(
                    {
                        "server_model": server.name,
                        "available": data.get(f"server_{server.pk}_available"),
                    }
                )
        for model in self.models:
            if data.get(f"model_{model.pk}_use"):
                i = len(models)
                for key in ("min", "max", "weight", *WORKLOAD_KEYS):
                    fields[f"models[{i}].{key}"] = f"model_{model.pk}_{key}"
                fields[f"models[{i}].kv_precision_bits"] = "kv_precision_bits"
                fields[f"models[{i}].serving_stack"] = "serving_stack"
                fields[f"models[{i}]"] = f"model_{model.pk}_min"
                entry = {
                    "model_class": model.name,
                    "min": data.get(f"model_{model.pk}_min") or 0,
                    "max": data.get(f"model_{model.pk}_max"),
                    "weight": data.get(f"model_{model.pk}_weight", 1.0),
                }
                # Only what the planner typed: a spec without workload fields keeps its shape.
                for key in WORKLOAD_KEYS:
                    if data.get(f"model_{model.pk}_{key}") is not None:
                        entry[key] = data[f"model_{model.pk}_{key}"]
                entry.update(self._per_model_settings(model.name, data))
                models.append(entry)
        spec = {
            "version": 1,
            "rack_types": rack_types,
            "servers": servers,
            "models": models,
            "slo_tps": data.get("slo_tps"),
            "precision_bits": data.get("precision_bits"),
            "capacity_policy": data.get("capacity_policy"),
            "objective": data.get("objective"),
            "context_tokens": data.get("context_tokens") or defaults.DEFAULT_CONTEXT_TOKENS,
            "hall_power_kw": data.get("hall_power_kw"),
            "power_basis": data.get("power_basis") or "nameplate",
            "power_headroom_pct": data.get("power_headroom_pct") or 0,
        }
        if data.get("resilience") not in (None, "", "none"):
            spec["resilience"] = data["resilience"]
        if data.get("power_trains") is not None:
            spec["power_trains"] = {"count": data["power_trains"]}
        if data.get("budget_usd") is not None:
            spec["budget_usd"] = data["budget_usd"]
            spec["budget_basis"] = data.get("budget_basis") or "tco"
        tco = {}
        for name in TCO_LABELS:
            fields[f"tco.{name}"] = f"tco_{name}"
            if data.get(f"tco_{name}") is not None:
                tco[name] = data[f"tco_{name}"]
        if tco:
            spec["tco"] = tco
        return spec, fields

    def _per_model_settings(self, model_name: str, data: dict) -> dict:
        """One model's fields beyond its row: those the editor has no field for, as saved; KV
        precision and engine from the one setting, or as saved while the setting is unchanged."""
        saved = self.saved_models.get(model_name)
        entry = {key: saved[key] for key in KEPT_MODEL_KEYS if saved and key in saved}
        for key, default in PER_MODEL_SETTINGS.items():
            if saved is not None and key not in self.changed_data:
                if key in saved:
                    entry[key] = saved[key]
                continue
            value = data.get(key)
            if value not in (None, "") and value != default:
                entry[key] = value
        return entry

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        spec, fields = self.to_spec()
        empty = {
            "rack_types": "Give at least one rack type a count above 0.",
            "servers": "Tick at least one candidate server.",
            "models": "Tick at least one model to serve.",
        }
        for section, message in empty.items():
            if not spec[section]:
                self.add_error(None, message)
        if self.errors:
            return cleaned
        try:
            self.spec = validate_spec(spec)
        except ScenarioSpecError as exc:
            for path, messages in exc.errors.items():
                field = self._field_for(path, fields)
                for message in messages:
                    self.add_error(field, message)
            return cleaned
        self._check_problem(fields)
        return cleaned

    def _check_problem(self, fields: dict[str, str]) -> None:
        """Build the problem a run would solve and apply the rules the API and the solver apply
        before queueing (size limits, prices for min_cost, ...), errors beside their fields."""
        problem = build_problem(self.spec)
        errors = dict(solver.limit_errors(problem, settings.PROBLEM_LIMITS))
        if not errors:
            try:
                solver.validate_problem(problem)
            except solver.ProblemError as exc:
                errors = exc.errors
        for path, messages in errors.items():
            field = self._problem_field(path, problem, fields)
            for message in messages:
                self.add_error(field, self._explain(path, message, problem))

    def _problem_field(self, path: str, problem: dict, fields: dict[str, str]) -> str | None:
        """The form field a problem v1 error path belongs to (the spec keeps the same order)."""
        if path == "rack_types":
            return fields.get("rack_types[0]")
        if path.startswith("servers[") and path.endswith(".cost_usd"):
            return "objective" if self.cleaned_data.get("objective") == "min_cost" else None
        if path in {"servers", "demand"}:
            return None
        return self._field_for(path.split(".")[0], fields)

    @staticmethod
    def _explain(path: str, message: str, problem: dict) -> str:
        if path.startswith("servers[") and path.endswith(".cost_usd"):
            index = int(path.split("[")[1].split("]")[0])
            name = problem["servers"][index]["name"]
            return f"Least cost needs a price for every candidate server; {name} has none."
        return message

    def _field_for(self, path: str, fields: dict[str, str]) -> str | None:
        top = path.split(".")[0].split("[")[0]
        if top in self.fields:
            return top
        while path:
            if path in fields:
                return fields[path]
            path = path.rsplit(".", 1)[0] if "." in path else ""
        return None

    @classmethod
    def initial_from_spec(cls, name: str, description: str, spec: dict) -> dict:
        initial = {
            "name": name,
            "description": description,
            "slo_tps": spec.get("slo_tps", defaults.DEFAULT_SLO_TPS),
            "precision_bits": spec.get("precision_bits", defaults.DEFAULT_PRECISION_BITS),
            "capacity_policy": spec.get("capacity_policy", defaults.SPEC_POLICY_WHEN_ABSENT),
            "kv_precision_bits": next(
                (m["kv_precision_bits"] for m in spec.get("models", []) if "kv_precision_bits" in m),  # noqa: E501
                defaults.DEFAULT_KV_PRECISION_BITS,
            ),
            "serving_stack": next(
                (m["serving_stack"] for m in spec.get("models", []) if "serving_stack" in m),
                defaults.DEFAULT_SERVING_STACK,
            ),
            "objective": spec.get("objective", "max_sessions"),
            "context_tokens": spec.get("context_tokens", defaults.DEFAULT_CONTEXT_TOKENS),
            "hall_power_kw": spec.get("hall_power_kw"),
            "resilience": spec.get("resilience", "none"),
            "power_trains": (spec.get("power_trains") or {}).get("count"),
            "budget_usd": spec.get("budget_usd"),
            "budget_basis": spec.get("budget_basis", "tco"),
            "power_basis": spec.get("power_basis", "nameplate"),
            "power_headroom_pct": spec.get("power_headroom_pct", 0),
        }
        for name, value in (spec.get("tco") or {}).items():
            if name in TCO_LABELS:
                initial[f"tco_{name}"] = value
        racks = {r.name: r.pk for r in RackType.objects.all()}
        servers = {s.name: s.pk for s in ServerModel.objects.all()}
        models = {m.name: m.pk for m in ModelClass.objects.all()}
        for item in spec.get("rack_types", []):
            if item["rack_type"] in racks:
                initial[f"rack_{racks[item['rack_type']]}_count"] = item.get("count", 1)
        for item in spec.get("servers", []):
            if item["server_model"] in servers:
                pk = servers[item["server_model"]]
                initial[f"server_{pk}_use"] = True
                initial[f"server_{pk}_available"] = item.get("available")
        for item in spec.get("models", []):
            if item["model_class"] in models:
                pk = models[item["model_class"]]
                initial[f"model_{pk}_use"] = True
                initial[f"model_{pk}_min"] = item.get("min", 0)
                initial[f"model_{pk}_max"] = item.get("max")
                initial[f"model_{pk}_weight"] = item.get("weight", 1.0)
                for key in WORKLOAD_KEYS:
                    initial[f"model_{pk}_{key}"] = item.get(key)
        return initial


class CapacitySettingsForm(forms.Form):
    """The settings of a capacity figure; the same defaults as a scenario spec."""

    precision = forms.TypedChoiceField(
        choices=PRECISIONS,
        coerce=parse_weight_precision,
        initial=defaults.DEFAULT_PRECISION_BITS,
        label="Weight precision",
    )
    slo_tps = forms.FloatField(
        min_value=0.001,
        max_value=defaults.SLO_TPS_MAX,
        initial=defaults.DEFAULT_SLO_TPS,
        label="SLO (tokens/s per session)",
    )
    input_tokens = forms.IntegerField(
        min_value=0, max_value=defaults.CONTEXT_TOKENS_MAX,
        initial=defaults.DEFAULT_INPUT_TOKENS, label="Prompt tokens per request (calibrated)",
    )  # fmt: skip
    output_tokens = forms.IntegerField(
        min_value=1, max_value=defaults.CONTEXT_TOKENS_MAX,
        initial=defaults.DEFAULT_OUTPUT_TOKENS, label="Output tokens per request (calibrated)",
    )  # fmt: skip
    ttft_s = forms.FloatField(
        required=False, min_value=0.001, max_value=3600, initial=defaults.DEFAULT_TTFT_S,
        label="Time to first token target, s (optional, calibrated)",
    )  # fmt: skip
    kv_precision = forms.TypedChoiceField(
        choices=KV_CHOICES, coerce=int, initial=defaults.DEFAULT_KV_PRECISION_BITS,
        label="KV-cache precision (calibrated)",
    )  # fmt: skip
    serving_stack = forms.ChoiceField(
        choices=SERVING_STACK_CHOICES, initial=defaults.DEFAULT_SERVING_STACK,
        label="Serving engine (calibrated)",
    )  # fmt: skip
    context = forms.IntegerField(
        min_value=1,
        max_value=defaults.CONTEXT_TOKENS_MAX,
        initial=defaults.DEFAULT_CONTEXT_TOKENS,
        label="Context (tokens per session; study and batched)",
    )
    policy = forms.ChoiceField(
        choices=POLICIES, initial=defaults.DEFAULT_POLICY,
        label="Capacity policy",
    )  # fmt: skip

    # Which servers and models to compute (docs/capacity.md, "Filters"). Criteria narrow
    # together (AND); the values of one multi-select are alternatives (OR). A side with no
    # criterion shows the seed study's rows, or every row with `all`.
    kind = forms.ChoiceField(
        label="Accelerator kind", required=False,
        choices=[("", "GPU and CPU"), *Accelerator.Kind.choices],
    )  # fmt: skip
    vendor = forms.ChoiceField(label="Accelerator vendor", required=False)
    accelerator = forms.MultipleChoiceField(
        label="Accelerator", required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    per_server = forms.MultipleChoiceField(
        label="Accelerators per server", required=False, choices=PER_SERVER_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    server = forms.MultipleChoiceField(
        label="Server models", required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    model = forms.MultipleChoiceField(
        label="Model classes", required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    min_params_b = forms.FloatField(
        label="Model size from (billion parameters)", required=False, min_value=0,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )  # fmt: skip
    max_params_b = forms.FloatField(
        label="Model size up to (billion parameters)", required=False, min_value=0,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )  # fmt: skip
    all = forms.BooleanField(
        label="Every server and model where no filter is set (slow: ~7,600 figures, about 5 s)",
        required=False,
    )

    SERVER_FILTERS = ("kind", "vendor", "accelerator", "per_server", "server")
    MODEL_FILTERS = ("model", "min_params_b", "max_params_b")
    FILTERS = (*SERVER_FILTERS, *MODEL_FILTERS, "all")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The catalog rows are read once here: they fill the choices and are what the page
        # filters, so the filter never costs a query per criterion.
        self.all_servers = list(ServerModel.objects.select_related("accelerator").order_by("id"))
        self.all_models = list(ModelClass.objects.order_by("parameters_b", "name"))
        accelerators = sorted(
            {s.accelerator.name: s.accelerator for s in self.all_servers}.values(),
            key=lambda a: (a.vendor, a.name),
        )
        self.fields["vendor"].choices = [("", "Any vendor")] + [
            (v, v) for v in sorted({a.vendor for a in accelerators})
        ]
        self.fields["accelerator"].choices = [(a.name, a.name) for a in accelerators]
        self.fields["server"].choices = [(s.name, s.name) for s in self.all_servers]
        self.fields["model"].choices = [
            (m.name, f"{m.name} ({m.parameters_b:,.3g} B)") for m in self.all_models
        ]

    def clean(self):
        q = super().clean()
        low, high = q.get("min_params_b"), q.get("max_params_b")
        if low is not None and high is not None and low > high:
            self.add_error(
                "max_params_b", f"Must be at least the lower bound ({low:g} billion)."
            )
        return q

    def settings_fields(self) -> list:
        return [self[name] for name in self.fields if name not in self.FILTERS]

    def filter_fields(self) -> list:
        return [self[name] for name in self.FILTERS]

    def server_filtered(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.SERVER_FILTERS)

    def model_filtered(self) -> bool:
        q = self.cleaned_data
        return bool(q["model"]) or q["min_params_b"] is not None or q["max_params_b"] is not None

    def chosen_servers(self, default_names: list[str]) -> list[ServerModel]:
        """The servers to compute, in catalog order: the filter's, else every server (`all`),
        else those named in `default_names` (the seed study's)."""
        q = self.cleaned_data
        if not self.server_filtered():
            if q["all"]:
                return list(self.all_servers)
            return [s for s in self.all_servers if s.name in default_names]
        per_server = set(q["per_server"])
        counts = {int(c) for c in per_server if c != "rack"}

        def matches(s: ServerModel) -> bool:
            a = s.accelerator
            return (
                (not q["kind"] or a.kind == q["kind"])
                and (not q["vendor"] or a.vendor == q["vendor"])
                and (not q["accelerator"] or a.name in q["accelerator"])
                and (not q["server"] or s.name in q["server"])
                and (
                    not per_server
                    or s.accelerator_count in counts
                    or ("rack" in per_server
                        and s.accelerator_count >= RACK_SCALE_MIN_ACCELERATORS)
                )
            )  # fmt: skip

        return [s for s in self.all_servers if matches(s)]

    def chosen_models(self, default_names: list[str]) -> list[ModelClass]:
        """The models to compute, smallest first: the filter's, else every model (`all`),
        else those named in `default_names`."""
        q = self.cleaned_data
        if not self.model_filtered():
            if q["all"]:
                return list(self.all_models)
            return [m for m in self.all_models if m.name in default_names]
        low, high = q["min_params_b"], q["max_params_b"]
        return [
            m for m in self.all_models
            if (not q["model"] or m.name in q["model"])
            and (low is None or m.parameters_b >= low)
            and (high is None or m.parameters_b <= high)
        ]  # fmt: skip

    def settings_query(self) -> dict:
        """The settings as typed, without the filter: the query string of "clear the filter"."""
        return {
            name: self.data[name]
            for name in self.fields
            if name not in self.FILTERS and self.data.get(name) not in (None, "")
        }

    def workload(self) -> Workload | None:
        """The calibrated policy's workload; None for the other policies."""
        q = self.cleaned_data
        if q["policy"] != "calibrated":
            return None
        return Workload(
            input_tokens=q["input_tokens"], output_tokens=q["output_tokens"],
            slo_tps=q["slo_tps"], ttft_s=q["ttft_s"], kv_precision_bits=q["kv_precision"],
            serving_stack=q["serving_stack"],
        )  # fmt: skip

    @classmethod
    def from_query(cls, query) -> "CapacitySettingsForm":
        """Bound to the query string, missing fields taking their initial values."""
        data = {}
        for name, field in cls.base_fields.items():
            if isinstance(field, forms.MultipleChoiceField):
                many = query.getlist(name) if hasattr(query, "getlist") else query.get(name)
                data[name] = many or []
            else:
                data[name] = query.get(name, field.initial)
        return cls(data)
