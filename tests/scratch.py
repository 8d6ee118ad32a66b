"""A database of its own for a test that runs the product in subprocesses (the crash tests):
a SQLite file, or, when the tests run on PostgreSQL (``DATABASE_URL``), a scratch PostgreSQL
database created here and dropped afterwards."""

from __future__ import annotations

import contextlib
import os
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg


def _admin_dsn(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return (
        f"host={parts.hostname or '127.0.0.1'} port={parts.port or 5432} "
        f"user={urllib.parse.unquote(parts.username or 'postgres')} dbname=postgres"
        + (f" password={urllib.parse.unquote(parts.password)}" if parts.password else "")
    )


@contextlib.contextmanager
def scratch_database(tmp_path: Path, prefix: str) -> Iterator[str]:
    """The ``DATABASE_URL`` of a fresh database for the subprocesses."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'crash.sqlite3'}"
        return
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(_admin_dsn(url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlsplit(url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(_admin_dsn(url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
