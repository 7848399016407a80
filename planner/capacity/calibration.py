"""Fit the roofline's efficiencies to measurements (pure; a management command feeds it).

A measurement says "at batch b per replica each session got r tokens/s". A profile in the
catalog says "s sessions per server at >= slo tok/s"; the (s+1)-th session would have missed the
SLO, so the best point estimate is r = slo at b = s / replicas (`CalibrationCase.from_sessions`).

The model predicts r(b) = 1 / step(b) (see `planner.capacity.roofline`); we fit
(bandwidth_efficiency, compute_efficiency) in (0, 1] by least squares on log(r_pred / r_meas),
so a 10 % miss weighs the same on a CPU at 10 tok/s as on a GPU at 100 tok/s. The fit runs in
log-efficiency space: where one term binds, log r is linear in log efficiency, so the problem is
piecewise linear and converges in a few iterations. An efficiency no case is bound by cannot
be learned; it keeps its starting value (the accelerator's default), and
`identified_efficiencies` says so.

Fit one accelerator at a time (efficiencies are properties of hardware plus software stack).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import least_squares

from planner.capacity.defaults import DEFAULT_CONTEXT_TOKENS, DEFAULT_KV_PRECISION_BITS
from planner.capacity.roofline import (
    Efficiencies,
    ReplicaShape,
    default_efficiencies,
    replica_shape,
)
from planner.capacity.specs import Measurement, ModelSpec, ServerSpec

# Efficiencies live in (0, 1]; the floor keeps log() finite and is far below any real system.
MIN_EFFICIENCY = 1e-4
# Extra starting points: the max() in the step time makes an efficiency invisible while the
# other term binds, so a single start can stall on the wrong side of the kink.
_STARTS: tuple[Efficiencies, ...] = (
    Efficiencies(0.9, 0.9),
    Efficiencies(0.5, 0.1),
    Efficiencies(0.9, 0.01),
    Efficiencies(0.1, 0.9),
    Efficiencies(0.05, 0.01),
)


@dataclass(frozen=True)
class CalibrationCase:
    """One measured point: `measured_tps` tokens/s per session at `batch_size` per replica.

    The configuration (TP degree, MIG, context, KV precision, weight overhead) must be the one
    the measurement ran with, since the prediction is for that configuration.
    """

    server: ServerSpec
    model: ModelSpec
    precision_bits: int
    batch_size: float
    measured_tps: float
    tp_degree: int = 1
    mig: bool = False
    context_tokens: int = DEFAULT_CONTEXT_TOKENS
    kv_precision_bits: int = DEFAULT_KV_PRECISION_BITS
    weight_overhead: float = 0.0
    label: str = ""

    def __post_init__(self) -> None:
        if not self.batch_size > 0 or not self.measured_tps > 0:
            raise ValueError("a calibration case needs batch_size > 0 and measured_tps > 0")
        if not self.label:
            name = f"{self.server.name} / {self.model.name} / {self.precision_bits}-bit"
            object.__setattr__(self, "label", name)

    def shape(self, efficiencies: Efficiencies) -> ReplicaShape:
        """The replica this case ran on, with the given efficiencies."""
        return replica_shape(
            self.server,
            self.model,
            precision_bits=self.precision_bits,
            tp_degree=self.tp_degree,
            mig=self.mig,
            context_tokens=self.context_tokens,
            kv_precision_bits=self.kv_precision_bits,
            weight_overhead=self.weight_overhead,
            efficiencies=efficiencies,
        )

    def predict_tps(self, efficiencies: Efficiencies) -> float:
        """Model's tokens/s per session at this case's batch size."""
        return self.shape(efficiencies).tokens_per_second_per_session(self.batch_size)

    @classmethod
    def from_sessions(
        cls,
        server: ServerSpec,
        model: ModelSpec,
        precision_bits: int,
        sessions: int,
        slo_tps: float,
        **config: object,
    ) -> CalibrationCase:
        """A 'sessions per server at >= slo' figure as a point (sessions / replicas, slo).

        `config` takes the other `CalibrationCase` fields (tp_degree, mig, context_tokens...).
        """
        if sessions <= 0:
            raise ValueError("a figure of 0 sessions carries no rate to fit")
        probe = cls(server, model, precision_bits, 1.0, slo_tps, **config)  # type: ignore[arg-type]
        replicas = probe.shape(default_efficiencies(server.accelerator.kind)).replicas_per_server
        return replace(probe, batch_size=sessions / replicas)

    @classmethod
    def from_measurement(
        cls, server: ServerSpec, model: ModelSpec, measurement: Measurement, **config: object
    ) -> CalibrationCase:
        """A catalog profile (`Measurement`) as a calibration case."""
        if measurement.server != server.name or measurement.model != model.name:
            raise ValueError("measurement does not belong to this server and model")
        return cls.from_sessions(
            server,
            model,
            measurement.precision_bits,
            measurement.sessions,
            measurement.slo_tps,
            **config,
        )


@dataclass(frozen=True)
class CaseError:
    """How well given efficiencies explain one case."""

    label: str
    batch_size: float
    measured_tps: float
    predicted_tps: float
    relative_error: float  # predicted / measured - 1
    predicted_batch: int  # largest batch the model says still reaches measured_tps
    binding: str  # "memory_bandwidth" or "compute" at the case's batch
    efficiencies: Efficiencies


def _log_residuals(theta: np.ndarray, cases: Sequence[CalibrationCase]) -> np.ndarray:
    effs = Efficiencies(math.exp(theta[0]), math.exp(theta[1]))
    return np.array([math.log(c.predict_tps(effs) / c.measured_tps) for c in cases])


def fit_efficiencies(
    cases: Sequence[CalibrationCase], initial: Efficiencies | None = None
) -> Efficiencies:
    """Least-squares (bandwidth, compute) efficiencies in (0, 1] explaining `cases`.

    Starts from `initial` (default: the documented defaults for the first case's accelerator
    kind) and a few spread-out points, and keeps the best; on a tie the first start wins, so
    an efficiency the data cannot see stays at its default instead of wandering.
    """
    if not cases:
        raise ValueError("fit_efficiencies needs at least one case")
    first = initial or default_efficiencies(cases[0].server.accelerator.kind)
    low, high = math.log(MIN_EFFICIENCY), 0.0
    best: tuple[float, Efficiencies] | None = None
    for start in (first, *_STARTS):
        x0 = np.clip(np.log(np.array(start, dtype=float)), low, high)
        fit = least_squares(
            _log_residuals,
            x0,
            args=(cases,),
            bounds=([low, low], [high, high]),
            method="trf",
            x_scale=1.0,
            diff_step=1e-6,
        )
        effs = Efficiencies(float(math.exp(fit.x[0])), float(math.exp(fit.x[1])))
        cost = float(fit.cost)
        if best is None or cost < best[0] - 1e-12 - 1e-9 * best[0]:
            best = (cost, effs)
    assert best is not None
    cost, effs = best
    # An efficiency no case is bound by is arbitrary (whatever start reached the optimum);
    # put it back to the starting default when that costs nothing, so tables stay readable.
    bandwidth_seen, compute_seen = identified_efficiencies(cases, effs)
    for seen, candidate in (
        (bandwidth_seen, effs._replace(bandwidth=first.bandwidth)),
        (compute_seen, effs._replace(compute=first.compute)),
    ):
        if not seen and _cost(candidate, cases) <= cost + 1e-12 + 1e-9 * cost:
            effs = candidate
    return Efficiencies(min(effs.bandwidth, 1.0), min(effs.compute, 1.0))


def _cost(effs: Efficiencies, cases: Sequence[CalibrationCase]) -> float:
    """least_squares' cost: half the sum of squared log residuals."""
    theta = np.log(np.array(effs, dtype=float))
    return 0.5 * float(np.sum(_log_residuals(theta, cases) ** 2))


def identified_efficiencies(
    cases: Sequence[CalibrationCase], efficiencies: Efficiencies
) -> tuple[bool, bool]:
    """(bandwidth, compute): True when at least one case is bound by that term, i.e. the data
    actually determines it. A calibration table should show a default for the other one."""
    steps = [c.shape(efficiencies).step_time(c.batch_size) for c in cases]
    return (
        any(s.memory_s >= s.compute_s for s in steps),
        any(s.compute_s >= s.memory_s for s in steps),
    )


def evaluate(cases: Sequence[CalibrationCase], efficiencies: Efficiencies) -> list[CaseError]:
    """Per-case error of the model with the given efficiencies."""
    errors = []
    for case in cases:
        shape = case.shape(efficiencies)
        step = shape.step_time(case.batch_size)
        predicted = 1.0 / step.total_s
        predicted_batch = min(
            shape.bandwidth_limit(case.measured_tps), shape.compute_limit(case.measured_tps)
        )
        errors.append(
            CaseError(
                label=case.label,
                batch_size=case.batch_size,
                measured_tps=case.measured_tps,
                predicted_tps=predicted,
                relative_error=predicted / case.measured_tps - 1.0,
                predicted_batch=predicted_batch,
                binding="compute" if step.compute_s > step.memory_s else "memory_bandwidth",
                efficiencies=efficiencies,
            )
        )
    return errors


def leave_one_out(
    cases: Sequence[CalibrationCase], initial: Efficiencies | None = None
) -> list[CaseError]:
    """Fit on all cases but one, predict the one left out; one `CaseError` per case.

    This is the honest error to quote for a calibration table: the in-sample error of a
    two-parameter fit to a handful of points flatters it.
    """
    if len(cases) < 2:
        raise ValueError("leave-one-out needs at least two cases")
    out = []
    for index, case in enumerate(cases):
        rest = [c for i, c in enumerate(cases) if i != index]
        effs = fit_efficiencies(rest, initial)
        out.extend(evaluate([case], effs))
    return out
