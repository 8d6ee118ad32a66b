"""``qoldau ami``: settings, the lazily imported ingest service, a refused login, and a run
against the AMI peer that stores every event through the (here: fake) service."""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
import types
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from qoldau.telephony.management.commands import ami as command
from qoldau.telephony.ports import CallEvent, CallEventKind
from qoldau.telephony.tests import ami_peer
from qoldau.telephony.tests.ami_peer import AmiPeer, Pbx
from qoldau.telephony.tests.threads import in_fresh_thread

TIMEOUT = 10.0


@contextlib.contextmanager
def peer_in_thread(**options: Any) -> Iterator[AmiPeer]:
    """The peer on a loop of its own: the command runs asyncio in the test's thread."""
    box: dict[str, Any] = {}
    ready = threading.Event()

    async def serve() -> None:
        async with AmiPeer(**options) as peer:
            box.update(peer=peer, loop=asyncio.get_running_loop(), stop=asyncio.Event())
            ready.set()
            await box["stop"].wait()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(TIMEOUT)
    try:
        yield box["peer"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(TIMEOUT)


def fake_services(monkeypatch: pytest.MonkeyPatch, ingest: Any = None) -> None:
    module = types.ModuleType(command.SERVICES)
    if ingest is not None:
        module.call_event_ingest = ingest  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, command.SERVICES, module)


def ami_settings(peer: AmiPeer | None = None, **overrides: Any) -> Any:
    values = {
        "TELEPHONY_AMI_HOST": "127.0.0.1",
        "TELEPHONY_AMI_PORT": peer.port if peer else 5038,
        "TELEPHONY_AMI_USERNAME": "qoldau",
        "TELEPHONY_AMI_SECRET": "s3cret",
        "TELEPHONY_AMI_QUEUE_CONTEXTS": ["qoldau-queues"],
        **overrides,
    }
    return override_settings(**values)


def test_credentials_are_required() -> None:
    with ami_settings(TELEPHONY_AMI_SECRET=""), pytest.raises(CommandError) as error:
        in_fresh_thread(lambda: call_command(command.Command()))
    assert "Set TELEPHONY_AMI_USERNAME and TELEPHONY_AMI_SECRET" in str(error.value)


def test_without_the_ingest_service_the_command_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_services(monkeypatch)  # the module exists, call_event_ingest does not (yet)
    with ami_settings(), pytest.raises(CommandError) as error:
        in_fresh_thread(lambda: call_command(command.Command()))
    assert "qoldau.telephony.services.call_event_ingest is not available" in str(error.value)


def test_a_refused_login_ends_the_command_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_services(monkeypatch, ingest=lambda event: None)
    with (
        peer_in_thread(secret="another") as peer,
        ami_settings(peer),
        pytest.raises(CommandError) as error,
    ):
        in_fresh_thread(lambda: call_command(command.Command(), stdout=io.StringIO()))
    assert "refused the AMI login of 'qoldau': Authentication failed" in str(error.value)


def test_the_command_stores_every_event_through_the_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pbx = Pbx()
    call = ami_peer.blind_transfer_to_queue(pbx)
    end = ami_peer.barrier(pbx)
    stored: list[CallEvent] = []
    threads: set[str] = set()
    cmd = command.Command()

    def call_event_ingest(event: CallEvent) -> None:
        stored.append(event)
        threads.add(threading.current_thread().name)
        if event.call_id == end.call_id and cmd.loop and cmd.listener:
            cmd.loop.call_soon_threadsafe(cmd.listener.stop)

    fake_services(monkeypatch, call_event_ingest)
    out = io.StringIO()
    with peer_in_thread(scripts=[[*call.events, *end.events]]) as peer, ami_settings(peer):
        in_fresh_thread(lambda: call_command(cmd, stdout=out))

    mine = [e for e in stored if e.call_id == call.call_id]
    assert [e.kind for e in mine].count(CallEventKind.TRANSFERRED) == 1
    assert [e.kind for e in mine][-1] is CallEventKind.ENDED
    assert len(mine) == 9
    assert threading.main_thread().name not in threads  # the ORM's sync thread, not the loop's
    assert f"Listening to Asterisk at 127.0.0.1:{peer.port} as qoldau" in out.getvalue()
    assert out.getvalue().rstrip().endswith("Stopped.")
