"""``qoldau ami``: listen to Asterisk's manager interface and store the call events it reports
(docs/telephony-ami.md). Runs until SIGINT or SIGTERM; reconnects by itself."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import signal
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from qoldau.telephony.adapters.ami import AmiListener, AmiLoginError
from qoldau.telephony.adapters.ami_mapping import AmiMappingConfig
from qoldau.telephony.ports import CallEvent, CallEventSink

SERVICES = "qoldau.telephony.services"


def load_ingest() -> Callable[..., Any]:
    """``telephony.services.call_event_ingest``, imported only when the listener starts."""
    try:
        services = importlib.import_module(SERVICES)
        ingest: Callable[..., Any] = services.call_event_ingest
    except (ImportError, AttributeError) as exc:
        raise CommandError(
            f"{SERVICES}.call_event_ingest is not available ({exc}); the AMI listener has "
            "nowhere to store call events. Install the telephony app first."
        ) from exc
    return ingest


def ingest_sink(ingest: Callable[..., Any]) -> CallEventSink:
    """The ORM is synchronous: each event is stored on Django's one sync thread, with stale
    database connections closed first, as a request would."""

    def store(event: CallEvent) -> None:
        close_old_connections()
        ingest(event=event)  # by keyword: services take keyword-only arguments

    store_on_sync_thread = sync_to_async(store, thread_sensitive=True)

    async def sink(event: CallEvent) -> None:
        await store_on_sync_thread(event)

    return sink


class Command(BaseCommand):
    help = "Listen to Asterisk's manager interface (AMI) and store the call events it reports."

    listener: AmiListener | None = None
    loop: asyncio.AbstractEventLoop | None = None

    def handle(self, *args: Any, **options: Any) -> None:
        username, secret = settings.TELEPHONY_AMI_USERNAME, settings.TELEPHONY_AMI_SECRET
        if not username or not secret:
            raise CommandError(
                "Set TELEPHONY_AMI_USERNAME and TELEPHONY_AMI_SECRET to the manager.conf user "
                "Qoldau logs in as (docs/telephony-ami.md)."
            )
        sink = ingest_sink(load_ingest())
        self.listener = AmiListener(
            host=settings.TELEPHONY_AMI_HOST,
            port=settings.TELEPHONY_AMI_PORT,
            username=username,
            secret=secret,
            sink=sink,
            mapping=AmiMappingConfig(
                queue_contexts=frozenset(settings.TELEPHONY_AMI_QUEUE_CONTEXTS)
            ),
        )
        self.stdout.write(
            f"Listening to Asterisk at {settings.TELEPHONY_AMI_HOST}:"
            f"{settings.TELEPHONY_AMI_PORT} as {username}; stop with Ctrl+C."
        )
        try:
            asyncio.run(self._run(self.listener))
        except AmiLoginError as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt:
            pass
        self.stdout.write("Stopped.")

    async def _run(self, listener: AmiListener) -> None:
        self.loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            # Not in the main thread (or not on Unix): Ctrl+C still ends asyncio.run.
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                self.loop.add_signal_handler(signum, listener.stop)
        await listener.run()
