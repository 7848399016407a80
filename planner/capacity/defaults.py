"""The capacity settings a figure uses when nobody says otherwise, and the range a planner may
ask for. One home: the estimator, the scenario spec (and its JSON Schema's documented
defaults, checked by a test), the capacity API and every form read them from here."""

#: Per-session decode rate a session must see, tokens/s (the seed study's 10 tokens/s).
DEFAULT_SLO_TPS = 10.0
SLO_TPS_MIN_EXCLUSIVE = 0.0
SLO_TPS_MAX = 10_000.0

#: Weight precision, bits (the seed study's 8-bit models).
DEFAULT_PRECISION_BITS = 8
PRECISIONS_BITS = (4, 8, 16)

#: KV caches are normally kept at 16-bit even when weights are quantised (vLLM's default
#: kv_cache_dtype follows the activation dtype; FP8 KV is opt-in).
DEFAULT_KV_PRECISION_BITS = 16

#: Tokens of context a session holds when a figure or workload does not say (prompt and answer
#: so far).
DEFAULT_CONTEXT_TOKENS = 4096
CONTEXT_TOKENS_MAX = 10_000_000

#: The capacity policy of a new scenario or a capacity query.
DEFAULT_POLICY = "study"
