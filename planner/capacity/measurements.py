"""Published serving measurements and the stored calibration, read back: the measured points,
the constants `manage.py calibrate` fitted and stored, and the typical error attached to an
estimate.

Reading only, no fitting: the capacity estimator (`policies`) needs these at every start of a
command, a worker or the web, while the fitting (`evidence`, `calibration`) needs
scipy.optimize, which costs ~0.5 s to import. The dataset is
`planner/capacity/data/measurements.json` (every row cites its source and quotes the figures
read there); hardware and model shapes come from the seed catalog
(`inventory/data/seed_catalog.json`) and, for models the catalog does not have yet, from the
dataset's own `models` section.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from planner.capacity.serving import Replica, ServingConstants
from planner.capacity.specs import AcceleratorSpec, ModelSpec, accelerator_family
from planner.capacity.workload import WORKLOAD_DEFAULTS, Workload

DATA_DIR = Path(__file__).resolve().parent / "data"
MEASUREMENTS_PATH = DATA_DIR / "measurements.json"
# Sources kept out of the fit: found after the model and its constants were settled, used
# only to test them (docs/capacity.md, "Sources kept out of the fit").
VALIDATION_PATH = DATA_DIR / "validation.json"
CALIBRATION_PATH = DATA_DIR / "calibration.json"
CATALOG_PATH = Path(__file__).resolve().parents[2] / "inventory" / "data" / "seed_catalog.json"


@dataclass(frozen=True)
class MeasuredPoint:
    """One published measurement: `sessions` running per replica at `per_session_tps` each."""

    id: str
    source: str
    method: str  # "static" (fixed batch) or "continuous" (serving at a concurrency)
    accelerator: AcceleratorSpec
    accelerator_count: int
    model: ModelSpec
    weight_bits: float
    weight_overhead: float
    workload: Workload
    sessions: float
    per_session_tps: float
    max_num_seqs: int | None
    input_stated: bool
    output_stated: bool
    attention_data_parallel: bool = False  # the source states data-parallel attention
    ttft_s: float | None = None  # measured mean time to first token, where the source gives it

    @property
    def replica(self) -> Replica:
        return Replica(
            self.accelerator, self.model, self.accelerator_count, self.weight_bits,
            self.weight_overhead, self.attention_data_parallel,
        )  # fmt: skip

    @property
    def digest(self) -> int:
        return int(hashlib.sha256(self.id.encode()).hexdigest(), 16)

    @property
    def family(self) -> str:
        return accelerator_family(self.accelerator.name)

    @property
    def size_class(self) -> str:
        return size_class(self.model)


@lru_cache(maxsize=1024)
def size_class(model: ModelSpec) -> str:
    """Size class by the parameters a token multiplies through (active ones for MoE)."""
    active = model.compute_parameters_b
    if active < 10:
        return "small (< 10 B active)"
    if active < 50:
        return "medium (10-50 B active)"
    if active < 200:
        return "large (50-200 B active)"
    return "very large (>= 200 B active)"


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _raw(path: Path = MEASUREMENTS_PATH) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _catalog(path: Path = CATALOG_PATH) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def catalog_rows() -> dict:
    """The seed catalog's rows (accelerators, servers, models, the study, measured profiles)."""
    return _catalog()


def sources() -> dict[str, dict]:
    """Every cited source: the dataset's and the kept-out validation sources' (ids disjoint)."""
    return {**_raw(VALIDATION_PATH)["sources"], **_raw()["sources"]}


def model_specs() -> dict[str, ModelSpec]:
    """Catalog models, completed by the dataset's own rows for models the catalog lacks."""
    specs = {m["name"]: ModelSpec.from_mapping(m) for m in _raw().get("models", [])}
    specs.update({m["name"]: ModelSpec.from_mapping(m) for m in _catalog()["model_classes"]})
    return specs


def accelerator_specs() -> dict[str, AcceleratorSpec]:
    specs = {a["name"]: AcceleratorSpec.from_mapping(a) for a in _raw().get("accelerators", [])}
    specs.update({a["name"]: AcceleratorSpec.from_mapping(a) for a in _catalog()["accelerators"]})
    # The dataset measures hardware and software together: a catalog row's own calibrated
    # efficiencies must not leak into the fit.
    return {
        name: replace(spec, bandwidth_efficiency=None, compute_efficiency=None)
        for name, spec in specs.items()
    }


# Prompt length assumed when a source does not state it (LM Arena chat prompts); the rows
# say so (`input_stated`), and the uncertainty of those rows includes this guess.
UNSTATED_INPUT_TOKENS = 256


@lru_cache(maxsize=1)
def load_points() -> tuple[MeasuredPoint, ...]:
    """Every measurement of the dataset as a `MeasuredPoint` (read once; immutable)."""
    return _points(_raw())


@lru_cache(maxsize=1)
def load_validation_points() -> tuple[MeasuredPoint, ...]:
    """The kept-out sources' measurements: never fitted on, only compared with."""
    return _points(_raw(VALIDATION_PATH))


def _points(raw: dict) -> tuple[MeasuredPoint, ...]:
    methods = {key: value["method"] for key, value in raw["sources"].items()}
    # A source names its engine when it is not the default (Python-scheduled) kind.
    stacks = {
        key: value.get("serving_stack", WORKLOAD_DEFAULTS.serving_stack)
        for key, value in raw["sources"].items()
    }
    models, accelerators = model_specs(), accelerator_specs()
    points = []
    for row in raw["measurements"]:
        inputs = row.get("input_tokens")
        outputs = row.get("output_tokens")
        workload = Workload(
            input_tokens=int(inputs if inputs is not None else UNSTATED_INPUT_TOKENS),
            output_tokens=int(outputs if outputs is not None else WORKLOAD_DEFAULTS.output_tokens),
            slo_tps=float(row["per_session_tps"]),
            kv_precision_bits=int(row.get("kv_bits") or WORKLOAD_DEFAULTS.kv_precision_bits),
            serving_stack=stacks[row["source"]],
        )
        points.append(
            MeasuredPoint(
                id=row["id"],
                source=row["source"],
                method=methods[row["source"]],
                accelerator=accelerators[row["accelerator"]],
                accelerator_count=int(row["tp_degree"]),
                model=models[row["model"]],
                weight_bits=float(row["weight_bits"]),
                weight_overhead=float(row.get("weight_overhead") or 0.0),
                workload=workload,
                sessions=float(row["concurrency"]),
                per_session_tps=float(row["per_session_tps"]),
                max_num_seqs=row.get("max_num_seqs"),
                input_stated=inputs is not None,
                output_stated=outputs is not None,
                attention_data_parallel=bool(row.get("attention_dp", False)),
                ttft_s=float(row["ttft_s"]) if row.get("ttft_s") else None,
            )
        )
    return tuple(points)


@lru_cache(maxsize=1)
def stored_calibration() -> dict:
    """The stored calibration (constants and residuals) the calibrated policy uses."""
    return json.loads(CALIBRATION_PATH.read_text(encoding="utf-8"))


def calibrated_constants() -> ServingConstants:
    return ServingConstants(**stored_calibration()["constants"])


# The error tables' row of estimates made by constants fitted without the row's source.
LOSO = "calibrated, leave-one-source-out"


def first_token_typical_error() -> float | None:
    """Typical error of a modelled time to first token: exp(median |ln error|) - 1 over the
    dataset's rows that give one, each estimated by constants fitted without its source
    (None when the stored calibration has no first-token table)."""
    row = stored_calibration()["tables"].get("ttft", {}).get(LOSO)
    return None if row is None else math.exp(row["median"]) - 1


@dataclass(frozen=True)
class Uncertainty:
    """Typical error of an estimate and the measurements that support it."""

    typical_error: float  # fraction: exp(median out-of-sample |ln error|) - 1
    basis: str  # which rows the typical error pools
    nearest: tuple[str, ...]  # short descriptions of the closest measurements


def _describe(p: MeasuredPoint) -> str:
    return (
        f"{p.id}: {p.sessions:g} sessions at {p.per_session_tps:.1f} tok/s on "
        f"{p.accelerator_count} x {p.accelerator.name}, {p.model.name} "
        f"{p.weight_bits:g}-bit ({sources()[p.source]['url']})"
    )


#: A GPU whose compute-to-bandwidth ratio lies beyond the measured GPUs' range by more than
#: this factor either way is an extrapolation: the small-batch and prefill terms, fitted where
#: FLOPS and bandwidth come in the proportions measured, may not carry over (e.g. an H20, with
#: a tenth of an H100's 8-bit FLOPS per byte).
EXTRAPOLATION_FACTOR = 1.5


def flop_per_byte(accelerator: AcceleratorSpec) -> float:
    """Dense 8-bit FLOP per byte of memory bandwidth: where decode turns compute-bound."""
    return accelerator.tflops_8 * 1e3 / accelerator.memory_bandwidth_gbps


@lru_cache(maxsize=1)
def measured_gpu_flop_per_byte() -> tuple[float, float]:
    """The lowest and highest `flop_per_byte` of the GPUs the measurements ran on."""
    ratios = [flop_per_byte(p.accelerator) for p in load_points() + load_validation_points()
              if p.accelerator.kind == "gpu"]
    return min(ratios), max(ratios)


def extrapolation(accelerator: AcceleratorSpec) -> str:
    """Why an estimate for this GPU is an extrapolation, or "" where it is not."""
    if accelerator.kind != "gpu" or accelerator.memory_bandwidth_gbps <= 0:
        return ""
    low, high = measured_gpu_flop_per_byte()
    ratio = flop_per_byte(accelerator)
    if low / EXTRAPOLATION_FACTOR <= ratio <= high * EXTRAPOLATION_FACTOR:
        return ""
    return (f"extrapolated: {accelerator.name} has {ratio:,.0f} FLOP per byte at 8-bit, outside "
            f"the {low:,.0f}-{high:,.0f} of the GPUs measured")


def floor_peak_scale(accelerator: AcceleratorSpec) -> float:
    """For a GPU far below the measured FLOPS-per-byte band (`extrapolation`), the factor that
    charges the small-GEMM floor as if the GPU had the band's lowest ratio: the other reading
    of an extrapolation, which the estimate's range shows beside the fitted one. 1 elsewhere."""
    if not extrapolation(accelerator):
        return 1.0
    low, _ = measured_gpu_flop_per_byte()
    return max(1.0, low / flop_per_byte(accelerator))


def source_balanced_median(points: Sequence[MeasuredPoint], errors: dict[str, float]) -> float:
    """Median of the points' errors with every source weighing the same: each row weighs
    1 / (its source's rows among them), so one source of hundreds of rows from one harness and
    software release does not set the typical error of every estimate near it alone."""
    per_source = Counter(p.source for p in points)
    weighted = sorted((errors[p.id], 1.0 / per_source[p.source]) for p in points)
    half = sum(w for _, w in weighted) / 2
    seen = 0.0
    for i, (error, weight) in enumerate(weighted):
        seen += weight
        if math.isclose(seen, half):
            return (error + weighted[i + 1][0]) / 2 if i + 1 < len(weighted) else error
        if seen > half:
            return error
    return weighted[-1][0]


@dataclass(frozen=True)
class _Evidence:
    """The out-of-sample evidence, indexed once: the dataset's rows (each with its five-fold
    error) and the kept-out rows (each with its error under the stored constants). The
    capacity page asks for thousands of estimates, each weighing every point; the points
    share a few hundred (accelerator, model size, weight bits, MoE) kinds, so distances are
    worked out per kind."""

    points: tuple[MeasuredPoint, ...]
    families: tuple[str, ...]
    kinds: tuple[tuple[str, str, float, float, bool], ...]
    kind_of: tuple[int, ...]  # index into `kinds`, per point


@lru_cache(maxsize=1)
def _evidence() -> _Evidence:
    points = load_points() + load_validation_points()
    kinds: dict[tuple[str, str, float, float, bool], int] = {}
    kind_of = tuple(
        kinds.setdefault(
            (p.accelerator.name, p.family, p.model.compute_parameters_b, p.weight_bits,
             p.model.is_moe),
            len(kinds),
        )  # fmt: skip
        for p in points
    )
    return _Evidence(points, tuple(p.family for p in points), tuple(kinds), kind_of)


@lru_cache(maxsize=256)
def _pooled(
    family: str, klass: str, extrapolated: bool
) -> tuple[str, tuple[MeasuredPoint, ...], float]:
    """(basis, rows, typical error) of the first tier with at least three rows that have an
    error: same family and size class; same family; same kind (GPU / CPU); all rows. An
    extrapolated accelerator starts at its kind: its family's rows say nothing about a part
    unlike any measured one."""
    errors = _out_of_sample_errors()
    is_cpu = family == "cpu"
    tiers = (
        (f"{family}, {klass}", lambda p: p.family == family and p.size_class == klass),
        (family, lambda p: p.family == family),
        (f"all {'CPU' if is_cpu else 'GPU'} rows",
         lambda p: (p.accelerator.kind == "cpu") == is_cpu),
        ("all rows", lambda p: True),
    )  # fmt: skip
    for basis, keep in tiers[2:] if extrapolated else tiers:  # noqa: B007 (names the basis)
        pooled = tuple(p for p in _evidence().points if keep(p) and p.id in errors)
        if len(pooled) >= 3:
            break
    return basis, pooled, math.exp(source_balanced_median(pooled, errors)) - 1


@lru_cache(maxsize=1)
def _out_of_sample_errors() -> dict[str, float]:
    """Each dataset row's five-fold error and each kept-out row's error under the stored
    constants (those rows never entered a fit), by row id."""
    stored = stored_calibration()
    return {**stored["cv_rate_log_errors"], **stored.get("validation_rate_log_errors", {})}


@lru_cache(maxsize=4096)
def uncertainty(
    accelerator_name: str, model: ModelSpec, weight_bits: float, extrapolated: str = ""
) -> Uncertainty:
    """Pools the stored out-of-sample errors of similar rows (`_pooled`) and names the three
    measurements nearest the estimate. An `extrapolated` accelerator (`extrapolation`) pools
    with its kind at best, and says why."""
    evidence = _evidence()
    family = accelerator_family(accelerator_name)
    basis, pooled, typical = _pooled(family, size_class(model), bool(extrapolated))

    def distance(kind: tuple[str, str, float, float, bool]) -> float:
        name, kind_family, parameters_b, bits, is_moe = kind
        return (
            (0.0 if name == accelerator_name else 1.0)
            + (0.0 if kind_family == family else 2.0)
            + abs(math.log(parameters_b / model.compute_parameters_b))
            + abs(math.log(bits / weight_bits)) * 0.5
            + (0.0 if is_moe == model.is_moe else 1.0)
        )

    by_kind = [distance(kind) for kind in evidence.kinds]
    by_point = [by_kind[kind] for kind in evidence.kind_of]
    # nsmallest over indices keeps sorted()'s order among equal distances: the earlier row.
    closest = heapq.nsmallest(3, range(len(by_point)), key=by_point.__getitem__)
    nearest = tuple(_describe(evidence.points[i]) for i in closest)
    sources_pooled = len({p.source for p in pooled})
    sources_word = "source" if sources_pooled == 1 else "sources"
    said = [f"{basis} ({len(pooled)} rows from {sources_pooled} {sources_word}, out of sample)"]
    if family not in evidence.families:
        said.append(f"no measurement of {family} accelerators yet")
    if extrapolated:
        said.append(extrapolated)
    return Uncertainty(typical, "; ".join(said), nearest)
