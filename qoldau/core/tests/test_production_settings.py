"""Production refuses to start half-configured, and `check --deploy` is clean when configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION = {
    "QOLDAU_ENV": "production",
    "SECRET_KEY": "x" * 20 + "-production-secret-key-for-the-deploy-check-0123456789",
    "ALLOWED_HOSTS": "qoldau.example.kz",
    "DATABASE_URL": "postgres://qoldau@db.example.kz:5432/qoldau",
}


def _manage(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    inherited = {
        "DATABASE_URL",
        "DATABASE_CONN_MAX_AGE",
        "QOLDAU_ENV",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }  # the browser tests set it
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "QOLDAU_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY must be set in production"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS must be set in production"),
        ("DATABASE_URL", "DATABASE_URL must be a PostgreSQL URL in production"),
    ],
)
def test_production_refuses_to_start_without(tmp_path: Path, missing: str, message: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _manage(tmp_path, env, "check")
    assert result.returncode != 0
    assert message in result.stderr


def test_production_refuses_sqlite(tmp_path: Path) -> None:
    result = _manage(tmp_path, {**PRODUCTION, "DATABASE_URL": "sqlite:///x.db"}, "check")
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr


def test_check_deploy_is_clean_in_production(tmp_path: Path) -> None:
    result = _manage(tmp_path, PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "None"), ("-1", "None"), ("0", "0"), ("300", "300")],
)
def test_postgresql_connections_live_with_their_thread_unless_told(
    tmp_path: Path, value: str | None, expected: str
) -> None:
    """Prepared statements and plans live with the connection (ADR 0012): kept by default."""
    env = {**PRODUCTION, **({"DATABASE_CONN_MAX_AGE": value} if value is not None else {})}
    shown = "from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])"
    result = _manage(tmp_path, env, "shell", "-c", shown)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


def test_a_connection_age_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    result = _manage(tmp_path, {**PRODUCTION, "DATABASE_CONN_MAX_AGE": "forever"}, "check")
    assert result.returncode != 0
    assert "DATABASE_CONN_MAX_AGE must be a whole number" in result.stderr
