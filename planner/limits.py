"""Moved to :mod:`planner.solver.limits` (one home for size limits); kept until callers move."""
from planner.solver.limits import LIMIT_SETTINGS as SETTINGS  # noqa: F401
