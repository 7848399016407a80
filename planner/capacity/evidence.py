"""Published serving measurements: the fixed held-out split, fitting the serving model's
constants and the error tables. Reading the measurements and the stored calibration back (and
the uncertainty attached to an estimate) is `measurements`, which the estimator imports
without the fitting's scipy.optimize.

The dataset is `planner/capacity/data/measurements.json` (every row cites its source and
quotes the figures read there); hardware and model shapes come from the seed catalog
(`inventory/data/seed_catalog.json`) and, for models the catalog does not have yet, from the
dataset's own `models` section. Everything here is pure (JSON files in, dataclasses out).

Split (stratified by accelerator, so every accelerator with two or more rows has rows on both
sides): within each accelerator the rows are ranked by sha256(row id), and ranks 2, 5, 8, ...
(every third) are held out, about a third of the rows. Constants are fitted on the other rows
only; the held-out rows and leave-one-source-out are the errors to quote.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import least_squares

from planner.capacity.measurements import (
    LOSO,
    MeasuredPoint,
    load_points,
    load_validation_points,
    uncertainty,
)
from planner.capacity.roofline import ReplicaShape, replica_shape
from planner.capacity.serving import ServingConstants
from planner.capacity.specs import ServerSpec

HELD_OUT_EVERY = 3  # within each accelerator, every third row by hash rank is held out
TARGET_MEDIAN = math.log(1.25)  # |ln(est / obs)| at most 25 %
TARGET_WORST = math.log(2.0)  # no case off by more than 2x


# --------------------------------------------------------------------------------------
# Predictions
# --------------------------------------------------------------------------------------


def running_sessions(point: MeasuredPoint) -> float:
    """Sequences the engine runs at once at the row's load. A static row submits its whole
    batch together; where the model says the batch's KV cache does not fit beside the weights,
    the engine runs it in waves of the sessions that fit (vLLM admits a request only while KV
    blocks are free; the others wait). Serving rows state the sequences actually running."""
    if point.method != "static":
        return point.sessions
    fit = point.replica.sessions_by_memory(point.workload)
    return min(point.sessions, fit) if fit >= 1 else point.sessions


def predicted_rate(point: MeasuredPoint, k: ServingConstants) -> float:
    """The model's per-session rate at the measured load. A static row's rate is its output
    tokens over the whole batch's wall time, so a batch run in waves (`running_sessions`)
    shows the wave's rate x wave / batch."""
    running = running_sessions(point)
    rate = point.replica.rate_per_session(
        running, point.workload, k, overlap_prefill=point.method != "static"
    )
    # Unscaled when there are no waves: x * b / b is not always x in floating point, and the
    # fit's flat cost surface should see the same residuals as before waves were modelled.
    return rate if running == point.sessions else rate * running / point.sessions


def predicted_sessions(point: MeasuredPoint, k: ServingConstants) -> float:
    """The model's sessions per replica at the measured per-session rate (memory-capped)."""
    replica = point.replica
    batch = replica.batch_at_rate(
        point.per_session_tps, point.workload, k, overlap_prefill=point.method != "static"
    )
    by_memory = replica.sessions_by_memory(point.workload)
    if by_memory >= 0:
        batch = min(batch, max(by_memory, 0.5))
    if point.max_num_seqs:
        batch = min(batch, float(point.max_num_seqs))
    return max(batch, 0.5)


def arrival_rate(point: MeasuredPoint) -> float:
    """Requests/s a serving row's replica received, by Little's law from its sessions in
    flight and the time each request stayed: first-token time plus output at its rate."""
    assert point.ttft_s is not None
    stay = point.ttft_s + point.workload.output_tokens / point.per_session_tps
    return running_sessions(point) / stay


def predicted_ttft(point: MeasuredPoint, k: ServingConstants) -> float:
    """The model's time to first token at the row's load and its measured arrival rate."""
    return point.replica.ttft_s(
        running_sessions(point), point.workload, k, requests_per_s=arrival_rate(point)
    )


def with_ttft(points: Iterable[MeasuredPoint]) -> list[MeasuredPoint]:
    """Serving rows whose source gives a mean time to first token (static batches have none)."""
    return [p for p in points if p.ttft_s and p.method != "static"]


# --------------------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------------------

_GPU_FIELDS = (
    "gpu_bandwidth_efficiency", "gpu_compute_efficiency", "half_batch", "step_overhead_s",
    "all_reduce_latency_s", "moe_efficiency", "prefill_efficiency", "per_sequence_overhead_s",
    "moe_bandwidth_efficiency", "rocm_efficiency", "moe_half_expert_mb",
    "tensorrt_llm_sequence_overhead_s",
)  # fmt: skip
# Bounds keep each constant physical: a step overhead of at most 3 ms (CUDA-graph launch and
# scheduling) and an all-reduce latency of at most 30 us (NCCL small-message latency).
_GPU_BOUNDS = (
    (0.2, 1.0),
    (0.05, 1.0),
    (0.5, 512.0),
    (1e-4, 3e-3),
    (1e-6, 3e-5),
    (0.02, 1.0),
    (0.05, 1.0),
    (1e-7, 1e-4),
    (0.1, 1.0),
    (0.2, 1.0),
    (1e-3, 1e3),
    (1e-7, 1e-4),
)
_CPU_FIELDS = ("cpu_bandwidth_efficiency", "cpu_compute_efficiency")
_CPU_BOUNDS = ((0.05, 1.0), (0.005, 1.0))


# The fit scores sessions as well as rates. A rate error of e where the modelled rate falls
# with elasticity s (-d ln rate / d ln batch) is a sessions error of about e / s, so each row
# adds, beside its rate residual, the distance of the model's sessions from the row's observed
# interval (`observed_intervals`, from the fitting rows only) in that first-order form: zero
# inside the interval. The elasticity is the model's own at the interval's edge, floored at
# 0.1 so that one flat row cannot carry the fit (a sessions residual is at most ten times the
# rate error behind it). The weight of the sessions residuals is chosen by `choose_sessions_
# weight`: three-fold cross-validation inside the fitting split only (docs/capacity.md).
SESSIONS_RESIDUAL_WEIGHT = 0.25
SESSIONS_WEIGHT_CHOICES = (0.0, 0.25, 0.5, 1.0)
ELASTICITY_FLOOR = 0.1


def _rate_at(p: MeasuredPoint, batch: float, k: ServingConstants) -> float:
    return p.replica.rate_per_session(batch, p.workload, k, overlap_prefill=p.method != "static")


def _model_elasticity(p: MeasuredPoint, batch: float, k: ServingConstants) -> float:
    step = 1.1
    fall = math.log(_rate_at(p, batch, k) / _rate_at(p, batch * step, k)) / math.log(step)
    return max(fall, ELASTICITY_FLOOR)


def sessions_residual(p: MeasuredPoint, interval: SessionsInterval, k: ServingConstants) -> float:
    """First-order ln distance of the model's sessions at the row's rate from the interval
    (negative: too few sessions; positive: too many; 0 inside)."""
    r = p.per_session_tps
    at_low = _rate_at(p, interval.low, k)
    if at_low < r:  # the model reaches rate r only below the observed floor
        return -math.log(r / at_low) / _model_elasticity(p, interval.low, k)
    if math.isfinite(interval.high):
        at_high = _rate_at(p, interval.high, k)
        if at_high >= r:  # the model still runs at r at the observed ceiling
            return math.log(at_high / r) / _model_elasticity(p, interval.high, k)
    return 0.0


def fit_residuals(
    points: Sequence[MeasuredPoint],
    k: ServingConstants,
    intervals: dict[str, SessionsInterval] | None,
    sessions_weight: float,
) -> np.ndarray:
    """What the least squares minimises: each row's ln(predicted / measured rate), then, when
    intervals are given, each row's weighted sessions residual."""
    rate = [math.log(predicted_rate(p, k) / p.per_session_tps) for p in points]
    if not intervals or not sessions_weight:
        return np.array(rate)
    sessions = [sessions_weight * sessions_residual(p, intervals[p.id], k) for p in points]
    return np.array(rate + sessions)


def fit_cost(
    points: Iterable[MeasuredPoint],
    k: ServingConstants,
    sessions_weight: float = SESSIONS_RESIDUAL_WEIGHT,
) -> float:
    """Half the sum of squared residuals of `fit_constants` at `k` (GPU and CPU rows alike):
    how well constants fit the rows, whichever machine found them."""
    chosen = list(points)
    r = fit_residuals(chosen, k, observed_intervals(chosen), sessions_weight)
    return 0.5 * float(r @ r)


def _fit_group(
    points: Sequence[MeasuredPoint],
    base: ServingConstants,
    names: Sequence[str],
    bounds: Sequence[tuple[float, float]],
    intervals: dict[str, SessionsInterval] | None = None,
    sessions_weight: float = SESSIONS_RESIDUAL_WEIGHT,
) -> ServingConstants:
    if not points:
        return base
    low = np.log([b[0] for b in bounds])
    high = np.log([b[1] for b in bounds])

    def build(theta: np.ndarray) -> ServingConstants:
        return replace(base, **{n: float(math.exp(v)) for n, v in zip(names, theta, strict=True)})

    def residuals(theta: np.ndarray) -> np.ndarray:
        return fit_residuals(points, build(theta), intervals, sessions_weight)

    x0 = np.clip(np.log([getattr(base, n) for n in names]), low, high)
    # Too few points for every constant (a CPU with two rows): fit only as many as the data
    # can carry, the first ones listed, and keep the rest at their starting values.
    free = min(len(names), len(points))
    if free < len(names):
        names, low, high, x0 = names[:free], low[:free], high[:free], x0[:free]
    fits = [
        least_squares(residuals, start, bounds=(low, high), diff_step=1e-4, x_scale=1.0)
        for start in _starts(names, x0, low, high)
    ]
    return build(min(fits, key=lambda fit: fit.cost).x)


# The cost surface is flat along the trade of compute efficiency against the batch curve's
# half point (at small batch only their ratio shows), and least squares from one start stops
# in whichever shallow minimum is nearest: fits from different starts differ by ~1 % in cost
# and by 10-20 % in those two constants. So the GPU fit starts from each corner of a fixed
# grid of the two and keeps the lowest cost on the fitting rows (never a held-out score).
_START_GRID = {"gpu_compute_efficiency": (0.3, 0.6), "half_batch": (16.0, 128.0)}


def _starts(
    names: Sequence[str], x0: np.ndarray, low: np.ndarray, high: np.ndarray
) -> list[np.ndarray]:
    """The given start, then the grid's corners for the constants among `names`."""
    grid = [(names.index(n), values) for n, values in _START_GRID.items() if n in names]
    starts = [x0]
    for corner in itertools.product(*(values for _, values in grid)):
        start = x0.copy()
        for (i, _), value in zip(grid, corner, strict=True):
            start[i] = np.clip(math.log(value), low[i], high[i])
        if not any(np.array_equal(start, seen) for seen in starts):
            starts.append(start)
    return starts


def fit_constants(
    points: Iterable[MeasuredPoint],
    start: ServingConstants | None = None,
    sessions_weight: float = SESSIONS_RESIDUAL_WEIGHT,
) -> ServingConstants:
    """Least squares on log(predicted rate / measured rate) and on the sessions residual
    against the intervals the same rows imply, GPUs and CPUs separately; then the first-token
    overhead on the rows that give a first-token time, with the step constants held."""
    chosen = list(points)
    intervals = observed_intervals(chosen)
    k = start or ServingConstants()
    gpus = [p for p in chosen if p.accelerator.kind == "gpu"]
    cpus = [p for p in chosen if p.accelerator.kind == "cpu"]
    k = _fit_group(gpus, k, _GPU_FIELDS, _GPU_BOUNDS, intervals, sessions_weight)
    k = _fit_group(cpus, k, _CPU_FIELDS, _CPU_BOUNDS, intervals, sessions_weight)
    return fit_first_token_overhead(chosen, k)


# A request's path to its first token outside the step's compute: at most 2 s (MLPerf's
# Server scenario allows a 2 s 99th-percentile first-token time for Llama 2 70B).
_FIRST_TOKEN_OVERHEAD_BOUNDS = (0.0, 2.0)


def fit_first_token_overhead(
    points: Iterable[MeasuredPoint], k: ServingConstants
) -> ServingConstants:
    """`k` with `first_token_overhead_s` fitted by least squares on log(predicted / measured
    first-token time) over the rows that give one; `k` unchanged when none does. One constant
    only: the fitting rows cannot tell a fixed overhead from a number of steps' wait (a fit
    of both put the fixed part at its bound of 0, docs/capacity.md)."""
    rows = with_ttft(points)
    if not rows:
        return k

    def residuals(theta: np.ndarray) -> np.ndarray:
        kk = replace(k, first_token_overhead_s=float(theta[0]))
        return np.array([math.log(predicted_ttft(p, kk) / p.ttft_s) for p in rows])

    fit = least_squares(
        residuals,
        [0.05],
        bounds=([_FIRST_TOKEN_OVERHEAD_BOUNDS[0]], [_FIRST_TOKEN_OVERHEAD_BOUNDS[1]]),
    )
    return replace(k, first_token_overhead_s=float(fit.x[0]))


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PointError:
    id: str
    source: str
    observed: float
    estimated: float

    @property
    def log_error(self) -> float:
        """|ln(estimate / observed)|; infinite when the estimate is 0 sessions."""
        if self.estimated <= 0:
            return math.inf
        return abs(math.log(self.estimated / self.observed))


@dataclass(frozen=True)
class ErrorSummary:
    count: int
    median: float  # of |ln(est / obs)|
    worst: float
    within_2x: float  # share with |ln| <= ln 2

    def row(self) -> str:
        def pct(x: float) -> str:
            return "n/a (0 sessions)" if math.isinf(x) else f"{(math.exp(x) - 1) * 100:.0f} %"

        return f"{self.count} | {pct(self.median)} | {pct(self.worst)} | {self.within_2x:.0%}"

    @property
    def meets_target(self) -> bool:
        return self.median <= TARGET_MEDIAN and self.worst <= TARGET_WORST


def summarise(errors: Sequence[PointError | IntervalError | RangeError]) -> ErrorSummary:
    logs = [e.log_error for e in errors]
    return ErrorSummary(
        count=len(logs),
        median=statistics.median(logs),
        worst=max(logs),
        within_2x=sum(1 for x in logs if x <= math.log(2) + 1e-12) / len(logs),
    )


def errors_for(
    points: Iterable[MeasuredPoint], estimate: Callable[[MeasuredPoint], float]
) -> list[PointError]:
    return [PointError(p.id, p.source, p.sessions, estimate(p)) for p in points]


def ttft_errors(points: Iterable[MeasuredPoint], k: ServingConstants) -> list[PointError]:
    """Measured against modelled mean time to first token, on the rows that give one."""
    return [
        PointError(p.id, p.source, float(p.ttft_s or 0.0), predicted_ttft(p, k))
        for p in with_ttft(points)
    ]


# --------------------------------------------------------------------------------------
# What a measurement says about sessions: an interval, not a point
# --------------------------------------------------------------------------------------

# A sweep is one source measuring one system (hardware, model, precisions, request shape) at
# several loads; only rows of one sweep bound each other.
SATURATION_ELASTICITY = 0.5  # -d ln(rate) / d ln(sessions) at or above this: "saturated"


def sweep_key(p: MeasuredPoint) -> tuple:
    """Rows of one sweep. A source that draws prompts from a dataset (no stated prompt length)
    reports each run's mean output length, which wanders from run to run: its output length
    is not part of the key there."""
    w = p.workload
    output = w.output_tokens if p.input_stated else None
    return (
        p.source, p.accelerator.name, p.accelerator_count, p.model.name, p.weight_bits,
        w.input_tokens, output, w.kv_precision_bits, p.method,
    )  # fmt: skip


@dataclass(frozen=True)
class SessionsInterval:
    """What the measurements say about sessions per replica at a row's per-session rate r.

    The row itself ran c sessions at r, so sessions_at_slo(r) >= c; any row of the same sweep
    with more sessions at a rate still >= r raises that floor; the first row above the floor
    whose rate fell below r caps it (sessions_at_slo(r) < c'). A row with no such neighbour
    has no ceiling (`high` is infinite). `elasticity` is the observed -d ln r / d ln c to the
    next row of the sweep (the previous one for the last row); None for a lone row."""

    low: float
    high: float
    elasticity: float | None


def observed_intervals(points: Sequence[MeasuredPoint]) -> dict[str, SessionsInterval]:
    sweeps: dict[tuple, list[MeasuredPoint]] = {}
    for p in points:
        sweeps.setdefault(sweep_key(p), []).append(p)
    out: dict[str, SessionsInterval] = {}
    for rows in sweeps.values():
        rows = sorted(rows, key=lambda q: (q.sessions, -q.per_session_tps))
        for i, p in enumerate(rows):
            r = p.per_session_tps
            low = max(q.sessions for q in rows if q.per_session_tps >= r)
            above = [q.sessions for q in rows if q.sessions > low and q.per_session_tps < r]
            high = min(above) if above else math.inf
            elasticity = None
            if len(rows) > 1:
                a, b = (rows[i], rows[i + 1]) if i + 1 < len(rows) else (rows[i - 1], rows[i])
                if b.sessions > a.sessions:
                    elasticity = -math.log(b.per_session_tps / a.per_session_tps) / math.log(
                        b.sessions / a.sessions
                    )
            out[p.id] = SessionsInterval(low, high, elasticity)
    return out


@dataclass(frozen=True)
class IntervalError:
    """Distance of an estimate from the observed interval, in |ln| (0 inside it)."""

    id: str
    source: str
    low: float
    high: float
    estimated: float

    @property
    def log_error(self) -> float:
        return distance_from_interval(self.low, self.high, self.estimated, self.estimated)


def distance_from_interval(
    low: float, high: float, estimated_low: float, estimated_high: float
) -> float:
    """|ln| distance of the estimates [estimated_low, estimated_high] from the observed
    [low, high]: 0 where they meet, infinite when the estimate is 0 sessions."""
    if estimated_high <= 0:
        return math.inf
    if estimated_high < low:
        return math.log(low / estimated_high)
    if estimated_low > high:
        return math.log(estimated_low / high)
    return 0.0


def interval_errors(
    points: Iterable[MeasuredPoint],
    estimate: Callable[[MeasuredPoint], float],
    intervals: dict[str, SessionsInterval],
) -> list[IntervalError]:
    out = []
    for p in points:
        iv = intervals[p.id]
        out.append(IntervalError(p.id, p.source, iv.low, iv.high, estimate(p)))
    return out


def saturated(points: Iterable[MeasuredPoint], intervals: dict[str, SessionsInterval]):
    """Rows where the measured rate falls clearly with load, so that sessions at the rate are
    well determined by the rate and the plain point comparison is meaningful."""
    return [
        p for p in points
        if (e := intervals[p.id].elasticity) is not None and e >= SATURATION_ELASTICITY
    ]  # fmt: skip


def choose_sessions_weight(
    fitting: Sequence[MeasuredPoint],
    choices: Sequence[float] = SESSIONS_WEIGHT_CHOICES,
    folds: int = 3,
) -> dict[float, float]:
    """Score of each sessions-residual weight by cross-validation inside the fitting rows
    (folds by a different part of the same hash as the split): the mean of the median rate
    and median sessions |ln| errors plus the shares of rows off by more than 2x in each.
    Lower is better; the held-out rows are never touched."""

    def off(xs: list[float]) -> float:
        return sum(x > TARGET_WORST for x in xs) / len(xs)

    scores: dict[float, float] = {}
    for weight in choices:
        rate: list[float] = []
        sessions: list[float] = []
        for fold in range(folds):
            train = [p for p in fitting if (p.digest >> 8) % folds != fold]
            test = [p for p in fitting if (p.digest >> 8) % folds == fold]
            k = fit_constants(train, sessions_weight=weight)
            rate += [e.log_error for e in rate_errors(test, lambda p, k=k: predicted_rate(p, k))]
            sessions += [e.log_error for e in errors_for(test, calibrated_estimator(k))]
        scores[weight] = (
            (statistics.median(rate) + statistics.median(sessions)) / 2
            + off(rate) + off(sessions)
        )  # fmt: skip
    return scores


def calibrated_estimator(k: ServingConstants) -> Callable[[MeasuredPoint], float]:
    return lambda p: predicted_sessions(p, k)


@dataclass(frozen=True)
class RangeError:
    """Distance of an estimate's sessions range from the observed interval, in |ln| (0 where
    they meet)."""

    id: str
    source: str
    low: float
    high: float
    estimated_low: float
    estimated_high: float

    @property
    def log_error(self) -> float:
        return distance_from_interval(
            self.low, self.high, self.estimated_low, self.estimated_high
        )


def range_errors(
    points: Sequence[MeasuredPoint],
    k: ServingConstants,
    intervals: dict[str, SessionsInterval],
) -> list[RangeError]:
    """Each row's observed sessions interval against the range an estimate shows: the model's
    sessions at the row's rate made the row's typical error stricter and looser (as
    `policies` shows `sessions_low` to `sessions_high`)."""
    errors = []
    for p in points:
        factor = 1 + uncertainty(p.accelerator.name, p.model, p.weight_bits).typical_error
        low = predicted_sessions(replace(p, per_session_tps=p.per_session_tps * factor), k)
        high = predicted_sessions(replace(p, per_session_tps=p.per_session_tps / factor), k)
        interval = intervals[p.id]
        errors.append(RangeError(p.id, p.source, interval.low, interval.high, low, high))
    return errors


def held_out_ids(points: Sequence[MeasuredPoint]) -> set[str]:
    """Every third row by hash rank within each accelerator (see the module docstring)."""
    out: set[str] = set()
    for name in {p.accelerator.name for p in points}:
        ranked = sorted((p for p in points if p.accelerator.name == name), key=lambda p: p.digest)
        out.update(
            p.id for rank, p in enumerate(ranked) if rank % HELD_OUT_EVERY == HELD_OUT_EVERY - 1
        )
    return out


def split(points: Sequence[MeasuredPoint]) -> tuple[list[MeasuredPoint], list[MeasuredPoint]]:
    """(fitting rows, held-out rows)."""
    held = held_out_ids(points)
    return [p for p in points if p.id not in held], [p for p in points if p.id in held]


def leave_one_source_out(points: Sequence[MeasuredPoint]) -> list[PointError]:
    """Fit on every source but one, estimate that source's rows; all sources in turn."""
    out: list[PointError] = []
    for source in sorted({p.source for p in points}):
        rest = [p for p in points if p.source != source]
        k = fit_constants(rest)
        out += errors_for((p for p in points if p.source == source), calibrated_estimator(k))
    return out


def cross_validated_errors(
    points: Sequence[MeasuredPoint], folds: int = 5
) -> dict[str, PointError]:
    """Every row's out-of-sample error: five folds by the same hash as the split, so each
    row is estimated by constants fitted without it (the basis of per-estimate uncertainty)."""
    out: dict[str, PointError] = {}
    for fold in range(folds):

        def in_fold(p: MeasuredPoint, f: int = fold) -> bool:
            return p.digest % folds == f

        k = fit_constants([p for p in points if not in_fold(p)])
        for error in errors_for((p for p in points if in_fold(p)), calibrated_estimator(k)):
            out[error.id] = error
    return out


# --------------------------------------------------------------------------------------
# Before: the policies the product used until this calibration
# --------------------------------------------------------------------------------------


def _legacy_shape(point: MeasuredPoint) -> ReplicaShape:
    server = ServerSpec(point.accelerator.name, 1, 1.0, point.accelerator, point.accelerator_count)
    context = point.workload.input_tokens + point.workload.output_tokens
    return replica_shape(
        server, point.model, precision_bits=point.weight_bits, tp_degree=point.accelerator_count,
        context_tokens=context, kv_precision_bits=point.workload.kv_precision_bits,
        weight_overhead=point.weight_overhead,
    )  # fmt: skip


def batched_sessions(point: MeasuredPoint) -> float:
    """The former `batched` roofline (documented defaults), sessions per replica at the rate."""
    shape = _legacy_shape(point)
    by_rate = min(
        shape.bandwidth_limit(point.per_session_tps), shape.compute_limit(point.per_session_tps)
    )
    return float(max(0, min(by_rate, shape.memory_limit(0.10))))


def batched_rate(point: MeasuredPoint) -> float:
    return _legacy_shape(point).tokens_per_second_per_session(point.sessions)


def study_sessions(point: MeasuredPoint) -> float:
    """The seed study's rule: one session per GPU replica; CPUs only from measurements (0)."""
    return 0.0 if point.accelerator.kind == "cpu" else 1.0


# --------------------------------------------------------------------------------------
# The report (manage.py calibrate --report) and the stored calibration
# --------------------------------------------------------------------------------------


def rate_errors(points: Iterable[MeasuredPoint], rate: Callable[[MeasuredPoint], float]):
    return [PointError(p.id, p.source, p.per_session_tps, rate(p)) for p in points]


@dataclass(frozen=True)
class Calibration:
    """Fitted constants and every error table the docs quote."""

    constants: ServingConstants
    fitted_on: int
    held_out: int
    tables: dict[str, dict[str, ErrorSummary]]  # metric -> policy/split -> summary
    cv_rate_errors: dict[str, float]  # row id -> out-of-sample |ln(rate est / obs)|
    by_source: dict[str, dict[str, ErrorSummary]]  # leave-one-source-out, per source
    # The kept-out sources (validation.json) under these constants: per source and in all
    # (metric -> summary), and each of their rows' |ln(rate est / obs)|.
    kept_out: dict[str, dict[str, ErrorSummary]] = field(default_factory=dict)
    kept_out_rate_errors: dict[str, float] = field(default_factory=dict)




def error_tables(
    points: Sequence[MeasuredPoint],
    k: ServingConstants,
    loso: dict[str, ErrorSummary] | None = None,
) -> dict[str, dict[str, ErrorSummary]]:
    """The error tables of the held-out split under constants `k` (fitted on the fitting
    split), beside the policies used before; with `loso` (one summary per table, from
    `calibrate`), each table's leave-one-source-out row in its place."""
    fitting, held = split(points)
    intervals = observed_intervals(points)
    held_sat = saturated(held, intervals)
    calibrated = calibrated_estimator(k)
    rate_k = lambda p: predicted_rate(p, k)  # noqa: E731

    def loso_row(metric: str) -> dict[str, ErrorSummary]:
        return {LOSO: loso[metric]} if loso else {}

    return {
        "rate": {
            "batched, held-out": summarise(rate_errors(held, batched_rate)),
            "batched, all rows": summarise(rate_errors(points, batched_rate)),
            "calibrated, held-out": summarise(rate_errors(held, rate_k)),
            **loso_row("rate"),
            "calibrated, fitting rows (in sample)": summarise(rate_errors(fitting, rate_k)),
        },
        "sessions": {
            "study, held-out": summarise(errors_for(held, study_sessions)),
            "batched, held-out": summarise(errors_for(held, batched_sessions)),
            "calibrated, held-out": summarise(errors_for(held, calibrated)),
            **loso_row("sessions"),
        },
        "sessions, interval": {
            "study, held-out": summarise(interval_errors(held, study_sessions, intervals)),
            "batched, held-out": summarise(interval_errors(held, batched_sessions, intervals)),
            "calibrated, held-out": summarise(interval_errors(held, calibrated, intervals)),
            **loso_row("sessions, interval"),
        },
        "sessions, saturated rows": {
            "batched, held-out": summarise(errors_for(held_sat, batched_sessions)),
            "calibrated, held-out": summarise(errors_for(held_sat, calibrated)),
            **loso_row("sessions, saturated rows"),
        },
        **_ttft_table(fitting, held, k, loso_row),
    }


def _ttft_table(
    fitting: Sequence[MeasuredPoint],
    held: Sequence[MeasuredPoint],
    k: ServingConstants,
    loso_row: Callable[[str], dict[str, ErrorSummary]],
) -> dict[str, dict[str, ErrorSummary]]:
    """The first-token table, where held-out rows give a first-token time: beside the
    calibrated figure, the same model without the fitted overhead (as it stood before)."""
    if not with_ttft(held):
        return {}
    bare = replace(k, first_token_overhead_s=0.0)
    return {
        "ttft": {
            "compute terms only (no fitted overhead), held-out": summarise(
                ttft_errors(held, bare)
            ),
            "calibrated, held-out": summarise(ttft_errors(held, k)),
            **loso_row("ttft"),
            "calibrated, fitting rows (in sample)": summarise(ttft_errors(fitting, k)),
        }
    }


def calibrate(points: Sequence[MeasuredPoint] | None = None) -> Calibration:
    """Fit on the fitting split; error tables on held-out rows and leave-one-source-out."""
    points = list(points) if points is not None else load_points()
    fitting, held = split(points)
    k = fit_constants(fitting)
    # The observed intervals are measurements, not fitted constants: every row's bounds come
    # from its own sweep in the whole dataset.
    intervals = observed_intervals(points)
    loso_rate: list[PointError] = []
    loso_sessions: list[PointError] = []
    loso_interval: list[IntervalError] = []
    loso_ttft: list[PointError] = []
    loso_by_source: dict[str, dict[str, ErrorSummary]] = {}
    for source in sorted({p.source for p in points}):
        kk = fit_constants([p for p in points if p.source != source])
        mine = [p for p in points if p.source == source]
        rates = rate_errors(mine, lambda p, kk=kk: predicted_rate(p, kk))
        points_err = errors_for(mine, calibrated_estimator(kk))
        inside = interval_errors(mine, calibrated_estimator(kk), intervals)
        loso_rate += rates
        loso_sessions += points_err
        loso_interval += inside
        loso_by_source[source] = {
            "rate": summarise(rates), "sessions": summarise(points_err),
            "sessions, interval": summarise(inside),
        }  # fmt: skip
        if first_tokens := ttft_errors(mine, kk):
            loso_ttft += first_tokens
            loso_by_source[source]["ttft"] = summarise(first_tokens)
    loso_sat = {p.id for p in saturated(points, intervals)}
    loso = {
        "rate": summarise(loso_rate),
        "sessions": summarise(loso_sessions),
        "sessions, interval": summarise(loso_interval),
        "sessions, saturated rows": summarise([e for e in loso_sessions if e.id in loso_sat]),
    }
    if loso_ttft:
        loso["ttft"] = summarise(loso_ttft)
    tables = error_tables(points, k, loso)
    cv: dict[str, float] = {}
    folds = 5
    for fold in range(folds):
        kk = fit_constants([p for p in points if p.digest % folds != fold])
        for p in points:
            if p.digest % folds == fold:
                cv[p.id] = abs(math.log(predicted_rate(p, kk) / p.per_session_tps))
    kept_out, kept_out_rates = kept_out_errors(k)
    return Calibration(
        k, len(fitting), len(held), tables, cv, loso_by_source, kept_out, kept_out_rates
    )


ALL_KEPT_OUT = "all kept-out sources"


def kept_out_errors(
    k: ServingConstants, points: Sequence[MeasuredPoint] | None = None
) -> tuple[dict[str, dict[str, ErrorSummary]], dict[str, float]]:
    """The kept-out sources' rows (never fitted on) against the model at `k`: rate, sessions at
    the point, sessions against each row's interval (from the kept-out sweeps themselves) and,
    where a source gives it, the first-token time, per source and in all; and each row's
    |ln(rate est / obs)| for the uncertainty pools."""
    points = list(points) if points is not None else list(load_validation_points())
    if not points:
        return {}, {}
    intervals = observed_intervals(points)
    estimator = calibrated_estimator(k)
    # Each row's errors once; the tables summarise them by source and in all.
    errors = {
        "rate": rate_errors(points, lambda p: predicted_rate(p, k)),
        "sessions": errors_for(points, estimator),
        "sessions, interval": interval_errors(points, estimator, intervals),
        "ttft": ttft_errors(points, k),
    }

    def tables(keep: Callable[[str], bool]) -> dict[str, ErrorSummary]:
        chosen = {metric: [e for e in rows if keep(e.source)] for metric, rows in errors.items()}
        return {metric: summarise(rows) for metric, rows in chosen.items() if rows}

    out = {ALL_KEPT_OUT: tables(lambda source: True)}
    for name in sorted({p.source for p in points}):
        out[name] = tables(lambda source, name=name: source == name)
    return out, {e.id: e.log_error for e in errors["rate"]}


def calibration_to_json(c: Calibration) -> dict:
    return {
        "about": "Generated by `manage.py calibrate --report` (planner.capacity.evidence."
        "calibrate): constants fitted on the fitting split of measurements.json, and each "
        "row's five-fold out-of-sample error of the per-session rate (for uncertainty); the "
        "kept-out sources of validation.json (never fitted on) under those constants.",
        "constants": {k: float(f"{v:.6g}") for k, v in c.constants.as_dict().items()},
        "fitted_on": c.fitted_on,
        "held_out": c.held_out,
        "cv_rate_log_errors": {k: round(v, 4) for k, v in sorted(c.cv_rate_errors.items())},
        # The error tables as computed with these constants: the doc is rendered from them, so
        # it quotes the stored fit and not whatever a refit on another machine lands on (the
        # fit's landscape is flat: platforms' last-bit differences move it, docs/capacity.md).
        "tables": {
            metric: {split: _summary_to_json(s) for split, s in table.items()}
            for metric, table in c.tables.items()
        },
        "by_source": {
            source: {metric: _summary_to_json(s) for metric, s in table.items()}
            for source, table in c.by_source.items()
        },
        # validation.json's sources, never fitted on: their errors under these constants.
        "kept_out": {
            source: {metric: _summary_to_json(s) for metric, s in table.items()}
            for source, table in c.kept_out.items()
        },
        "validation_rate_log_errors": {
            k: round(v, 4) for k, v in sorted(c.kept_out_rate_errors.items())
        },
    }


def _summary_to_json(s: ErrorSummary) -> dict:
    # JSON has no infinity: an estimate of 0 sessions (error without bound) is stored as null.
    def finite(x: float) -> float | None:
        return None if math.isinf(x) else x

    return {
        "count": s.count,
        "median": finite(s.median),
        "worst": finite(s.worst),
        "within_2x": s.within_2x,
    }


def _summary_from_json(d: dict) -> ErrorSummary:
    def value(x: float | None) -> float:
        return math.inf if x is None else x

    return ErrorSummary(d["count"], value(d["median"]), value(d["worst"]), d["within_2x"])


def calibration_from_json(data: dict) -> Calibration:
    """The stored calibration as `calibrate` returned it (constants rounded as stored)."""
    return Calibration(
        constants=ServingConstants(**data["constants"]),
        fitted_on=data["fitted_on"],
        held_out=data["held_out"],
        tables={
            metric: {split: _summary_from_json(s) for split, s in table.items()}
            for metric, table in data["tables"].items()
        },
        cv_rate_errors=dict(data["cv_rate_log_errors"]),
        by_source={
            source: {metric: _summary_from_json(s) for metric, s in table.items()}
            for source, table in data["by_source"].items()
        },
        kept_out={
            source: {metric: _summary_from_json(s) for metric, s in table.items()}
            for source, table in data.get("kept_out", {}).items()
        },
        kept_out_rate_errors=dict(data.get("validation_rate_log_errors", {})),
    )
