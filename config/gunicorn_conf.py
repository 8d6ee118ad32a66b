"""gunicorn settings of the web process: ``gunicorn -c config/gunicorn_conf.py config.wsgi``.

Pre-forking workers, each with a pool of threads (``gthread``): a request thread spends much of
its time waiting for PostgreSQL, and the appeals intake's group commit (ADR 0005) needs several
requests in flight per process to batch them. Every value is an environment variable, so the
same file serves a 2-core box and a large one (docs/deploy.md).
"""

from __future__ import annotations

import multiprocessing
import os


def _integer(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


bind = os.environ.get("QOLDAU_BIND", "127.0.0.1:8000")
# One process per core: the threads of a process share one GIL, the processes do not.
workers = _integer("WEB_CONCURRENCY", multiprocessing.cpu_count())
worker_class = "gthread"
threads = _integer("QOLDAU_WEB_THREADS", 8)
# Keep-alive connections from the reverse proxy (and the benchmark's clients).
keepalive = _integer("QOLDAU_WEB_KEEPALIVE", 75)
timeout = _integer("QOLDAU_WEB_TIMEOUT", 60)
graceful_timeout = 30
# Recycle a worker now and then (a leak cannot grow without bound); jitter avoids all at once.
max_requests = _integer("QOLDAU_WEB_MAX_REQUESTS", 100_000)
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("QOLDAU_WEB_ACCESS_LOG") or None  # the proxy logs requests
errorlog = "-"
loglevel = os.environ.get("QOLDAU_WEB_LOG_LEVEL", "warning")
# Behind a reverse proxy on the same host: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("QOLDAU_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
