"""`make run` keeps the background worker running: mycustomers.devtools.supervise starts a
command again when it dies, and passes a stop on to it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def supervise(*command: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mycustomers.devtools.supervise", *command],
        cwd=ROOT,
        env={**os.environ, "SUPERVISE_FIRST_PAUSE": "0.1"},
        stderr=subprocess.PIPE,
        text=True,
    )


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def wait_until(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize(
    "ending, said",
    [
        ("raise SystemExit(3)", "exited with 3"),
        ("import os; os.kill(os.getpid(), 9)", "was killed by SIGKILL"),
    ],
)
def test_a_command_that_dies_is_started_again(tmp_path, ending, said):
    runs = tmp_path / "runs"
    code = f"open({str(runs)!r}, 'a').write('run\\n')\n{ending}"
    supervisor = supervise(sys.executable, "-c", code)
    try:
        wait_until(lambda: len(lines(runs)) >= 3)
    finally:
        supervisor.send_signal(signal.SIGTERM)
        _, errors = supervisor.communicate(timeout=30)
    assert f"{said}; starting it again in 0.1 s" in errors


def test_a_stop_is_passed_on_and_nothing_starts_again(tmp_path):
    log = tmp_path / "log"
    code = (
        "import signal, sys, time\n"
        f"log = open({str(log)!r}, 'a', buffering=1)\n"
        "signal.signal(signal.SIGTERM, lambda *a: (log.write('stopped\\n'), sys.exit(0)))\n"
        "log.write('started\\n')\n"
        "time.sleep(60)\n"
    )
    supervisor = supervise(sys.executable, "-c", code)
    wait_until(lambda: lines(log) == ["started"])

    supervisor.send_signal(signal.SIGTERM)

    assert supervisor.wait(timeout=30) == 0
    time.sleep(0.3)
    assert lines(log) == ["started", "stopped"]


def test_make_run_supervises_the_worker_that_survives_restarts():
    recipe = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "-m mycustomers.devtools.supervise .venv/bin/python manage.py run_worker" in recipe
