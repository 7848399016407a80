"""scripts/supervise: what `make run` keeps its Celery worker up with."""
import os
import signal
import subprocess
from pathlib import Path

import yaml

from bench.processes import wait_for

SUPERVISE = Path(__file__).resolve().parents[2] / "scripts" / "supervise"


def start(tmp_path: Path, script: str) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / "supervise.log"
    process = subprocess.Popen(
        [str(SUPERVISE), "sh", "-c", script], stdout=log.open("w"), stderr=subprocess.STDOUT,
        env={**os.environ, "SUPERVISE_DELAY_S": "0.2"},
    )
    return process, log


def test_a_command_that_exits_is_started_again_with_a_message(tmp_path):
    process, log = start(tmp_path, "echo started; exit 3")
    try:
        wait_for(lambda: log.read_text().count("started") >= 3, 10, "two restarts")
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
    assert "'sh' exited with status 3; starting it again in 0.2 s" in log.read_text()


def test_sigterm_stops_the_command_and_the_supervisor(tmp_path):
    pid_file = tmp_path / "child.pid"
    process, log = start(tmp_path, f"echo $$ > {pid_file}; exec sleep 60")
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), 10, "the command")
    child = int(pid_file.read_text())
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0

    def gone() -> bool:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return True
        return False

    wait_for(gone, 10, "the command to stop")
    assert "exited" not in log.read_text()  # stopped on purpose: no restart message


def test_compose_restarts_every_long_running_service():
    # drf-spectacular brings PyYAML.
    compose = yaml.safe_load((SUPERVISE.parents[1] / "docker-compose.yml").read_text())
    policies = {name: spec.get("restart") for name, spec in compose["services"].items()}
    assert policies.pop("migrate") == "no"  # a one-off
    assert set(policies.values()) == {"unless-stopped"}, policies
    assert {"web", "worker", "beat", "redis", "postgres"} <= set(policies)
