"""`manage.py solve`: its output, its errors, and what it imports on the way (a fresh process)."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from planner.solver.examples import STUDY_RACK_PROBLEM

ROOT = Path(__file__).resolve().parents[2]
#: What the command must not import: it solves a file and touches no view, API, chart or task.
HEAVY = ("pandas", "plotly", "openpyxl", "celery", "kombu", "rest_framework.serializers",
         "rest_framework.views", "drf_spectacular.views", "inventory.api", "planner.api",
         "planner.pages", "planner.charts", "planner.tasks")


def manage(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_solves_the_study_rack_without_heavy_imports(tmp_path):
    problem = tmp_path / "study.json"
    problem.write_text(json.dumps(STUDY_RACK_PROBLEM))
    done = manage("-X", "importtime", "manage.py", "solve", str(problem))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "optimal"
    assert result["totals"]["sessions"] == 1216
    imported = set(re.findall(r"^import time:.*\| *(\S+)$", done.stderr, re.M))
    assert "planner.solver" in imported  # the profile was read
    assert sorted(m for m in imported if m.startswith(HEAVY)) == []


def test_reads_stdin_and_refuses_bad_input_with_exit_2():
    done = manage("manage.py", "solve", "-", stdin=json.dumps(STUDY_RACK_PROBLEM))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "optimal"
    bad = manage("manage.py", "solve", "-", stdin="{not json")
    assert bad.returncode == 2
    assert "is not valid JSON" in bad.stderr
