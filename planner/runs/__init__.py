"""Runs through their life: queueing and cancelling (`queueing`), what a worker does with one
(`execution`, called by the thin Celery tasks in `planner.tasks`), the periodic check for runs
the broker lost (`recovery`) and sweeps of many runs (`sweeps`)."""
