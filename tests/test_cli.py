"""The console command on a database that was never migrated says what to do, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_commands_before_migrate_say_to_migrate(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "QOLDAU_ENV"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "workdays", "between", "2025-01-01", "2025-12-31"],
        cwd=ROOT,
        env={**env, "QOLDAU_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "run `qoldau migrate`" in result.stderr
    assert "Traceback" not in result.stderr
