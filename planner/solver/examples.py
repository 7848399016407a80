"""Example problems in problem format v1, shared by the docs' examples, benchmarks and tests."""

#: The seed rack study's question for the AmpereOne server: one 42U, 12.5 kW rack with 2U and
#: 1.0 kW reserved, sessions per server from the study's footnote (answer: 19 servers, 1,216
#: sessions of Llama 3.2 1B). Copy it before changing it.
STUDY_RACK_PROBLEM: dict = {
    "rack_types": [
        {"name": "std-42u", "u": 42, "power_kw": 12.5, "reserved_u": 2, "reserved_kw": 1.0,
         "count": 1}
    ],
    "servers": [
        {"name": "ampereone-a192", "u": 1, "power_w": 577, "available": None, "cost_usd": None,
         "sessions": {"llama-3.2-1b": 64, "llama-3.2-3b": 32, "llama-3.1-8b": 8}}
    ],
    "demand": {"llama-3.2-1b": {"min": 0, "max": None, "weight": 1.0}},
    "hall_power_kw": None,
    "objective": "max_sessions",
}
