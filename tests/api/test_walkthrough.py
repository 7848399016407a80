"""docs/api.md's curl walk-through, run exactly as written against a fresh server."""

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def walkthrough() -> str:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    return text.split("### curl")[1].split("```sh\n")[1].split("```")[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_walkthrough_runs_as_written(tmp_path):
    for name in ("manage.py", ".venv"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", DEVELOPMENT="1",
               DJANGO_SETTINGS_MODULE="config.settings")
    manage = [str(ROOT / ".venv" / "bin" / "python"), "manage.py"]
    for command in (["migrate", "--noinput"], ["loadcatalog"]):
        subprocess.run([*manage, *command], cwd=tmp_path, env=env, check=True,
                       capture_output=True)
    port = free_port()
    server = subprocess.Popen([*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", walkthrough()],
            cwd=tmp_path, env={**env, "API": f"http://127.0.0.1:{port}/api/v1"},
            capture_output=True, text=True, timeout=300,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "succeeded" in done.stdout and "'status': 'optimal'" in done.stdout
    assert (tmp_path / "bom.xlsx").read_bytes()[:2] == b"PK"
    assert (tmp_path / "catalog.xlsx").read_bytes()[:2] == b"PK"
