"""Drives a crash test's worker module in subprocesses: migrate, set up, run it several times
killing it with SIGKILL at random moments, run it to the end, and return its final check."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


def _worker(module: str, env: dict[str, str], mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", module, mode],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _finish(module: str, env: dict[str, str], mode: str) -> str:
    process = _worker(module, env, mode)
    out, _err = process.communicate(timeout=180)
    assert process.returncode == 0, out
    return out


def run_with_kills(
    *, module: str, env: dict[str, str], rounds: int, rng: random.Random, max_pause: float
) -> dict[str, Any]:
    """The worker module answers ``setup``, ``run`` (prints "ready" first) and ``check`` (prints
    a JSON summary). At least half of the rounds must end in a kill, or the test proves little."""
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    _finish(module, env, "setup")
    kills = 0
    for _round in range(rounds):
        process = _worker(module, env, "run")
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, max_pause))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=30)
    assert kills >= rounds // 2
    _finish(module, env, "run")
    result: dict[str, Any] = json.loads(_finish(module, env, "check"))
    return result
