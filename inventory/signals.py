"""Signals the catalog sends so other apps can veto a change without the catalog knowing them.

`renaming` is sent before a catalog page renames a row (sender: the model class; arguments
`row`, the stored row, and `new_name`). A receiver refuses by raising
`django.db.models.ProtectedError`; the planner app connects its "named by a saved scenario"
guard (planner/usage.py), the same rule the API applies.
"""
from django.dispatch import Signal

renaming = Signal()
