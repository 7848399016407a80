import json
import subprocess
import sys
from pathlib import Path

import pytest

from planner.solver.examples import STUDY_RACK_PROBLEM as STUDY_PROBLEM


def test_solve_returns_the_study_answer(api_client):
    response = api_client.post("/api/v1/solve", STUDY_PROBLEM, format="json")
    assert response.status_code == 200
    result = response.json()
    assert result["status"] == "optimal"
    assert result["objective"] == 1216
    [placed] = result["racks"][0]["servers"]
    assert (placed["server"], placed["model"], placed["count"]) == (
        "ampereone-a192", "llama-3.2-1b", 19
    )


@pytest.mark.parametrize(
    ("section", "field", "value"),
    [("rack_types", "reserved_u", 50), ("servers", "power_w", -1), ("rack_types", "count", 0)],
)
def test_solve_rejects_bad_input_with_field_errors(api_client, section, field, value):
    bad = json.loads(json.dumps(STUDY_PROBLEM))
    bad[section][0][field] = value
    response = api_client.post("/api/v1/solve", bad, format="json")
    assert response.status_code == 400
    body = response.json()
    assert f"{section}[0].{field}" in body["errors"]
    assert body["detail"]


def test_solve_rejects_non_object(api_client):
    response = api_client.post("/api/v1/solve", "[1, 2]", content_type="application/json")
    assert response.status_code == 400


def test_solve_rejects_malformed_json(api_client):
    response = api_client.post("/api/v1/solve", "{not json", content_type="application/json")
    assert response.status_code == 400


def run_solve_command(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "solve", str(path)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
    )


def test_command_and_api_agree(api_client, tmp_path):
    path = tmp_path / "study.json"
    path.write_text(json.dumps(STUDY_PROBLEM))
    completed = run_solve_command(path)
    assert completed.returncode == 0, completed.stderr
    from_cli = json.loads(completed.stdout)
    from_api = api_client.post("/api/v1/solve", STUDY_PROBLEM, format="json").json()
    from_cli.pop("solve_seconds")
    from_api.pop("solve_seconds")
    assert from_cli == from_api


@pytest.mark.parametrize(
    ("content", "message"),
    [("{oops", "not valid JSON"), ('{"rack_types": []}', "invalid problem")],
)
def test_command_rejects_bad_files_with_one_line_and_exit_2(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    completed = run_solve_command(path)
    assert completed.returncode == 2
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1


def test_command_rejects_missing_file(tmp_path):
    completed = run_solve_command(tmp_path / "nope.json")
    assert completed.returncode == 2
    assert "cannot read" in completed.stderr
