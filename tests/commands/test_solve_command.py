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
#: scipy: HiGHS is reached through highspy (planner/solver/highs.py); scipy.optimize alone
#: cost ~0.6 s of start-up.
HEAVY = ("pandas", "plotly", "openpyxl", "celery", "kombu", "rest_framework.serializers",
         "rest_framework.views", "drf_spectacular.views", "inventory.api", "planner.api",
         "planner.pages", "planner.charts", "planner.tasks", "scipy")


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


def test_setup_and_the_command_module_import_nothing_heavy():
    """A clean interpreter: django.setup() (every app's ready()) and the command's module, the
    same list as above plus the capacity fitting modules (they import scipy.optimize), checked on
    sys.modules rather than a profile. DRF's app configs and checks load with INSTALLED_APPS;
    its serializers and views (in HEAVY) must not."""
    code = (
        "import json, sys, django; django.setup();"
        "import planner.management.commands.solve;"
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = manage("-c", code)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert "planner.solver.highs" in loaded and "highspy" in loaded  # the probe saw the solver
    heavy = (*HEAVY, "planner.capacity.calibration", "planner.capacity.evidence")
    assert [m for m in loaded if m.startswith(heavy)] == []


def test_reads_stdin_and_refuses_bad_input_with_exit_2():
    done = manage("manage.py", "solve", "-", stdin=json.dumps(STUDY_RACK_PROBLEM))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "optimal"
    bad = manage("manage.py", "solve", "-", stdin="{not json")
    assert bad.returncode == 2
    assert "is not valid JSON" in bad.stderr


def test_what_native_code_prints_during_the_solve_stays_off_stdout():
    """HiGHS's MIP solver printf()s some lines whatever its options: they go to stderr, and
    stdout carries the result JSON alone."""
    code = (
        "import os, sys\n"
        "from planner.management.commands.solve import native_stdout_to_stderr\n"
        "with native_stdout_to_stderr():\n"
        "    os.write(1, b'from native code\\n')\n"
        "    print('from python, during the solve')\n"
        "print('{\"result\": 1}')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"result": 1}\n'
    assert "from native code" in done.stderr and "during the solve" in done.stderr
