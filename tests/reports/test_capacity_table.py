"""planner/reports/capacity_table.py: capacity reports as a spreadsheet's rows (pure)."""

from planner.reports.capacity_table import COLUMNS, capacity_table


def report(sessions: int, low: int | None, typical: float | None, **result) -> dict:
    return {
        "result": {
            "server": "8x-h100-sxm", "model": "llama-3.1-8b", "sessions": sessions,
            "sessions_low": low, "sessions_high": None if low is None else sessions + 7,
            "typical_error": typical, "label": "estimated", "binding_limit": "decode_rate",
            "policy": "calibrated", "precision_bits": 8, "slo_tps": 10.0,
            "context_tokens": 1280, "tp_degree": 1, "replicas_per_server": 8,
            "per_session_tps": 10.123456, "weight_gb_per_replica": 8.0312,
            "kv_gb_per_session": 0.16777216, "explanation": "Estimated ...",
            "evidence": ["a (url)", "b (url)"], "advice": "", "source": "",
            "workload": {"input_tokens": 1024, "output_tokens": 256, "ttft_s": None,
                         "kv_precision_bits": 16, "serving_stack": "vllm"},
            **result,
        },
        "energy": {"server_power_w": 6297.0, "watts_per_session": 1.8605, "tokens_per_joule":
                   5.3751, "kwh_per_day": 151.128, "co2_kg_per_day": 65.8918},
    }


def test_rows_carry_every_column_with_units_in_the_names():
    frame = capacity_table([report(3384, 2900, 0.151), report(64, None, None, label="measured",
                                                               workload={})])
    assert list(frame.columns) == list(COLUMNS)
    first, second = frame.iloc[0], frame.iloc[1]
    assert first["sessions_per_server"] == 3384 and first["sessions_low"] == 2900
    assert first["sessions_high"] == 3391
    assert first["typical_error_pct"] == 15.1
    assert first["per_session_tps"] == 10.12 and first["kv_gb_per_session"] == 0.1678
    assert first["input_tokens"] == 1024 and first["evidence"] == "a (url) | b (url)"
    # A measured figure has no range or workload: empty cells, not 0 or NaN-as-float ints.
    assert second["label"] == "measured"
    assert str(frame["sessions_low"].dtype) == "Int64" and frame["sessions_low"].isna()[1]
    assert frame.to_csv(index=False).splitlines()[2].split(",")[2:5] == ["64", "", ""]
