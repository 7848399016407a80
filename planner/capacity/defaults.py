"""The capacity settings a figure uses when nobody says otherwise, and the range a planner may
ask for. One home: the estimator, the scenario spec (and its JSON Schema's documented
defaults, checked by a test), the capacity API and every form read them from here."""

#: Per-session decode rate a session must see, tokens/s (the seed study's 10 tokens/s).
DEFAULT_SLO_TPS = 10.0
SLO_TPS_MIN_EXCLUSIVE = 0.0
SLO_TPS_MAX = 10_000.0

#: Weight precision, bits (the seed study's 8-bit models). Scenario, API and form choices,
#: ternary (1.58-bit, BitNet b1.58-style: log2(3) bits per weight) included; the capacity API
#: also takes any whole number of bits from 1 to 32 and the name "ternary".
DEFAULT_PRECISION_BITS = 8
TERNARY_BITS = 1.58
TERNARY_NAME = "ternary"
PRECISIONS_BITS = (TERNARY_BITS, 4, 5, 6, 8, 16)
WEIGHT_PRECISIONS_BITS = PRECISIONS_BITS
PRECISION_BITS_MIN = 1
PRECISION_BITS_MAX = 32

#: KV caches are normally kept at 16-bit even when weights are quantised (vLLM's default
#: kv_cache_dtype follows the activation dtype; FP8 KV is opt-in).
DEFAULT_KV_PRECISION_BITS = 16
KV_PRECISIONS_BITS = (4, 8, 16)

#: Tokens of context a session holds when a figure or workload does not say (prompt and answer
#: so far).
DEFAULT_CONTEXT_TOKENS = 4096
# The longest request (prompt + output tokens) a measured profile whose source states no context
# stands for; a longer request shape gets an estimate (the seed study's CPU profiles state none).
UNSTATED_CONTEXT_LIMIT = DEFAULT_CONTEXT_TOKENS
CONTEXT_TOKENS_MAX = 10_000_000

#: Mean request shape of the calibrated policy's workload (planner.capacity.workload): prompt
#: and generated tokens per request, no time-to-first-token target, no prefix-cache hits.
DEFAULT_INPUT_TOKENS = 1024
DEFAULT_OUTPUT_TOKENS = 256
DEFAULT_TTFT_S = None
DEFAULT_PREFIX_CACHE_HIT_RATE = 0.0

#: The serving engine a figure assumes. Its host-side cost per running sequence differs:
#: "vllm" stands for the Python-scheduled engines (vLLM, SGLang), "tensorrt-llm" for NVIDIA's
#: C++ batch manager (TensorRT-LLM, which MLPerf submissions and NIM's TensorRT-LLM profiles
#: run). vLLM is the default: the engine most deployments start from.
SERVING_STACKS = ("vllm", "tensorrt-llm")
DEFAULT_SERVING_STACK = "vllm"
SERVING_STACK_NAMES = {"vllm": "vLLM / SGLang", "tensorrt-llm": "TensorRT-LLM"}

#: The capacity policy of a new scenario, the capacity page and a capacity query.
DEFAULT_POLICY = "calibrated"
#: What a saved spec that names no policy means: specs written before the calibrated policy
#: existed keep their meaning (the seed study's rule).
SPEC_POLICY_WHEN_ABSENT = "study"
