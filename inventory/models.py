"""Catalog of hardware and LLM model classes.

Every figure carries its unit in its name. Validation lives in `clean()` (admin, forms, API
serializers call it) and in database check constraints, so bad rows are refused everywhere.
"""
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

POSITIVE = [MinValueValidator(0.000001, "Must be greater than zero.")]
POSITIVE_INT = [MinValueValidator(1, "Must be at least 1.")]
NON_NEGATIVE = [MinValueValidator(0, "Must not be negative.")]


class Accelerator(models.Model):
    """A GPU or a CPU that runs inference."""

    class Kind(models.TextChoices):
        GPU = "gpu", "GPU"
        CPU = "cpu", "CPU"

    name = models.CharField(max_length=100, unique=True)
    vendor = models.CharField(max_length=100)
    kind = models.CharField(max_length=3, choices=Kind.choices)
    memory_gb = models.FloatField(validators=POSITIVE, help_text="Memory per device, GB.")
    memory_bandwidth_gbps = models.FloatField(
        validators=POSITIVE, help_text="Peak memory bandwidth, GB/s."
    )
    tflops_16 = models.FloatField(validators=POSITIVE, help_text="Dense FP16/BF16 TFLOPS.")
    tflops_8 = models.FloatField(validators=POSITIVE, help_text="Dense FP8/INT8 TFLOPS.")
    tdp_w = models.FloatField(validators=POSITIVE, help_text="Thermal design power, W.")
    mig_max_instances = models.PositiveSmallIntegerField(
        default=0, help_text="Most MIG instances per device (0 = no MIG)."
    )
    mig_slice_memory_gb = models.FloatField(
        null=True,
        blank=True,
        validators=POSITIVE,
        help_text="Memory of the smallest MIG slice, GB. Empty: memory / instances "
        "(the seed study's assumption).",
    )
    interconnect_gbps = models.FloatField(
        null=True,
        blank=True,
        validators=POSITIVE,
        help_text="Accelerator-to-accelerator link per direction, GB/s (NVLink, Infinity "
        "Fabric). Empty: PCIe Gen5 x16, about 64 GB/s.",
    )
    # CPUs: when cores/clock/vector width and channels/MT/s are given, the estimator derives
    # peak compute and bandwidth from them instead of the TFLOPS and GB/s fields.
    cores = models.PositiveIntegerField(null=True, blank=True, validators=POSITIVE_INT)
    clock_ghz = models.FloatField(null=True, blank=True, validators=POSITIVE)
    vector_flops_per_cycle = models.FloatField(
        null=True, blank=True, validators=POSITIVE, help_text="16-bit FLOP per core per cycle."
    )
    memory_channels = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=POSITIVE_INT
    )
    memory_mts = models.FloatField(
        null=True, blank=True, validators=POSITIVE, help_text="Memory transfer rate, MT/s."
    )
    # Written by `manage.py calibrate`; empty means the estimator's documented defaults.
    bandwidth_efficiency = models.FloatField(
        null=True,
        blank=True,
        validators=[
            MinValueValidator(0.0001, "Must be greater than zero."),
            MaxValueValidator(1.0, "Must be at most 1."),
        ],
        help_text="Calibrated fraction of peak bandwidth reached in decode (0, 1].",
    )
    compute_efficiency = models.FloatField(
        null=True,
        blank=True,
        validators=[
            MinValueValidator(0.0001, "Must be greater than zero."),
            MaxValueValidator(1.0, "Must be at most 1."),
        ],
        help_text="Calibrated fraction of peak compute reached in decode (0, 1].",
    )
    calibration_note = models.TextField(
        blank=True, help_text="What the calibration was fitted on, written by `calibrate`."
    )
    source = models.TextField(blank=True, help_text="Where the figures come from.")

    class Meta:
        ordering = ["vendor", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(memory_gb__gt=0)
                & models.Q(memory_bandwidth_gbps__gt=0)
                & models.Q(tdp_w__gt=0),
                name="accelerator_positive_figures",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ServerModel(models.Model):
    """A server SKU: a chassis with a number of one accelerator."""

    name = models.CharField(max_length=100, unique=True)
    vendor = models.CharField(max_length=100)
    u_height = models.PositiveSmallIntegerField(validators=POSITIVE_INT, help_text="Rack units.")
    power_w = models.FloatField(validators=POSITIVE, help_text="Power under load, W.")
    accelerator = models.ForeignKey(
        Accelerator, on_delete=models.PROTECT, related_name="server_models"
    )
    accelerator_count = models.PositiveSmallIntegerField(validators=POSITIVE_INT)
    price_usd = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=NON_NEGATIVE
    )
    notes = models.TextField(blank=True, help_text="Assumptions and sources.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(u_height__gt=0)
                & models.Q(power_w__gt=0)
                & models.Q(accelerator_count__gt=0),
                name="server_positive_figures",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RackType(models.Model):
    """A rack: its height and power budget, less what networking, management and PDU take."""

    name = models.CharField(max_length=100, unique=True)
    u_height = models.PositiveSmallIntegerField(validators=POSITIVE_INT)
    budget_kw = models.FloatField(validators=POSITIVE, help_text="Power budget, kW.")
    reserved_u = models.PositiveSmallIntegerField(default=0)
    reserved_kw = models.FloatField(default=0.0, validators=NON_NEGATIVE)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reserved_u__lt=models.F("u_height")),
                name="rack_reserved_u_below_height",
            ),
            models.CheckConstraint(
                condition=models.Q(reserved_kw__lt=models.F("budget_kw"))
                & models.Q(reserved_kw__gte=0),
                name="rack_reserved_kw_below_budget",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.u_height is not None and self.reserved_u is not None:
            if self.reserved_u >= self.u_height:
                errors["reserved_u"] = (
                    f"Reserved U ({self.reserved_u}) must be below the rack's height "
                    f"({self.u_height}U)."
                )
        if self.budget_kw is not None and self.reserved_kw is not None:
            if self.reserved_kw >= self.budget_kw:
                errors["reserved_kw"] = (
                    f"Reserved kW ({self.reserved_kw}) must be below the rack's budget "
                    f"({self.budget_kw} kW)."
                )
        if errors:
            raise ValidationError(errors)

    @property
    def usable_u(self) -> int:
        return self.u_height - self.reserved_u

    @property
    def usable_kw(self) -> float:
        return self.budget_kw - self.reserved_kw


class ModelClass(models.Model):
    """An LLM and its architecture, as needed to size weights and KV cache."""

    class SizeClass(models.IntegerChoices):
        # The seed study's classes: 0 and 1 are the small models it puts on CPUs, 2 and 3 the
        # large ones it leaves to accelerators.
        CLASS_0 = 0, "Class 0"
        CLASS_1 = 1, "Class 1"
        CLASS_2 = 2, "Class 2"
        CLASS_3 = 3, "Class 3"

    name = models.CharField(max_length=100, unique=True)
    parameters_b = models.FloatField(validators=POSITIVE, help_text="Parameters, billions.")
    size_class = models.PositiveSmallIntegerField(choices=SizeClass.choices)
    layers = models.PositiveSmallIntegerField(validators=POSITIVE_INT)
    hidden_size = models.PositiveIntegerField(validators=POSITIVE_INT)
    attention_heads = models.PositiveSmallIntegerField(validators=POSITIVE_INT)
    kv_heads = models.PositiveSmallIntegerField(validators=POSITIVE_INT)
    head_dim = models.PositiveSmallIntegerField(validators=POSITIVE_INT)
    default_precision_bits = models.PositiveSmallIntegerField(default=8)
    source = models.TextField(blank=True)

    class Meta:
        ordering = ["parameters_b"]
        verbose_name = "model class"
        verbose_name_plural = "model classes"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kv_heads and self.attention_heads and self.kv_heads > self.attention_heads:
            raise ValidationError(
                {"kv_heads": "KV heads cannot exceed attention heads (GQA groups heads)."}
            )


class PerformanceProfile(models.Model):
    """Concurrent sessions a server sustains for a model at a token rate, with its source."""

    class Basis(models.TextChoices):
        MEASURED = "measured", "Measured"
        DERIVED = "derived", "Derived (rule or estimate)"

    server_model = models.ForeignKey(
        ServerModel, on_delete=models.CASCADE, related_name="performance_profiles"
    )
    model_class = models.ForeignKey(
        ModelClass, on_delete=models.CASCADE, related_name="performance_profiles"
    )
    precision_bits = models.PositiveSmallIntegerField(default=8)
    sessions_at_slo = models.PositiveIntegerField(
        help_text="Concurrent sessions at or above the SLO (0 = cannot serve)."
    )
    slo_tps = models.FloatField(
        default=10.0, validators=POSITIVE, help_text="Tokens per second per session."
    )
    basis = models.CharField(max_length=10, choices=Basis.choices)
    source = models.TextField(help_text="Citation text or URL.")
    # How a measurement ran, for calibration (empty: unknown, the estimator's defaults).
    tp_degree = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=POSITIVE_INT,
        help_text="Accelerators per replica (tensor parallel) in the measurement.",
    )
    context_tokens = models.PositiveIntegerField(
        null=True, blank=True, validators=POSITIVE_INT,
        help_text="Average KV-cache length per session during decode in the measurement "
        "(input + output / 2).",
    )
    kv_precision_bits = models.PositiveSmallIntegerField(null=True, blank=True)
    weight_overhead = models.FloatField(
        null=True, blank=True, validators=NON_NEGATIVE,
        help_text="Block-quantisation overhead of the weights (GGUF Q8_0: 0.0625).",
    )

    class Meta:
        ordering = ["server_model", "model_class", "precision_bits", "slo_tps"]
        constraints = [
            models.UniqueConstraint(
                fields=["server_model", "model_class", "precision_bits", "slo_tps"],
                name="profile_unique_per_server_model_precision_slo",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.server_model} × {self.model_class} @ {self.precision_bits}-bit: "
            f"{self.sessions_at_slo} sessions ≥ {self.slo_tps:g} tok/s"
        )
