"""Shared helpers of the knowledge-base benchmarks: a synthetic import file, the environment of
a ``qoldau`` subprocess (SQLite in a temp dir, or a throw-away PostgreSQL database), the web
server subprocesses, and percentiles.

Nothing here edits the project: the app runs as it ships, through its ``qoldau`` command.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import psycopg

from bench.search import data

if TYPE_CHECKING:
    from qoldau.knowledge.search import Document

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
QOLDAU = str(ROOT / ".venv" / "bin" / "qoldau")
POSTGRES_DSN = os.environ.get("BENCH_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres")
KINDS = ["procedure", "how_to", "ict_service", "competent_body", "service_card"]
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


class ImportRow(TypedDict):
    """One line of a ``qoldau kb import`` file: one language version of an article."""

    external_id: str
    kind: str
    language: str
    title: str
    body: str  # HTML
    keywords: list[str]
    service_code: str | None
    published: bool


def _pools() -> dict[str, dict[str, list[str]]]:
    kk = [s for d in data.kazqad().documents for s in _SENTENCE.split(d.body) if len(s) > 20]
    articles = data.article_documents(data.DEMO_ARTICLES)
    pools: dict[str, dict[str, list[str]]] = {
        "kk": {"sentences": kk, "titles": []},
        "ru": {"sentences": [], "titles": []},
    }
    for doc in articles:
        if doc.language in pools:
            pools[doc.language]["sentences"].extend(
                s for s in _SENTENCE.split(" ".join(doc.body.split())) if len(s) > 20
            )
            pools[doc.language]["titles"].append(doc.title)
    return pools


def synthetic_rows(articles: int, seed: int = 1414, prefix: str = "bench") -> list[ImportRow]:
    """``articles`` × (kk, ru) import lines; bodies of about 1.5 KB of HTML paragraphs."""
    rng = random.Random(seed)
    pools = _pools()
    rows: list[ImportRow] = []
    for number in range(articles):
        kind = rng.choice(KINDS)
        for language in ("kk", "ru"):
            sentences = pools[language]["sentences"]
            titles = pools[language]["titles"]
            title = (
                rng.choice(titles)
                if rng.random() < 0.5
                else " ".join(rng.choice(sentences).split()[:6])
            )[:290]
            paragraphs: list[str] = []
            size = 0
            target = rng.randint(900, 1700)
            while size < target:
                para = " ".join(rng.choice(sentences) for _ in range(rng.randint(1, 3)))
                paragraphs.append(f"<p>{para}</p>")
                size += len(para.encode()) + 7
            rows.append(
                {
                    "external_id": f"{prefix}-{number:06d}",
                    "kind": kind,
                    "language": language,
                    "title": title,
                    "body": "".join(paragraphs),
                    "keywords": rng.choice(sentences).split()[:2],
                    "service_code": None,
                    "published": True,
                }
            )
    return rows


def write_jsonl(rows: Sequence[ImportRow], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def documents_from_rows(rows: Sequence[ImportRow]) -> list[Document]:
    """The same rows as search Documents (plain text of the HTML, as the app indexes them)."""
    from qoldau.knowledge.search import Document

    return [
        Document(
            key=f"{r['external_id']}:{r['language']}",
            language=r["language"],
            title=r["title"],
            keywords=tuple(r["keywords"]),
            body=data.plain_text(r["body"]),
            filters={"kind": r["kind"]},
        )
        for r in rows
    ]


def percentile(sorted_values: list[float], share: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


@contextlib.contextmanager
def backend(kind: str) -> Iterator[dict[str, str]]:
    """The environment of a ``qoldau`` subprocess on a fresh, migrated database; cleaned after."""
    tmp = Path(tempfile.mkdtemp(prefix=f"qoldau-kb-bench-{kind}-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "QOLDAU_ENV")}
    env.update(
        QOLDAU_VAR_DIR=str(tmp), DJANGO_SETTINGS_MODULE="config.settings", PYTHONUNBUFFERED="1"
    )
    database = None
    try:
        if kind == "postgres":
            database = f"qoldau_kb_bench_{os.getpid()}_{int(time.time())}"
            with psycopg.connect(POSTGRES_DSN, dbname="postgres", autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{database}"')
            env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
        env["BENCH_TMP"] = str(tmp)
        run([QOLDAU, "migrate", "--noinput", "-v", "0"], env, timeout=600)
        yield env
    finally:
        if database:
            with psycopg.connect(POSTGRES_DSN, dbname="postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


def run(cmd: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done


_SETUP = """
import django; django.setup()
from qoldau.registry.models import Organisation
from qoldau.accounts.services import api_key_issue
org = Organisation.objects.create(kind="ucc", name_kk="Бенчмарк", name_ru="Бенчмарк")
key, raw = api_key_issue(organisation_id=org.id, name="bench", roles=["operator"], actor=None)
print(raw)
"""


def api_key(env: dict[str, str]) -> str:
    return run([PYTHON, "-c", _SETUP], env, timeout=120).stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]  # (host, port) of an AF_INET socket
        return port


@contextlib.contextmanager
def server(
    cmd: list[str], env: dict[str, str], port: int, ready_path: str = "/", timeout: float = 120
) -> Iterator[subprocess.Popen[bytes]]:
    """A server subprocess (own process group), up when ``port`` accepts; killed on exit."""
    log_path = Path(env.get("BENCH_TMP", tempfile.gettempdir())) / f"server-{port}.log"
    log = open(log_path, "w")  # noqa: SIM115 — closed in the finally below
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server {cmd} exited with {proc.returncode}; see {log.name}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"server {cmd} did not start in {timeout} s")
            time.sleep(0.1)
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def runserver(
    env: dict[str, str], port: int
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    return server([QOLDAU, "runserver", "--noreload", f"127.0.0.1:{port}"], env, port)


class Client:
    """Keep-alive http.client GETs of ``/api/v1/kb/search``-style URLs; counts reconnects."""

    # Django's runserver and http.server write the headers and the body of a response in two
    # send() calls; with keep-alive, Nagle on the server and delayed ACK on the client then add
    # ~40 ms to every response. The client asks the kernel to ACK at once (TCP_QUICKACK, Linux)
    # so that the figures show the servers, not that interaction; QUICKACK=False shows it.
    QUICKACK = os.environ.get("BENCH_NO_QUICKACK") is None

    def __init__(
        self,
        port: int,
        path: str = "/api/v1/kb/search",
        key: str | None = None,
        timeout: float = 300,
    ) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.path = path
        self.headers = {"X-API-Key": key} if key else {}
        self.connects = 0

    def _socket(self) -> socket.socket:
        """The connection's socket; only called once it is connected."""
        sock = self.conn.sock
        if sock is None:
            raise RuntimeError("the connection has no socket")
        return sock

    def search(self, q: str, lang: str, limit: int = 10) -> list[dict[str, Any]]:
        url = f"{self.path}?" + urllib.parse.urlencode({"q": q, "lang": lang, "limit": limit})
        if self.conn.sock is None:
            self.connects += 1
            self.conn.connect()
            self._socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn.request("GET", url, headers=self.headers)
        if self.QUICKACK:
            self._socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {url}: {response.status} {body[:300]!r}")
        if response.getheader("Connection", "").lower() == "close" or response.will_close:
            self.conn.close()
        hits: list[dict[str, Any]] = json.loads(body)
        return hits

    def close(self) -> None:
        self.conn.close()


def markdown(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
