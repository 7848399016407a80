"""The bridge from catalog rows (the `inventory` app) to the pure core.

Everything that reads catalog rows to feed `planner.capacity` or `planner.solver` lives here and
nowhere else: problem building from a scenario spec (`problems`), capacity figures for catalog
rows (`figures`), calibration of catalog rows (`calibration`), the seed study (`study`), and which
saved scenarios use a catalog row (`usage`). The `inventory` app imports nothing from here; the
planner registers its hooks on inventory's signals (see `planner.apps`).
"""
