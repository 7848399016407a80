"""A small two-SKU hall and its layout, shared by the report, chart and benchmark-helper tests."""

PROBLEM = {
    "rack_types": [
        {
            "name": "std-42u",
            "u": 42,
            "power_kw": 12.5,
            "reserved_u": 2,
            "reserved_kw": 1.0,
            "count": 3,
        }
    ],
    "servers": [
        {
            "name": "cpu",
            "u": 1,
            "power_w": 577,
            "cost_usd": 10000,
            "sessions": {"small": 64, "mid": 8},
        },
        {
            "name": "gpu",
            "u": 8,
            "power_w": 6297,
            "cost_usd": 250000,
            "sessions": {"mid": 56, "big": 8},
        },
    ],
    "demand": {"big": {"min": 8}, "mid": {"min": 56}},
    "hall_power_kw": None,
    "objective": "max_sessions",
}

TWO_SKUS = {
    "rack_types": [{"name": "std-42u", "u": 42, "power_kw": 12.5, "reserved_u": 2,
                    "reserved_kw": 1.0, "count": 3}],
    "servers": [
        {"name": "cpu-1u", "u": 1, "power_w": 577, "cost_usd": 20000,
         "sessions": {"small": 64}},
        {"name": "gpu-8u", "u": 8, "power_w": 6297, "cost_usd": 300000,
         "sessions": {"big": 8}},
    ],
    "demand": {"big": {"min": 8}, "small": {"min": 0}},
    "objective": "max_sessions",
}
