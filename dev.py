#!/usr/bin/env python3
"""The two commands a newcomer needs: ``python3 dev.py demo`` and ``python3 dev.py test``.

Both bootstrap a virtual environment in ``.venv`` (re-installed only when pyproject.toml changes),
then re-run themselves inside it. Only the standard library may be used above ``_in_venv()``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".qoldau-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

USAGE = """usage: python3 dev.py COMMAND

  demo     migrate, load the demo data, then serve http://127.0.0.1:8000 with a worker
  test     lint, type-check, check import layers and migrations, run the test suite
           (on SQLite; again on PostgreSQL when QOLDAU_TEST_POSTGRES_URL is set)
  bootstrap  only create or refresh .venv
"""


def _requirements_digest() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def bootstrap() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036  (dev.py runs on whatever python3 is)
        sys.exit("Qoldau needs Python 3.11 or newer; this is " + sys.version.split()[0])
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = _requirements_digest()
    if not STAMP.exists() or STAMP.read_text() != digest:
        print(
            "Installing dependencies into .venv (once per change of pyproject.toml) …", flush=True
        )
        subprocess.run(
            [str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True
        )
        subprocess.run(
            [str(PYTHON), "-m", "pip", "install", "--quiet", "-e", ".[dev]"],
            check=True,
            cwd=ROOT,
        )
        STAMP.write_text(digest)


def _in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def _run(*args: str, env: dict[str, str] | None = None) -> int:
    print("$ " + " ".join(args), flush=True)
    return subprocess.run(list(args), cwd=ROOT, env=env, check=False).returncode


def demo() -> int:
    return _run(str(PYTHON), "manage.py", "demo", *sys.argv[2:])


def test() -> int:
    """Every check CI runs; the first failure stops the run with its exit code."""
    py = str(PYTHON)
    base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    base_env.setdefault("QOLDAU_ENV", "test")
    checks: list[tuple[str, ...]] = [
        (py, "-m", "ruff", "format", "--check", "."),
        (py, "-m", "ruff", "check", "."),
        (py, "-m", "mypy", "."),
        (str(BIN / "lint-imports"),),
        (py, "manage.py", "makemigrations", "--check", "--dry-run"),
        (py, "manage.py", "check"),
        (py, "manage.py", "i18n", "check"),
    ]
    for cmd in checks:
        code = _run(*cmd, env=base_env)
        if code:
            return code
    pytest_args = ["-n", os.environ.get("QOLDAU_TEST_WORKERS", "2"), *sys.argv[2:]]
    print("\n== test suite on SQLite ==", flush=True)
    code = _run(py, "-m", "pytest", *pytest_args, env=base_env)
    if code:
        return code
    pg_url = os.environ.get("QOLDAU_TEST_POSTGRES_URL")
    if pg_url:
        print("\n== test suite on PostgreSQL ==", flush=True)
        code = _run(py, "-m", "pytest", *pytest_args, env={**base_env, "DATABASE_URL": pg_url})
    else:
        print("\n(PostgreSQL run skipped: set QOLDAU_TEST_POSTGRES_URL to include it)")
    return code


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in {"demo", "test", "bootstrap"}:
        print(USAGE)
        return 2
    if not _in_venv():
        bootstrap()
        if command == "bootstrap":
            return 0
        return subprocess.run([str(PYTHON), __file__, *sys.argv[1:]], check=False).returncode
    if command == "bootstrap":
        return 0
    return demo() if command == "demo" else test()


if __name__ == "__main__":
    sys.exit(main())
