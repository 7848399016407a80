"""Catalog of hardware and LLM model classes.

Every figure carries its unit in its name. Validation lives in `clean()` (admin, forms, API
serializers call it) and in database check constraints, so bad rows are refused everywhere.
"""
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

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
    tflops_4 = models.FloatField(
        null=True, blank=True, validators=POSITIVE,
        help_text="Dense FP4 TFLOPS (Blackwell NVFP4/MXFP4, MI355X MXFP4). Empty: the hardware "
        "has no FP4 math (4-bit weights are then dequantised and run at 8 or 16 bits).",
    )
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
    matrix_flops_per_cycle = models.FloatField(
        null=True, blank=True, validators=POSITIVE,
        help_text="16-bit FLOP per core per cycle of a CPU matrix unit (Intel AMX, Arm SME). "
        "Empty: no matrix unit, the vector units do the math.",
    )
    vector_unit = models.CharField(
        max_length=100, blank=True,
        help_text="CPU vector unit, e.g. 'AVX-512, 2 FMA' or 'SVE2 4x128-bit'.",
    )
    matrix_unit = models.CharField(
        max_length=100, blank=True, help_text="CPU matrix unit, e.g. 'AMX-BF16/INT8'. Empty: none."
    )
    memory_channels = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=POSITIVE_INT, help_text="DRAM channels per socket."
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

    # Who changed which figure, when, from what (config/history.py reads it).
    history = HistoricalRecords()

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


class Cooling(models.TextChoices):
    AIR = "air", "Air"
    LIQUID = "liquid", "Liquid (direct to chip)"


class ServerModel(models.Model):
    """A server SKU: a chassis with a number of one accelerator.

    A rack-scale system (GB200 NVL72) is one row: the whole rack as one "server" of 72 GPUs on
    one NVLink domain, which needs a rack type tall, strong and cooled enough to hold it.
    """

    name = models.CharField(max_length=100, unique=True)
    vendor = models.CharField(max_length=100)
    u_height = models.PositiveSmallIntegerField(validators=POSITIVE_INT, help_text="Rack units.")
    power_w = models.FloatField(
        validators=POSITIVE,
        help_text="Nameplate / maximum power under load, W (what the study and the solver "
        "plan on by default).",
    )
    typical_power_w = models.FloatField(
        null=True, blank=True, validators=POSITIVE,
        help_text="Typical draw while serving inference, W, where a source publishes one "
        "(cited in notes). Empty: unknown, plan on power_w.",
    )
    weight_kg = models.FloatField(
        null=True, blank=True, validators=NON_NEGATIVE, help_text="Weight of one unit, kg."
    )
    cooling = models.CharField(
        max_length=6, choices=Cooling.choices, default=Cooling.AIR,
        help_text="How the server is cooled: liquid servers need a liquid-cooled rack type.",
    )
    accelerator = models.ForeignKey(
        Accelerator, on_delete=models.PROTECT, related_name="server_models"
    )
    accelerator_count = models.PositiveSmallIntegerField(validators=POSITIVE_INT)
    price_usd = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=NON_NEGATIVE,
        help_text="Price of one unit, US dollars. Empty: unknown.",
    )
    price_source = models.TextField(
        blank=True, help_text="Where the price comes from (URL, quote) or, for an estimate, "
        "its basis.",
    )
    price_date = models.DateField(null=True, blank=True, help_text="When the price was quoted.")
    price_is_estimate = models.BooleanField(
        default=False, help_text="The price is an estimate (basis in price_source), not a "
        "published list or street price.",
    )
    notes = models.TextField(
        blank=True, help_text="Assumptions and the sources of every figure but the price."
    )

    # Who changed which figure, when, from what (config/history.py reads it).
    history = HistoricalRecords()

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

    def planning_power_w(self, basis: str = "nameplate", headroom_pct: float = 0.0) -> tuple[
        float, str
    ]:
        """Watts to plan this server on, and a label saying which figure that is.

        `basis` "nameplate" plans on `power_w`; "typical" on the typical inference draw plus
        `headroom_pct`, never above nameplate, and on nameplate where no typical figure exists.
        """
        if basis == "typical" and self.typical_power_w is not None:
            planned = min(self.typical_power_w * (1 + headroom_pct / 100), self.power_w)
            capped = " (capped at nameplate)" if planned == self.power_w else ""
            return planned, f"typical + {headroom_pct:g} %{capped}"
        if basis == "typical":
            return self.power_w, "nameplate (no typical figure)"
        return self.power_w, "nameplate"

    def clean(self) -> None:
        errors = {}
        if self.price_usd is None and (self.price_is_estimate or self.price_date):
            errors["price_usd"] = "A price date or estimate flag needs a price."
        if self.price_usd is not None and not self.price_source.strip():
            errors["price_source"] = (
                "Say where the price comes from (or, for an estimate, its basis)."
            )
        if errors:
            raise ValidationError(errors)


class RackType(models.Model):
    """A rack: its height and power budget, less what networking, management and PDU take.

    The power, feed, cooling and weight figures mean what problem format v1 says of its
    `rack_types[]` (docs/problem-format.md): usable power is
    budget_kw x (1/2 under 2N) x derating_pct / 100 - reserved_kw.
    """

    class Feeds(models.TextChoices):
        N = "N", "N (one feed)"
        TWO_N = "2N", "2N (A/B feeds, the load fits on one)"

    class RackCooling(models.TextChoices):
        AIR = "air", "Air"
        REAR_DOOR = "rear-door", "Rear-door heat exchanger"
        DIRECT_LIQUID = "direct-liquid", "Direct liquid (to chip)"

    name = models.CharField(max_length=100, unique=True)
    u_height = models.PositiveSmallIntegerField(validators=POSITIVE_INT)
    budget_kw = models.FloatField(
        validators=POSITIVE, help_text="Provisioned power, kW, summed over the rack's feeds."
    )
    reserved_u = models.PositiveSmallIntegerField(default=0)
    reserved_kw = models.FloatField(default=0.0, validators=NON_NEGATIVE)
    feeds = models.CharField(max_length=2, choices=Feeds.choices, default=Feeds.N)
    derating_pct = models.FloatField(
        default=100.0,
        validators=[
            MinValueValidator(0.0001, "Must be greater than zero."),
            MaxValueValidator(100.0, "Must be at most 100."),
        ],
        help_text="Share of the feed capacity that may be loaded, % (80 = the breaker rule).",
    )
    cooling = models.CharField(
        max_length=13, choices=RackCooling.choices, default=RackCooling.AIR
    )
    cooling_kw = models.FloatField(
        null=True, blank=True, validators=POSITIVE,
        help_text="Heat the rack can remove, kW. Empty: no limit beyond power.",
    )
    max_weight_kg = models.FloatField(
        null=True, blank=True, validators=NON_NEGATIVE,
        help_text="Weight of servers the rack may carry, kg. Empty: no limit.",
    )
    source = models.TextField(blank=True, help_text="Where the figures come from.")

    # Who changed which figure, when, from what (config/history.py reads it).
    history = HistoricalRecords()

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
            elif self.derating_pct and self.reserved_kw >= self.feed_kw:
                errors["reserved_kw"] = (
                    f"Reserved kW ({self.reserved_kw}) must be below the derated, "
                    f"redundancy-adjusted power ({self.feed_kw:g} kW)."
                )
            if self.cooling_kw is not None and self.reserved_kw >= self.cooling_kw:
                errors["cooling_kw"] = (
                    f"Cooling ({self.cooling_kw} kW) must exceed reserved kW "
                    f"({self.reserved_kw})."
                )
        if errors:
            raise ValidationError(errors)

    @property
    def usable_u(self) -> int:
        return self.u_height - self.reserved_u

    @property
    def feed_kw(self) -> float:
        """Power the servers and reserved equipment may draw: after 2N and derating."""
        share = 0.5 if self.feeds == self.Feeds.TWO_N else 1.0
        return self.budget_kw * share * self.derating_pct / 100

    @property
    def usable_kw(self) -> float:
        """Power left for servers: the feed power, less reserved, capped by cooling."""
        usable = self.feed_kw - self.reserved_kw
        if self.cooling_kw is not None:
            usable = min(usable, self.cooling_kw - self.reserved_kw)
        return usable


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
    head_dim = models.PositiveSmallIntegerField(
        validators=POSITIVE_INT,
        help_text="Query/key/value head dimension. Latent attention (kv_lora_rank set): the "
        "non-rotary query/key part (DeepSeek's qk_nope_head_dim); see v_head_dim.",
    )
    default_precision_bits = models.PositiveSmallIntegerField(default=8)
    # Architecture figures from the model's config.json / model card, enough to recompute its
    # parameter count (inventory.architecture) and to size weights, KV cache and expert reads.
    vocab_size = models.PositiveIntegerField(null=True, blank=True, validators=POSITIVE_INT)
    tied_embeddings = models.BooleanField(
        default=False, help_text="The output projection shares the input embedding matrix."
    )
    intermediate_size = models.PositiveIntegerField(
        null=True, blank=True, validators=POSITIVE_INT,
        help_text="FFN width of the dense (non-expert) layers. Empty when every layer is MoE.",
    )
    active_parameters_b = models.FloatField(
        null=True, blank=True, validators=POSITIVE,
        help_text="Parameters read per token, billions (MoE: the routed and shared experts "
        "used, attention, one embedding matrix). Empty: dense, equals parameters_b.",
    )
    expert_count = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=POSITIVE_INT,
        help_text="Routed experts per MoE layer. Empty: dense model.",
    )
    experts_per_token = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=POSITIVE_INT,
        help_text="Routed experts each token uses (top-k).",
    )
    shared_expert_count = models.PositiveSmallIntegerField(
        default=0, help_text="Experts every token uses besides the routed ones."
    )
    moe_intermediate_size = models.PositiveIntegerField(
        null=True, blank=True, validators=POSITIVE_INT,
        help_text="FFN width of one expert (routed and shared).",
    )
    first_dense_layers = models.PositiveSmallIntegerField(
        default=0, help_text="Leading layers with a dense FFN instead of experts (DeepSeek: 3)."
    )
    moe_layer_step = models.PositiveSmallIntegerField(
        default=1, validators=POSITIVE_INT,
        help_text="Every n-th layer is MoE, the others dense (Llama 4 Maverick: 2). 1: all.",
    )
    # Multi-head latent attention (DeepSeek-V2/V3): KV cache per token per layer is
    # kv_lora_rank + qk_rope_head_dim values instead of 2 x kv_heads x head_dim.
    kv_lora_rank = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=POSITIVE_INT,
        help_text="Latent attention: compressed KV dimension (DeepSeek-V3: 512). Empty: none.",
    )
    q_lora_rank = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=POSITIVE_INT,
        help_text="Latent attention: compressed query dimension (DeepSeek-V3: 1536).",
    )
    qk_rope_head_dim = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=POSITIVE_INT,
        help_text="Latent attention: rotary part of each query/key head (DeepSeek-V3: 64).",
    )
    v_head_dim = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=POSITIVE_INT,
        help_text="Value head dimension when it differs from head_dim. Empty: head_dim.",
    )
    # Sliding-window (local) attention: these layers attend over only the last W tokens and
    # hold at most W tokens of KV cache (gpt-oss: every other layer, W 128; Gemma 3: five of
    # six, W 1,024). Llama 4's chunked attention is counted as a window of its chunk size.
    sliding_window_tokens = models.PositiveIntegerField(
        null=True, blank=True, validators=POSITIVE_INT,
        help_text="Local attention window W, tokens (gpt-oss: 128). Empty: no local layers.",
    )
    sliding_window_layers = models.PositiveSmallIntegerField(
        null=True, blank=True,
        help_text="How many of the layers use the local window; the others attend over the "
        "whole context (gpt-oss-20b: 12 of 24). Empty or 0: none.",
    )
    native_precision_bits = models.FloatField(
        null=True, blank=True, validators=POSITIVE,
        help_text="Bits per weight as released: 16 (BF16), 8 (DeepSeek FP8), 4.25 (gpt-oss "
        "MXFP4 experts: 4-bit values plus an 8-bit scale per 32). Empty: unknown.",
    )
    source = models.TextField(blank=True)

    # Who changed which figure, when, from what (config/history.py reads it).
    history = HistoricalRecords()

    class Meta:
        ordering = ["parameters_b", "name"]  # ties (two 70 B models) in one order everywhere
        verbose_name = "model class"
        verbose_name_plural = "model classes"

    def __str__(self) -> str:
        return self.name

    @property
    def is_moe(self) -> bool:
        return self.expert_count is not None

    def clean(self) -> None:
        errors = {}
        if self.kv_heads and self.attention_heads and self.kv_heads > self.attention_heads:
            errors["kv_heads"] = "KV heads cannot exceed attention heads (GQA groups heads)."
        if self.expert_count is not None:
            if self.experts_per_token is None:
                errors["experts_per_token"] = "A mixture-of-experts model needs its top-k."
            elif self.experts_per_token > self.expert_count:
                errors["experts_per_token"] = (
                    f"Experts per token ({self.experts_per_token}) cannot exceed the experts "
                    f"({self.expert_count})."
                )
            if self.moe_intermediate_size is None:
                errors["moe_intermediate_size"] = "A mixture-of-experts model needs it."
        else:
            for name in ("experts_per_token", "moe_intermediate_size"):
                if getattr(self, name) is not None:
                    errors[name] = "Only a mixture-of-experts model (expert_count set) has it."
            if self.shared_expert_count:
                errors["shared_expert_count"] = "Only a mixture-of-experts model has them."
        if (
            self.active_parameters_b is not None
            and self.parameters_b is not None
            and self.active_parameters_b > self.parameters_b
        ):
            errors["active_parameters_b"] = "Active parameters cannot exceed the total."
        if self.kv_lora_rank is None and (self.q_lora_rank or self.qk_rope_head_dim):
            errors["kv_lora_rank"] = "Latent-attention figures need kv_lora_rank."
        if self.kv_lora_rank is not None and self.qk_rope_head_dim is None:
            errors["qk_rope_head_dim"] = "Latent attention needs the rotary head dimension."
        local = self.sliding_window_layers or 0
        if local and self.sliding_window_tokens is None:
            errors["sliding_window_tokens"] = "Local-attention layers need their window."
        if self.sliding_window_tokens is not None and not local:
            errors["sliding_window_layers"] = (
                "A window needs the number of layers that use it (at least 1)."
            )
        if local and self.layers and local > self.layers:
            errors["sliding_window_layers"] = (
                f"Local-attention layers ({local}) cannot exceed the layers ({self.layers})."
            )
        if errors:
            raise ValidationError(errors)


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

    # Who changed which figure, when, from what (config/history.py reads it).
    history = HistoricalRecords()

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
