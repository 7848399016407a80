"""Scaled layouts for the page benchmark (bench/layouts.py)."""

import pytest

from planner.solver import solve
from tests.example_layout import PROBLEM


@pytest.fixture(scope="module")
def result():
    return solve(PROBLEM)


def test_scaled_layout_is_valid_for_the_scaled_hall(result):
    from bench.layouts import scale_layout, scale_problem
    from planner.solver import check_layout

    bigger = scale_layout(result, 5)
    assert check_layout(scale_problem(PROBLEM, 5), bigger) == []
    assert bigger["totals"]["sessions"] == 5 * result["totals"]["sessions"]
