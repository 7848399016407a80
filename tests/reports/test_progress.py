"""Progress in the objective's unit, the gap with what it means, the budget left."""

from planner.reports.progress import amount, describe_progress


def test_power_reads_in_kilowatts_and_the_gap_is_explained():
    view = describe_progress(
        "min_power", {"incumbent": 539063.0, "bound": 528846.0},
        time_limit_s=60, elapsed_s=12.5, finished=False,
    )
    assert view["best"] == "539.06 kW" and view["bound"] == "528.85 kW"
    assert view["gap_pct"] == 1.9  # (539,063 - 528,846) / 539,063
    assert "no layout can need less than 528.85 kW" in view["gap_text"]
    assert view["remaining_s"] == 47.5


def test_sessions_and_a_proven_optimum():
    view = describe_progress(
        "max_sessions", {"incumbent": 1216, "bound": 1216},
        time_limit_s=60, elapsed_s=1, finished=True,
    )
    assert view["best"] == "1,216 sessions" and view["gap_pct"] == 0
    assert "proven optimal" in view["gap_text"] and view["remaining_s"] is None
    assert amount("min_cost", 10500000) == "$10,500,000"
    assert amount("min_racks", 21) == "21 racks"
