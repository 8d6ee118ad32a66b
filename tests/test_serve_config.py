"""``config.serve``: the granian web process takes its shape from the environment."""

from __future__ import annotations

from typing import Any

from config.serve import options


def test_defaults_serve_the_wsgi_app_behind_the_proxy(monkeypatch: Any) -> None:
    for name in ("QOLDAU_BIND", "WEB_CONCURRENCY", "QOLDAU_WEB_THREADS", "QOLDAU_WEB_LIFETIME"):
        monkeypatch.delenv(name, raising=False)
    got = options()
    assert got["target"] == "config.wsgi:application"
    assert got["interface"].value == "wsgi"
    assert (got["address"], got["port"]) == ("127.0.0.1", 8000)
    assert got["blocking_threads"] == 8
    assert got["workers"] >= 1
    assert got["respawn_failed_workers"] is True
    assert got["workers_lifetime"] == 86_400


def test_environment_sets_address_workers_threads_and_recycling(monkeypatch: Any) -> None:
    monkeypatch.setenv("QOLDAU_BIND", "0.0.0.0:9001")
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    monkeypatch.setenv("QOLDAU_WEB_THREADS", "16")
    monkeypatch.setenv("QOLDAU_WEB_LIFETIME", "0")
    monkeypatch.setenv("QOLDAU_WEB_MAX_RSS_MB", "512")
    got = options()
    assert (got["address"], got["port"]) == ("0.0.0.0", 9001)  # noqa: S104 (a test value)
    assert (got["workers"], got["blocking_threads"]) == (4, 16)
    assert got["workers_lifetime"] is None
    assert got["workers_max_rss"] == 512
