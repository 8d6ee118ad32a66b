"""gunicorn settings of the web process: ``gunicorn -c config/gunicorn_conf.py config.wsgi``.

Pre-forking workers, each with a pool of threads (``gthread``): a request thread spends much of
its time waiting for PostgreSQL, and the appeals intake's group commit (ADR 0005) needs several
requests in flight per process to batch them. Every value is an environment variable, so the
same file serves a 2-core box and a large one (docs/deploy.md).
"""

from __future__ import annotations

import multiprocessing
import os
import sys


def _integer(raw: str | None, default: int) -> int:
    return int(raw) if raw and raw.strip() else default


bind = os.environ.get("QOLDAU_BIND", "127.0.0.1:8000")
# One process per core: the threads of a process share one GIL, the processes do not.
workers = _integer(os.environ.get("WEB_CONCURRENCY"), multiprocessing.cpu_count())
worker_class = "gthread"
threads = _integer(os.environ.get("QOLDAU_WEB_THREADS"), 8)
# Keep-alive connections from the reverse proxy (and the benchmark's clients).
keepalive = _integer(os.environ.get("QOLDAU_WEB_KEEPALIVE"), 75)
timeout = _integer(os.environ.get("QOLDAU_WEB_TIMEOUT"), 60)
graceful_timeout = 30
# Recycle a worker now and then (a leak cannot grow without bound); jitter avoids all at once.
max_requests = _integer(os.environ.get("QOLDAU_WEB_MAX_REQUESTS"), 100_000)
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("QOLDAU_WEB_ACCESS_LOG") or None  # the proxy logs requests
errorlog = "-"
loglevel = os.environ.get("QOLDAU_WEB_LOG_LEVEL", "warning")
# Behind a reverse proxy on the same host: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("QOLDAU_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# How long a thread may keep the GIL while another wants it (Python's default is 5 ms). A thread
# coming back from the database waits up to that long for a busy sibling; the intake's group
# committer makes a dozen round trips per batch, so a shorter slice cuts its latency (ADR 0005).
switch_interval = float(os.environ.get("QOLDAU_WEB_SWITCH_INTERVAL", "0.001"))


def post_fork(server: object, worker: object) -> None:
    sys.setswitchinterval(switch_interval)
