"""Sessions per server for a model at an SLO, from the catalog: measured profiles win, the
capacity model (planner.capacity) fills every other pair and says how it got its figure."""

from django.db.models import Q
from django.forms.models import model_to_dict

from inventory.models import Accelerator, ModelClass, PerformanceProfile, ServerModel
from inventory.seed import LoadReport, profile_row, upsert_profiles
from planner.capacity import (
    DEFAULT_CONTEXT_TOKENS,
    AcceleratorSpec,
    CapacityResult,
    Measurement,
    ModelSpec,
    ServerSpec,
    Workload,
    energy_figures,
    is_whole_bits,
    sessions_at_slo,
)
from planner.capacity.defaults import UNSTATED_CONTEXT_LIMIT


def accelerator_spec(accelerator: Accelerator) -> AcceleratorSpec:
    return AcceleratorSpec.from_mapping(model_to_dict(accelerator))


def server_spec(server: ServerModel) -> ServerSpec:
    return ServerSpec.from_mapping(
        model_to_dict(server), accelerator=accelerator_spec(server.accelerator)
    )


def model_spec(model: ModelClass) -> ModelSpec:
    return ModelSpec.from_mapping(model_to_dict(model))


def measured_profiles(precision_bits: int) -> dict[tuple[int, int], list[PerformanceProfile]]:
    """Every measured profile at a precision, by (server model id, model class id): one query
    for a page that asks `best_measurement` about every catalog pair."""
    grouped: dict[tuple[int, int], list[PerformanceProfile]] = {}
    if not is_whole_bits(precision_bits):
        return grouped  # profiles are stored at whole bits; ternary weights have none
    for profile in PerformanceProfile.objects.filter(
        precision_bits=precision_bits, basis=PerformanceProfile.Basis.MEASURED
    ):
        grouped.setdefault((profile.server_model_id, profile.model_class_id), []).append(profile)
    return grouped


def best_measurement(
    server: ServerModel,
    model: ModelClass,
    precision_bits: int,
    slo_tps: float,
    context_tokens: int | None = None,
    profiles: dict[tuple[int, int], list[PerformanceProfile]] | None = None,
) -> Measurement | None:
    """The measured profile that applies: same precision, measured at an SLO at least as strict
    as the one asked for and (when the profile records it) at a context at least as long; of
    several, the one with the most sessions (each is a lower bound, so the largest is the best
    one), then the closest SLO. A profile whose source states no context stands for requests
    of up to the default context (`UNSTATED_CONTEXT_LIMIT`): a longer request shape gets an
    estimate instead. `profiles` (from `measured_profiles`) saves the query."""
    unstated_applies = context_tokens is None or context_tokens <= UNSTATED_CONTEXT_LIMIT
    if not is_whole_bits(precision_bits):
        return None  # profiles are stored at whole bits; ternary weights have none
    if profiles is not None:
        candidates = [
            p for p in profiles.get((server.pk, model.pk), [])
            if p.precision_bits == precision_bits and p.slo_tps >= slo_tps
            and (context_tokens is None or (p.context_tokens is None and unstated_applies)
                 or (p.context_tokens or 0) >= context_tokens)
        ]
        candidates.sort(key=lambda p: (-p.sessions_at_slo, p.slo_tps))
        profile = candidates[0] if candidates else None
    else:
        queryset = PerformanceProfile.objects.filter(
            server_model=server,
            model_class=model,
            precision_bits=precision_bits,
            slo_tps__gte=slo_tps,
            basis=PerformanceProfile.Basis.MEASURED,
        )
        if context_tokens is not None:
            unstated = Q(context_tokens__isnull=True) if unstated_applies else Q(pk__in=[])
            queryset = queryset.filter(unstated | Q(context_tokens__gte=context_tokens))
        profile = queryset.order_by("-sessions_at_slo", "slo_tps").first()
    if profile is None:
        return None
    return Measurement(
        server=server.name,
        model=model.name,
        precision_bits=profile.precision_bits,
        sessions=profile.sessions_at_slo,
        slo_tps=profile.slo_tps,
        source=profile.source,
        context_tokens=profile.context_tokens,
    )


def capacity_figure(
    server: ServerModel,
    model: ModelClass,
    *,
    precision_bits: int,
    slo_tps: float,
    context_tokens: int = DEFAULT_CONTEXT_TOKENS,
    policy: str = "study",
    workload: Workload | None = None,
    max_sequences: int | None = None,
    profiles: dict[tuple[int, int], list[PerformanceProfile]] | None = None,
    specs: tuple[ServerSpec, ModelSpec] | None = None,
) -> CapacityResult:
    """Sessions at the SLO for one catalog pair, labelled measured, study rule or estimated.

    `workload` (calibrated policy) carries the request shape and targets; its SLO wins and
    its input + output tokens stand for the context when looking for a measured profile.
    `specs` (the pair's `server_spec` and `model_spec`) saves building them again for a page
    that asks about every pair of a few servers and models."""
    if workload is not None:
        slo_tps = workload.slo_tps
        context_tokens = workload.input_tokens + workload.output_tokens
    server_figures, model_figures = specs or (server_spec(server), model_spec(model))
    return sessions_at_slo(
        server_figures,
        model_figures,
        precision_bits=precision_bits,
        slo_tps=slo_tps,
        context_tokens=context_tokens,
        policy=policy,
        measured=best_measurement(
            server, model, precision_bits, slo_tps, context_tokens, profiles=profiles
        ),
        workload=workload,
        **({"max_sequences": max_sequences} if max_sequences else {}),
    )


def derive_study_profile(
    server: ServerModel, model: ModelClass, precision_bits: int, slo_tps: float
) -> tuple[int, str]:
    """Sessions per server by the seed study's rule, and the explanation to store as source."""
    result = sessions_at_slo(
        server_spec(server), model_spec(model), precision_bits, slo_tps, policy="study"
    )
    return result.sessions, f"Study rule (seed 003): {result.explanation}"


def capacity_report(
    server: ServerModel,
    model: ModelClass,
    *,
    precision_bits: int,
    slo_tps: float,
    context_tokens: int,
    policy: str,
    grid_g_co2_per_kwh: float,
    workload: Workload | None = None,
    max_sequences: int | None = None,
    profiles: dict[tuple[int, int], list[PerformanceProfile]] | None = None,
    specs: tuple[ServerSpec, ModelSpec] | None = None,
) -> dict:
    """A capacity figure with its energy figures at full load, JSON-ready (API and pages)."""
    result = capacity_figure(
        server,
        model,
        precision_bits=precision_bits,
        slo_tps=slo_tps,
        context_tokens=context_tokens,
        policy=policy,
        workload=workload,
        max_sequences=max_sequences,
        profiles=profiles,
        specs=specs,
    )
    return {
        "result": result.to_dict(),
        "energy": {
            "server_power_w": server.power_w,
            "grid_g_co2_per_kwh": grid_g_co2_per_kwh,
            **energy_figures(result, server.power_w, grid_g_co2_per_kwh),
        },
    }


def derive_study_profiles(
    sender: type,
    *,
    data: dict,
    report: LoadReport,
    servers: dict[str, ServerModel],
    model_classes: dict[str, ModelClass],
    **kwargs,
) -> None:
    """Receiver of `inventory.seed.catalog_loaded`: store the GPU profiles the seed study implies.

    They are derived by the study rule (``data["study_rule_profiles"]`` says for which servers,
    models, precision and SLO), never typed in, so changing an accelerator's memory changes them
    at the next load.
    """
    rule = data["study_rule_profiles"]
    rule_models = [model_classes[name] for name in rule.get("model_classes", model_classes)]
    rows = []
    for server_name in rule["server_models"]:
        for model in rule_models:
            sessions, source = derive_study_profile(
                servers[server_name], model, rule["precision_bits"], float(rule["slo_tps"])
            )
            rows.append(profile_row(
                servers[server_name],
                model,
                rule["precision_bits"],
                float(rule["slo_tps"]),
                sessions,
                PerformanceProfile.Basis.DERIVED,
                source,
            ))
    upsert_profiles(report, rows)
