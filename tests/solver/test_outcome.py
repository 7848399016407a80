"""planner.solver.outcome: the hand-over every method shares."""

from __future__ import annotations

from planner.solver.outcome import ModelDealer, RackFill


def test_rack_fill_items_are_canonical() -> None:
    assert RackFill.of(1, {(2, "b"): 1, (0, "z"): 3, (0, "a"): 2}) == RackFill(
        1, ((0, "a", 2), (0, "z", 3), (2, "b", 1))
    )


def test_dealer_keeps_each_models_servers_together() -> None:
    dealer = ModelDealer([(0, "x", 5), (0, "y", 3), (1, "x", 0)])
    first: dict = {}
    dealer.deal(0, 4, first)
    second: dict = {}
    dealer.deal(0, 4, second)
    dealer.deal(1, 2, second)  # nothing assigned to SKU 1: left out
    assert first == {(0, "x"): 4}
    assert second == {(0, "x"): 1, (0, "y"): 3}
