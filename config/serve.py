"""The web process on granian (ADR 0009): ``python -m config.serve`` (console: ``qoldau-web``).

granian parses HTTP in Rust and hands each request to one of a pool of Python threads per
worker process; under the API intake's load that leaves about a third more CPU to the
application than gunicorn's Python HTTP loop (docs/performance.md). Every value is an
environment variable, the same names as ``config/gunicorn_conf.py`` (which stays usable:
``gunicorn -c config/gunicorn_conf.py config.wsgi``), so one file serves a 2-core box and a
large one (docs/deploy.md).
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any


def _integer(raw: str | None, default: int) -> int:
    return int(raw) if raw and raw.strip() else default


def options() -> dict[str, Any]:
    """The granian server's arguments, from the environment."""
    from granian.constants import Interfaces
    from granian.log import LogLevels

    host, _, port = os.environ.get("QOLDAU_BIND", "127.0.0.1:8000").rpartition(":")
    lifetime = _integer(os.environ.get("QOLDAU_WEB_LIFETIME"), 86_400)
    max_rss = _integer(os.environ.get("QOLDAU_WEB_MAX_RSS_MB"), 0)
    return {
        "target": "config.wsgi:application",
        "interface": Interfaces.WSGI,
        "address": host or "127.0.0.1",
        "port": int(port),
        # One process per core: the threads of a process share one GIL, the processes do not.
        "workers": _integer(os.environ.get("WEB_CONCURRENCY"), multiprocessing.cpu_count()),
        # Python threads per worker: the intake's group commit (ADR 0007) batches the
        # registrations of one process's concurrent requests, so it needs several in flight.
        "blocking_threads": _integer(os.environ.get("QOLDAU_WEB_THREADS"), 8),
        "backlog": _integer(os.environ.get("QOLDAU_WEB_BACKLOG"), 1024),
        "websockets": False,
        "respawn_failed_workers": True,
        # Recycle a worker now and then (a leak cannot grow without bound), or past its memory.
        "workers_lifetime": lifetime if lifetime > 0 else None,
        "workers_max_rss": max_rss if max_rss > 0 else None,
        "workers_kill_timeout": 30,
        "log_level": LogLevels(os.environ.get("QOLDAU_WEB_LOG_LEVEL", "warning")),
        "log_access": bool(os.environ.get("QOLDAU_WEB_ACCESS_LOG")),  # the proxy logs requests
    }


def main() -> None:
    from granian.server import Server

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    Server(**options()).serve()


if __name__ == "__main__":
    main()
