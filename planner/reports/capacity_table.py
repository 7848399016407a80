"""The capacity page's figures as a table a spreadsheet opens: one row per server × model, the
settings they were computed at, the figure with its range, where it comes from and what binds
it, and the energy figures. Pure: fed the JSON-ready reports the page and the API use."""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

#: Column -> where it is read in a capacity report ({"result": ..., "energy": ...}); units are
#: in the names. The workload's fields are the calibrated policy's (empty for the others).
COLUMNS: dict[str, tuple[str, str]] = {
    "server": ("result", "server"),
    "model": ("result", "model"),
    "sessions_per_server": ("result", "sessions"),
    "sessions_low": ("result", "sessions_low"),
    "sessions_high": ("result", "sessions_high"),
    "typical_error_pct": ("result", "typical_error"),
    "label": ("result", "label"),
    "binding_limit": ("result", "binding_limit"),
    "policy": ("result", "policy"),
    "precision_bits": ("result", "precision_bits"),
    "slo_tps": ("result", "slo_tps"),
    "input_tokens": ("workload", "input_tokens"),
    "output_tokens": ("workload", "output_tokens"),
    "ttft_s": ("workload", "ttft_s"),
    "kv_precision_bits": ("workload", "kv_precision_bits"),
    "serving_stack": ("workload", "serving_stack"),
    "context_tokens": ("result", "context_tokens"),
    "tp_degree": ("result", "tp_degree"),
    "replicas_per_server": ("result", "replicas_per_server"),
    "per_session_tps": ("result", "per_session_tps"),
    "server_power_w": ("energy", "server_power_w"),
    "watts_per_session": ("energy", "watts_per_session"),
    "tokens_per_joule": ("energy", "tokens_per_joule"),
    "kwh_per_day": ("energy", "kwh_per_day"),
    "co2_kg_per_day": ("energy", "co2_kg_per_day"),
    "weight_gb_per_replica": ("result", "weight_gb_per_replica"),
    "kv_gb_per_session": ("result", "kv_gb_per_session"),
    "explanation": ("result", "explanation"),
    "evidence": ("result", "evidence"),
    "advice": ("result", "advice"),
    "source": ("result", "source"),
}


#: Decimals kept per figure: what the inputs can support, not the float's noise.
DECIMALS = {
    "per_session_tps": 2, "watts_per_session": 1, "tokens_per_joule": 3, "kwh_per_day": 2,
    "co2_kg_per_day": 2, "weight_gb_per_replica": 2, "kv_gb_per_session": 4,
}
#: Whole numbers that may be missing (no range for a measured figure).
WHOLE = ("sessions_per_server", "sessions_low", "sessions_high")


def table_row(report: dict) -> dict:
    """One report as one row of `COLUMNS`."""
    parts = {
        "result": report["result"],
        "energy": report["energy"],
        "workload": report["result"].get("workload") or {},
    }
    row = {name: parts[part].get(key) for name, (part, key) in COLUMNS.items()}
    if row["typical_error_pct"] is not None:
        row["typical_error_pct"] = round(100 * row["typical_error_pct"], 1)
    row["evidence"] = " | ".join(row["evidence"] or ())
    for name, places in DECIMALS.items():
        if row[name] is not None:
            row[name] = round(row[name], places)
    return row


def capacity_table(reports: Iterable[dict]) -> pd.DataFrame:
    """The reports as a frame with `COLUMNS`, in the order given."""
    frame = pd.DataFrame([table_row(r) for r in reports], columns=list(COLUMNS))
    return frame.astype({name: "Int64" for name in WHOLE})
