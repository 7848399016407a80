"""The one bridge from catalog rows to a plain problem v1 for the pure solver."""
from collections.abc import Iterable

from django.forms.models import model_to_dict

from inventory.models import Accelerator, ModelClass, PerformanceProfile, RackType, ServerModel
from planner.capacity import AcceleratorSpec, ModelSpec, ServerSpec, sessions_at_slo


def rack_type_entry(rack: RackType, count: int = 1) -> dict:
    return {
        "name": rack.name,
        "u": rack.u_height,
        "power_kw": rack.budget_kw,
        "reserved_u": rack.reserved_u,
        "reserved_kw": rack.reserved_kw,
        "count": count,
    }


def server_entry(server: ServerModel, sessions: dict[str, int]) -> dict:
    return {
        "name": server.name,
        "u": server.u_height,
        "power_w": server.power_w,
        "available": None,
        "cost_usd": float(server.price_usd) if server.price_usd is not None else None,
        "sessions": sessions,
    }


def profile_sessions(
    server: ServerModel,
    models: Iterable[ModelClass],
    precision_bits: int,
    slo_tps: float,
) -> dict[str, PerformanceProfile]:
    """The catalog's profiles of `server` for `models` at a precision and SLO, by model name."""
    profiles = PerformanceProfile.objects.filter(
        server_model=server,
        model_class__in=list(models),
        precision_bits=precision_bits,
        slo_tps=slo_tps,
    ).select_related("model_class")
    return {profile.model_class.name: profile for profile in profiles}


def single_model_problem(
    rack: RackType, server: ServerModel, model: ModelClass, sessions_per_server: int
) -> dict:
    """One rack filled with one server SKU serving one model: the seed study's question."""
    return {
        "rack_types": [rack_type_entry(rack)],
        "servers": [server_entry(server, {model.name: sessions_per_server})],
        "demand": {model.name: {"min": 0, "max": None, "weight": 1.0}},
        "hall_power_kw": None,
        "objective": "max_sessions",
    }


def accelerator_spec(accelerator: Accelerator) -> AcceleratorSpec:
    return AcceleratorSpec.from_mapping(model_to_dict(accelerator))


def server_spec(server: ServerModel) -> ServerSpec:
    return ServerSpec.from_mapping(
        model_to_dict(server), accelerator=accelerator_spec(server.accelerator)
    )


def model_spec(model: ModelClass) -> ModelSpec:
    return ModelSpec.from_mapping(model_to_dict(model))


def derive_study_profile(
    server: ServerModel, model: ModelClass, precision_bits: int, slo_tps: float
) -> tuple[int, str]:
    """Sessions per server by the seed study's rule, and the explanation to store as source."""
    result = sessions_at_slo(
        server_spec(server), model_spec(model), precision_bits, slo_tps, policy="study"
    )
    return result.sessions, f"Study rule (seed 003): {result.explanation}"
