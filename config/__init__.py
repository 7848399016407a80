"""Project configuration.

The Celery app (`config.celery`) is not imported here: the task modules import it, so whatever
sends or runs a task has it configured, and commands that never touch a task (`manage.py solve`)
do not pay Celery's import. `celery -A config` finds it as `config.celery.app`.
"""
