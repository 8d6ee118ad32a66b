# ruff: noqa: E402  (Django is set up before the product's modules are imported)
"""The crash test of issue 4 for the API: clients send N appeals over HTTP to the real web
server (granian, ``config.serve``, with the lean path and the group commit), each under its own
``Idempotency-Key``, and retry every request until it is answered — through refused
connections, cut responses and 5xx — while the server is killed with SIGKILL at random moments
and started again. Some keys are sent again after their answer, as a client that lost it would.
At the end there are exactly N API appeals, none twice; every answer to a key names the same
appeal; every key's stored response is the one its client heard; every appeal has one
acknowledgement in the outbox; the audit chain verifies.

The server runs on a database of its own: a SQLite file, or, when the tests run on PostgreSQL
(DATABASE_URL), a scratch PostgreSQL database created and dropped by the test. This module also
runs as ``python -m tests.test_api_intake_crash setup|check`` against that database.
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

import http.client
import json
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.scratch import scratch_database

APPEALS = 80
CLIENTS = 4
KILLS = int(os.environ.get("QOLDAU_CRASH_ROUNDS", "6"))
ROOT = Path(__file__).resolve().parents[1]
PATH = "/api/v1/appeals/"


# --- setup and check (run in their own processes, on the scratch database) --------------------


def worker_setup() -> None:
    from qoldau.accounts.services import api_key_issue
    from qoldau.registry.models import Organisation

    organisation = Organisation.objects.create(kind="ucc", name_kk="Сынақ", name_ru="Тест")
    _key, raw = api_key_issue(organisation_id=organisation.pk, name="crash", roles=[], actor=None)
    print(raw, flush=True)


def worker_check() -> None:
    from qoldau.appeals.models import Appeal, IdempotencyKey
    from qoldau.audit.selectors import audit_verify_all
    from qoldau.core.models import OutboxMessage

    appeals = Appeal.objects.filter(channel="api")
    acknowledgements = Counter(
        OutboxMessage.objects.filter(category="appeals.acknowledgement").values_list(
            "related_id", flat=True
        )
    )
    print(
        json.dumps(
            {
                "appeals": [[a.number, a.content] for a in appeals.only("number", "content")],
                "keys": {
                    k.key: [k.status_code, k.response.get("number")]
                    for k in IdempotencyKey.objects.all()
                },
                "acknowledged": sorted(str(a.pk) for a in appeals if acknowledgements[str(a.pk)]),
                "acknowledgement_rows": sum(acknowledgements.values()),
                "ids": sorted(str(a.pk) for a in appeals),
                "audit_problems": sum(len(r.problems) for r in audit_verify_all()),
            }
        ),
        flush=True,
    )


# --- the server and its clients ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``python -m config.serve`` in a process group of its own, killed and started again."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env = {
            **env,
            "QOLDAU_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
            "QOLDAU_WEB_THREADS": "4",
        }
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "config.serve"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the web server did not start")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)  # the master and every worker at once
        self.process.wait(timeout=30)


def _post(port: int, api_key: str, key: str, body: bytes) -> dict[str, Any] | None:
    """One attempt: the answer, or None when there was none (refused, cut, 5xx)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            "POST",
            PATH,
            body=body,
            headers={
                "X-API-Key": api_key,
                "Idempotency-Key": key,
                "Content-Type": "application/json",
            },
        )
        response = connection.getresponse()
        data = response.read()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()
    if response.status >= 500:
        return None
    assert response.status == 201, (response.status, data[:300])
    answer: dict[str, Any] = json.loads(data)
    return answer


def _client(
    port: int,
    api_key: str,
    items: list[int],
    heard: dict[str, list[str]],
    failed: list[int],
    lock: threading.Lock,
) -> None:
    rng = random.Random(items[0])
    for n in items:
        key = f"crash-{n}"
        body = json.dumps(
            {"content": f"Обращение {n}: как получить справку?", "email": f"c{n}@example.kz"},
            ensure_ascii=False,
        ).encode()
        for _again in range(2 if n % 5 == 0 else 1):  # every fifth sent again after its answer
            while (answer := _post(port, api_key, key, body)) is None:
                with lock:
                    failed.append(n)
                time.sleep(0.05)  # the server is down or restarting: retry, as a client would
            with lock:
                heard.setdefault(key, []).append(str(answer["number"]))
            time.sleep(rng.uniform(0, 0.05))


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_sigkill_of_the_web_server_while_clients_retry_loses_nothing_and_repeats_nothing(
    tmp_path: Path,
) -> None:
    rng = random.Random(1414)
    with scratch_database(tmp_path, "qoldau_crash_api") as database:
        env = {
            **os.environ,
            "QOLDAU_ENV": "test",
            "QOLDAU_VAR_DIR": str(tmp_path / "var"),
            "DATABASE_URL": database,
        }
        _manage(env, "manage.py", "migrate", "-v0")
        setup = _manage(env, "-m", "tests.test_api_intake_crash", "setup")
        api_key = setup.strip().splitlines()[-1]
        server = Server(env, _free_port())
        server.start()
        heard: dict[str, list[str]] = {}
        failed: list[int] = []
        lock = threading.Lock()
        clients = [
            threading.Thread(
                target=_client,
                args=(server.port, api_key, list(range(c, APPEALS, CLIENTS)), heard, failed, lock),
            )
            for c in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        kills = 0
        for kill in range(KILLS):  # spread over the run: after each share of the answers
            while len(heard) < (kill + 1) * APPEALS // (KILLS + 1) and any(
                c.is_alive() for c in clients
            ):
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.1))  # somewhere in a batch, a commit or an answer
            if not any(c.is_alive() for c in clients):
                break
            server.kill()
            kills += 1
            server.start()
        for client in clients:
            client.join(timeout=300)
        assert not any(c.is_alive() for c in clients)
        server.kill()
        checked = _manage(env, "-m", "tests.test_api_intake_crash", "check")
        result = json.loads(checked.strip().splitlines()[-1])
    assert kills >= KILLS // 2, "the server was hardly killed: the test proves little"
    assert failed, "no request was ever cut or refused: the test proves little"
    contents = [content for _number, content in result["appeals"]]
    assert len(contents) == APPEALS, "an appeal is missing or registered twice"
    assert len(set(contents)) == APPEALS
    numbers = {number for number, _content in result["appeals"]}
    assert len(numbers) == APPEALS
    assert len(heard) == APPEALS
    for key, answers in heard.items():
        assert len(set(answers)) == 1, f"{key} was answered with two appeals: {answers}"
        assert result["keys"][key] == [201, answers[0]]  # the stored response is the one heard
        assert answers[0] in numbers
    assert result["acknowledged"] == result["ids"]
    assert result["acknowledgement_rows"] == APPEALS  # queued once each, never twice
    assert result["audit_problems"] == 0


if __name__ == "__main__":
    {"setup": worker_setup, "check": worker_check}[sys.argv[1]]()
