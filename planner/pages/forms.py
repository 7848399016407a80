"""The scenario editor's form: one row per catalog rack type, server and model.

The form is a view of a scenario spec v1 (docs/scenarios.md): `to_spec()` builds one and
`initial_from_spec()` reads one back. `validate_spec` stays the one judge of a spec; its error
paths (e.g. `models[1].max`) are mapped back onto the fields they came from, so every error
shows beside what the planner typed, and a bound form keeps everything typed.
"""

from django import forms
from django.conf import settings

from inventory.models import ModelClass, RackType, ServerModel
from planner import solver
from planner.bridge.problems import ScenarioSpecError, build_problem, validate_spec
from planner.capacity import defaults

OBJECTIVES = [
    ("max_sessions", "Most concurrent sessions"),
    ("min_power", "Least power (meet every minimum)"),
    ("min_cost", "Least cost (meet every minimum; needs server prices)"),
]
PRECISIONS = [(bits, f"{bits}-bit") for bits in defaults.PRECISIONS_BITS]
POLICIES = [("study", "Study rule (seed study)"), ("batched", "Batched roofline estimate")]
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
        coerce=int,
        initial=defaults.DEFAULT_PRECISION_BITS,
    )
    capacity_policy = forms.ChoiceField(
        label="Capacity policy", choices=POLICIES, initial=defaults.DEFAULT_POLICY
    )
    objective = forms.ChoiceField(choices=OBJECTIVES, initial="max_sessions")
    hall_power_kw = forms.FloatField(
        label="Hall power cap (kW, optional)", required=False, min_value=0.001
    )
    power_basis = forms.ChoiceField(
        label="Plan server power on", choices=POWER_BASES, initial="nameplate", required=False
    )
    power_headroom_pct = forms.FloatField(
        label="Headroom over typical draw (%)", min_value=0, max_value=100, initial=0,
        required=False,
    )

    def __init__(self, *args, colours: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.colours = colours or {}
        self.rack_types = list(RackType.objects.all())
        self.servers = list(ServerModel.objects.select_related("accelerator").order_by("id"))
        self.models = list(ModelClass.objects.all())
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
                "inputs": [self[f"model_{m.pk}_{key}"] for key in ("min", "max", "weight")],
            }
            for m in self.models
        ]

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
                for key in ("min", "max", "weight"):
                    fields[f"models[{i}].{key}"] = f"model_{model.pk}_{key}"
                fields[f"models[{i}]"] = f"model_{model.pk}_min"
                models.append(
                    {
                        "model_class": model.name,
                        "min": data.get(f"model_{model.pk}_min") or 0,
                        "max": data.get(f"model_{model.pk}_max"),
                        "weight": data.get(f"model_{model.pk}_weight", 1.0),
                    }
                )
        spec = {
            "version": 1,
            "rack_types": rack_types,
            "servers": servers,
            "models": models,
            "slo_tps": data.get("slo_tps"),
            "precision_bits": data.get("precision_bits"),
            "capacity_policy": data.get("capacity_policy"),
            "objective": data.get("objective"),
            "hall_power_kw": data.get("hall_power_kw"),
            "power_basis": data.get("power_basis") or "nameplate",
            "power_headroom_pct": data.get("power_headroom_pct") or 0,
        }
        return spec, fields

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
            "slo_tps": spec.get("slo_tps", 10),
            "precision_bits": spec.get("precision_bits", 8),
            "capacity_policy": spec.get("capacity_policy", "study"),
            "objective": spec.get("objective", "max_sessions"),
            "hall_power_kw": spec.get("hall_power_kw"),
            "power_basis": spec.get("power_basis", "nameplate"),
            "power_headroom_pct": spec.get("power_headroom_pct", 0),
        }
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
        return initial


class CapacitySettingsForm(forms.Form):
    """The settings of a capacity figure; the same defaults as a scenario spec."""

    precision = forms.TypedChoiceField(
        choices=PRECISIONS,
        coerce=int,
        initial=defaults.DEFAULT_PRECISION_BITS,
        label="Weight precision",
    )
    slo_tps = forms.FloatField(
        min_value=0.001,
        max_value=defaults.SLO_TPS_MAX,
        initial=defaults.DEFAULT_SLO_TPS,
        label="SLO (tokens/s per session)",
    )
    context = forms.IntegerField(
        min_value=1,
        max_value=defaults.CONTEXT_TOKENS_MAX,
        initial=defaults.DEFAULT_CONTEXT_TOKENS,
        label="Context (tokens per session)",
    )
    policy = forms.ChoiceField(
        choices=POLICIES, initial=defaults.DEFAULT_POLICY, label="Capacity policy"
    )

    @classmethod
    def from_query(cls, query) -> "CapacitySettingsForm":
        """Bound to the query string, missing fields taking their initial values."""
        data = {name: query.get(name, field.initial) for name, field in cls.base_fields.items()}
        return cls(data)
