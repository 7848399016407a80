"""Moved to :mod:`planner.solver.limits` (one home for size limits); kept until callers move."""
from planner.solver.limits import LIMIT_SETTINGS as SETTINGS
from planner.solver.limits import limit_errors, problem_sizes

__all__ = ["SETTINGS", "limit_errors", "problem_sizes"]
